"""Xu hướng: any KPI of the catalog over time, for one unit or up to ten side by side.

Each line's counts come as totals per period (or per channel, field) from the summary tables,
for the chosen unit and the units under it, then go into buckets of the chosen grain: one
cached read per line. Every choice is a URL parameter (a shareable link).
"""

from datetime import timedelta

import streamlit as st

from domain.vocab import DOSSIER_CHANNELS, RATING_CHANNELS
from metrics import kpis, periods
from domain import units as unit_tree
from metrics.trend import SOURCE_GRAIN, buckets_for, trend_frame
from ui import charts, data, trends, unit_data
from ui.trends import BUCKETS, GRAINS, MAX_UNITS, SPLITS
from ui.filters import current, restated_caption, units_of
from ui.i18n import lang, t
from ui import url_state


filters = current()
units = units_of(filters)
period, city = filters.period, filters.city_code
names = {**dict(zip(units["code"], units["name"])), filters.scope_code: filters.scope_name}

st.title(t("Xu hướng", "Trends"))

# --- choices -------------------------------------------------------------------------------
left, middle, right = st.columns([3, 2, 2])
kpi_id = url_state.selectbox(left, t("Chỉ số", "Indicator"), kpis.KPIS, key="kpi", default="satisfaction_rate", format_func=lambda k: kpis.get(k).label(lang()))
kpi = kpis.get(kpi_id)
grain = url_state.selectbox(middle, t("Theo", "By"), GRAINS, key="grain", default="month", format_func=lambda g: t(*GRAINS[g]))
# A split needs counts by channel or field: ratings have channels, dossiers channels and fields,
# the backlog neither.
split_options = {"ratings": ["none", "channel"], "dossiers": ["none", "channel", "field"], "backlog": ["none"]}[kpi.source]
split = url_state.selectbox(right, t("Tách", "Split"), SPLITS, key="split", default="none", format_func=lambda s: t(*SPLITS[s]))
if split not in split_options:
    right.caption(t("Chỉ số này không tách được như vậy.", "This indicator cannot be split that way."))
    split = "none"

# Any unit of the scope: a district chair compares their wards, a city leader any wards or
# departments. The scope first, then districts, wards and departments, each by name.


def subtree_of(code: str) -> set:
    """The units a chosen line counts (an area: its units)."""
    return set(filters.codes or ()) if filters.is_area and code == filters.scope_code else set(unit_tree.subtree_codes(units, code))


inside = subtree_of(filters.scope_code) - {filters.scope_code}
level_order = {"district": 0, "ward": 1, "department": 2}
listed = units[units["code"].isin(inside)].assign(_l=lambda f: f["level"].map(level_order)).sort_values(["_l", "name"])
candidates = [filters.scope_code] + list(listed["code"])
parent_of = dict(zip(units["code"], units["parent_code"]))
# Ward names repeat across districts ("Phường 1"): the district and code tell them apart.
choice_labels = {c: names[c] + (f" – {names[parent_of[c]]}" if parent_of.get(c) in names and parent_of[c] != city else "") for c in candidates}
chosen = url_state.multiselect(
    st,
    t(f"Đơn vị (tối đa {MAX_UNITS})", f"Units (up to {MAX_UNITS})"),
    candidates,
    key="units",
    default=[filters.scope_code],
    format_func=choice_labels.get,
    max_selections=MAX_UNITS,
)
chosen = chosen[:MAX_UNITS] or [filters.scope_code]
if split != "none" and len(chosen) > 1:
    st.caption(t("Tách theo kênh/lĩnh vực áp dụng cho đơn vị đầu tiên.", "The split applies to the first unit."))

buckets = buckets_for(period, grain, BUCKETS[grain])
first, last = buckets[0].start, buckets[-1].end
source_grain = SOURCE_GRAIN[grain]


def line_codes(code: str) -> tuple[str, ...] | None:
    """The units a line counts, as the overview reads its scope (None: the whole city)."""
    return filters.codes if code == filters.scope_code else tuple(sorted(subtree_of(code)))


# Each line reads its own totals: a line of many units (the city, an area) is not the sum of
# its units' restated figures, each rounded down (a former district's own ratings spread over
# its wards would mostly vanish). The scope's line is the overview's trend read.
series = {names.get(code, code): trends.scope_series(tuple(buckets), grain, line_codes(code), filters.restated, lang()) for code in chosen}
restated_frames = list(series.values())

if split != "none":
    # The first unit, split: one series per channel or field.
    code = chosen[0]
    by = "field_code" if split == "field" else "channel"
    parts = unit_data.flow_counts(first, last, source_grain, line_codes(code), (by,), kpi.source, restated=filters.restated)
    if split == "field":
        field_names = unit_data.fields()
        labels = dict(zip(field_names["code"], field_names[t("name", "name_en")]))
    else:
        vocab = RATING_CHANNELS if kpi.source == "ratings" else DOSSIER_CHANNELS
        labels = {str(c): t(vi, en) for c, (vi, en) in vocab.items()}
    # A split has no backlog line: trend_frame gets the backlog's columns and no rows.
    empty = data.backlog_counts(tuple(b.end for b in buckets), line_codes(code), restated=filters.restated).iloc[0:0]
    series = {labels.get(value, value): trend_frame(buckets, group.drop(columns=by), empty, grain, lang()) for value, group in parts.groupby(by)}

comparison = None
if split == "none" and len(chosen) == 1:
    # The comparison period: the same buckets a year before, or the run of buckets just before.
    if filters.compare_mode == "yoy":
        anchor = periods.same_period_last_year(buckets[-1]).end
    else:
        anchor = buckets[0].start - timedelta(days=1)
    before = buckets_for(periods.period_of(anchor, grain), grain, len(buckets))
    if before[0].start >= data.data_extent()["first_day"]:
        comparison = (before, trends.scope_series(tuple(before), grain, line_codes(chosen[0]), filters.restated, lang()))

# --- the chart -------------------------------------------------------------------------------
drawn = trends.drawn_series(series, comparison, kpi, buckets, filters.compare_mode)
noun = kpi.volume_noun(lang())

targets = data.targets(period.end)
target = kpis.target_for(targets, kpi_id, chosen[0])
st.subheader(f"{kpi.label(lang())} · {t(*GRAINS[grain]).lower()}", help=kpi.help(lang()))
st.caption(
    kpi.help(lang())
    + " "
    + t(
        f"Di chuột lên điểm để xem số lượng ({noun}) của từng kỳ; bảng dưới biểu đồ ghi đủ số lượng.",
        f"Hover a point for its volume ({noun}); the table below the chart lists every volume.",
    )
)
if split == "field":
    trends.field_split_charts(series, drawn, kpi, target, buckets)
else:
    figure = charts.trend_figure(drawn, kpi, lang(), target[0] if target else None, height=420, reforms=data.reform_days(), dotted_last=comparison is not None)
    st.plotly_chart(figure, key="trend")

restated_caption(*restated_frames)

# --- the figures behind the chart ------------------------------------------------------------
trends.figures_table(drawn, kpi, f"{t('Xu hướng', 'Trend')} · {kpi_id} · {grain} · {names.get(chosen[0], chosen[0])} · {period.key}")
