"""Alerts for a scope and period: load the counts, run metrics.alerts, phrase each one.

The baseline is the six periods of the same kind before the current one: long enough to
be a unit's usual level, short enough to follow real change.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import alerts as alert_rules
from metrics import units as unit_tree
from metrics.periods import Period, previous_period
from ui import data
from ui.i18n import lang, t

BASELINE_PERIODS = 6
SEVERITY_ICON = {"high": ":material/error:", "medium": ":material/warning:"}


def baseline_periods(period: Period, count: int = BASELINE_PERIODS) -> list[Period]:
    before = [previous_period(period)]
    while len(before) < count:
        before.append(previous_period(before[-1]))
    return before


def find_alerts(period: Period, codes: tuple[str, ...] | None) -> pd.DataFrame:
    """Alerts of every unit in `codes` (None: the whole city), most severe first."""
    key = data.db_key()
    before = baseline_periods(period)
    current = data.kpi_counts(key, period.start, period.end, codes, True)
    baseline = data.kpi_counts(key, before[-1].start, before[0].end, codes, True)
    # The backlog baseline is a level: the average of the baseline periods' closing snapshots.
    snapshots = data.backlog_counts(key, tuple(p.end for p in before), codes, True)
    level = snapshots.groupby("unit_code")[["open_dossiers", "open_overdue"]].mean().reset_index()
    baseline = baseline.drop(columns=["open_dossiers", "open_overdue"]).merge(level, on="unit_code", how="left").fillna(0)
    return alert_rules.detect_alerts(current, baseline)


def alert_list(found: pd.DataFrame, units: pd.DataFrame, limit: int = 10) -> None:
    if found.empty:
        st.success(t("Không có đơn vị nào giảm bất thường trong kỳ.", "No unit got worse beyond chance this period."), icon=":material/check_circle:")
        return
    names = dict(zip(units["code"], units["name"]))
    for row in found.head(limit).to_dict("records"):
        name = names.get(row["unit_code"], row["unit_code"])
        parent = unit_tree.ancestors(units, row["unit_code"])[-2:-1]
        where = f" ({names.get(parent[0], '')})" if parent and parent[0] in names and len(unit_tree.ancestors(units, row["unit_code"])) > 2 else ""
        text = alert_rules.sentence(row, lang(), name + where)
        link = f"/unit?unit={row['unit_code']}"
        st.markdown(f"{SEVERITY_ICON.get(row['severity'], '')} {text} [{t('Xem hồ sơ đơn vị', 'Open unit profile')}]({link})")
    if len(found) > limit:
        st.caption(t(f"… và {len(found) - limit} cảnh báo khác.", f"… and {len(found) - limit} more."))
