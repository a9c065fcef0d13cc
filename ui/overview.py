"""The overview's best and weakest units, cached for their inputs (ui.data.derived): over
cached counts the ranking still took a large share of an overview's time on every run
(issue 14, py-spy). The 12-period trend table is ui.trends.trend_table."""

from __future__ import annotations

import pandas as pd

from metrics import kpis, ranking
from ui import data
from ui.filters import Filters, children_counts, layout_units


@data.derived(max_entries=256)
def best_and_weak(filters: Filters, kpi_id: str, best_word: str, weak_word: str) -> pd.DataFrame:
    """The scope's children ranked in the one fair order: the three best that meet their target
    and are not weak, then the weakest by the one rule (metrics.ranking), with `group` and
    `name` columns."""
    units = layout_units(filters.layout_day or filters.period.end)
    by_unit = data.kpi_counts(filters.period.start, filters.period.end, filters.codes, by_unit=True)
    grouped = children_counts(filters, units, by_unit)
    kpi = kpis.get(kpi_id)
    marked = ranking.mark_weak(ranking.rank_units(grouped, kpi, method=ranking.DEFAULT_METHOD), kpi, data.targets(filters.period.end)).dropna(subset=["value"])
    weak = ranking.weakest(marked, kpi, 3)
    # "Best" never names a unit short of its target (a small one the rule leaves unnamed either).
    short = (marked["value"] < marked["target"]) if kpi.higher_is_better else (marked["value"] > marked["target"])
    best = marked[~marked["weak"] & ~short].head(3)
    shown = pd.concat([best.assign(group=best_word), weak.assign(group=weak_word)])
    return shown.assign(name=shown["unit_code"].map(dict(zip(units["code"], units["name"]))))
