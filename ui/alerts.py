"""Alerts for a scope and period: load the counts, run metrics.alerts, phrase each one.

The rule itself (six periods of baseline, backlog as a level) is metrics.alerts.scan_alerts,
shared with the briefing pack.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from metrics import alerts as alert_rules
from metrics import kpis
from domain import units as unit_tree
from metrics.periods import Period
from ui import data, url_state
from ui.i18n import lang, t

SEVERITY_ICON = {"high": ":material/error:", "medium": ":material/warning:"}


@data.derived(max_entries=128)
def find_alerts(period: Period, codes: tuple[str, ...] | None, restated: bool = False) -> pd.DataFrame:
    """Alerts of every unit in `codes` (None: the whole city), most severe first; `restated`:
    the baseline periods before a reform read on today's units."""
    return alert_rules.scan_alerts(
        lambda start, end, scope, by_unit: data.kpi_counts(start, end, scope, by_unit=by_unit, restated=restated),
        lambda days, scope, by_unit: data.backlog_counts(tuple(days), scope, by_unit=by_unit, restated=restated),
        period,
        codes,
    )


def alert_list(found: pd.DataFrame, units: pd.DataFrame, limit: int = 10, targets: pd.DataFrame | None = None) -> None:
    """`targets` (in force): a worsened unit still at its target is said to be so."""
    if found.empty:
        st.success(t("Không có đơn vị nào giảm bất thường trong kỳ.", "No unit got worse beyond chance this period."), icon=":material/check_circle:")
        return
    names = dict(zip(units["code"], units["name"]))
    for row in found.head(limit).to_dict("records"):
        name = names.get(row["unit_code"], row["unit_code"])
        parent = unit_tree.ancestors(units, row["unit_code"])[-2:-1]
        where = f" ({names.get(parent[0], '')})" if parent and parent[0] in names and len(unit_tree.ancestors(units, row["unit_code"])) > 2 else ""
        found_target = kpis.target_for(targets, row["kpi_id"], row["unit_code"]) if targets is not None else None
        text = alert_rules.sentence(row, lang(), name + where, found_target[0] if found_target else None)
        link = url_state.link("unit", unit=row["unit_code"])  # keeps language, period and scope
        st.markdown(f"{SEVERITY_ICON.get(row['severity'], '')} {text} [{t('Xem hồ sơ đơn vị', 'Open unit profile')}]({link})")
    if len(found) > limit:
        st.caption(t(f"… và {len(found) - limit} cảnh báo khác.", f"… and {len(found) - limit} more."))
