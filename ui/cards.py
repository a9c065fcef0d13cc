"""KPI cards: value, change against the comparison period, volume, and status against target."""

from __future__ import annotations


import pandas as pd
import streamlit as st

from i18n.format import fmt_int
from metrics import kpis
from ui.i18n import lang, t

BADGE_COLOR = {"green": "green", "amber": "orange", "red": "red"}


def kpi_card(kpi_id: str, now: pd.DataFrame, before: pd.DataFrame, targets: pd.DataFrame, unit_code: str, sparkline=None) -> None:
    """One bordered card; `now` and `before` are one-row count frames."""
    kpi = kpis.get(kpi_id)
    value_now = kpis.total(now, kpi)
    value_before = kpis.total(before, kpi)
    volume = int(now[kpi.volume_column].sum())
    change = kpis.format_change(kpi, value_now, value_before, lang())
    st.metric(
        kpi.label(lang()),
        kpis.format_value(value_now, kpi, lang()),
        delta=change,
        delta_color=kpis.change_colour(kpi, change),
        help=kpi.help(lang()),
        border=True,
        chart_data=sparkline,
        chart_type="line",
    )
    notes = []
    if kpi.kind != "count":
        notes.append(f"{fmt_int(volume, lang())} {kpi.volume_noun(lang())}")
    target = kpis.target_for(targets, kpi_id, unit_code)
    if target is not None:
        status = kpis.status_against_target(value_now, target[0], kpi.higher_is_better, target[1])
        target_text = t("Mục tiêu", "Target") + " " + kpis.format_value(target[0], kpi, lang())
        if status:
            notes.append(f":{BADGE_COLOR[status]}-badge[{t(*kpis.STATUS_WORDS[status])}] {target_text}")
        else:
            notes.append(target_text)
    if notes:
        st.caption(" · ".join(notes))


def kpi_row(kpi_ids, now, before, targets, unit_code, sparklines: dict | None = None, per_row: int = 4) -> None:
    for first in range(0, len(kpi_ids), per_row):
        columns = st.columns(per_row)
        for column, kpi_id in zip(columns, kpi_ids[first : first + per_row]):
            with column:
                kpi_card(kpi_id, now, before, targets, unit_code, (sparklines or {}).get(kpi_id))
