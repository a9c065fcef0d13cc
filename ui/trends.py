"""The trends page's blocks (pages/analysis/trends.py): the choices' words, the series as
drawn (with the comparison period), the field split charts and the figures table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from i18n.format import fmt_int
from metrics import kpis
from metrics.periods import Period
from metrics.trend import SOURCE_GRAIN, buckets_for, trend_frame, trend_grain
from ui import charts, data, filters
from ui.downloads import Col, table
from ui.i18n import lang, t

GRAINS = {
    "day": ("Ngày", "Day"),
    "week": ("Tuần", "Week"),
    "month": ("Tháng", "Month"),
    "quarter": ("Quý", "Quarter"),
    "year": ("Năm", "Year"),
    "reporting_month": ("Kỳ báo cáo 15–14", "Reporting month 15th–14th"),
}
# How many buckets a chart shows: about a month of days, a quarter of weeks, a year of months.
BUCKETS = {"day": 31, "week": 13, "month": 12, "quarter": 8, "year": 6, "reporting_month": 12}  # years: back to 2021
SPLITS = {"none": ("Không tách", "No split"), "channel": ("Theo kênh", "By channel"), "field": ("Theo lĩnh vực", "By field")}
MAX_UNITS = 10


def trend_table(period: Period, codes: tuple[str, ...] | None, restated: bool, language: str) -> pd.DataFrame:
    """The last 12 periods of the period's kind for the overview's and a profile's sparklines and
    trend charts (metrics.trend): scope_series, so the trends page's line of the same window
    is the same cache entry."""
    grain = trend_grain(period)
    return scope_series(tuple(buckets_for(period, grain, 12)), grain, codes, restated, language)


@data.derived(max_entries=512)
def scope_series(buckets: tuple[Period, ...], grain: str, codes: tuple[str, ...] | None, restated: bool, language: str) -> pd.DataFrame:
    """One line: the counts of `codes` (None: the whole city) as totals per period, then
    bucketed (metrics.trend), cached for its inputs. Totals, not per-unit rows summed: fewer
    rows to read, and a restated share of a former unit is rounded once for the line."""
    start, end = buckets[0].start, buckets[-1].end
    flows = data.flow_counts_by_period(start, end, SOURCE_GRAIN[grain], codes, restated=restated)
    backlog = data.backlog_counts(tuple(b.end for b in buckets), codes, restated=restated)
    series = trend_frame(list(buckets), flows, backlog, grain, language)
    series.attrs["restated"] = filters.restatement_of(flows, backlog)  # restated_caption reads it
    return series


@data.derived(max_entries=256)
def sparklines(period: Period, codes: tuple[str, ...] | None, restated: bool, language: str) -> dict[str, list | None]:
    """The headline KPIs' last 12 values (trend_table) for the cards' sparklines."""
    trend = trend_table(period, codes, restated, language)
    return {kpi_id: kpis.value(trend, kpis.get(kpi_id)).round(4).dropna().tolist() or None for kpi_id in kpis.HEADLINE_KPIS}


@data.derived(max_entries=512)
def kpi_line(period: Period, codes: tuple[str, ...] | None, restated: bool, language: str, kpi_id: str) -> pd.DataFrame:
    """One KPI's line over trend_table's 12 periods, as trend charts draw it: `value` and the
    hover's `volume_text`."""
    trend = trend_table(period, codes, restated, language)
    kpi = kpis.get(kpi_id)
    return trend.assign(value=kpis.value(trend, kpi), volume_text=[fmt_int(v, language) for v in kpis.volume(trend, kpi)])


def drawn_series(series: dict, comparison, kpi: kpis.Kpi, buckets, compare_mode: str) -> dict[str, pd.DataFrame]:
    """Each series with its values and hover volumes; the comparison (if any) drawn under the
    current buckets but named by its own in the hover."""
    drawn = {}
    for name, frame in series.items():
        drawn[name] = frame.assign(value=kpis.value(frame, kpi), volume_text=[fmt_int(v, lang()) for v in kpis.volume(frame, kpi)])
    if comparison is not None:
        before, frame = comparison
        name = t("Cùng kỳ năm trước", "Same period last year") if compare_mode == "yoy" else t("Kỳ trước đó", "Preceding periods")
        volumes = [fmt_int(v, lang()) for v in kpis.volume(frame, kpi)]
        drawn[name] = frame.assign(
            label=[b.label(lang()) for b in buckets],  # drawn under the current buckets...
            value=kpis.value(frame, kpi),
            volume_text=[f"{b.label(lang())}: {v}" for b, v in zip(before, volumes)],  # ...named by its own in the hover
        )
    return drawn


def field_split_charts(series: dict, drawn: dict, kpi: kpis.Kpi, target, buckets) -> None:
    # Sixteen fields do not read as sixteen lines: first the fields side by side over the
    # whole window (sorted, worst first, value on each bar), then one small chart per field.
    whole = pd.DataFrame(
        [
            {"name": name, "value": kpis.value(frame.sum(numeric_only=True).to_frame().T, kpi).iloc[0], "volume": kpis.volume(frame, kpi).sum()}
            for name, frame in series.items()
        ]
    ).dropna(subset=["value"])
    whole = whole.sort_values(["value", "volume"], ascending=[kpi.higher_is_better, False])
    st.markdown(f"**{t('Các lĩnh vực trong cả giai đoạn', 'Fields over the whole window')}** · {buckets[0].label(lang())} – {buckets[-1].label(lang())}")
    st.plotly_chart(
        charts.unit_bars(whole, kpi, lang(), target[0] if target else None, height=max(300, 60 + 34 * len(whole)), font_size=15, colour=charts.PALETTE[0]),
        key="split_bars",
    )
    by_volume = sorted(drawn, key=lambda n: -kpis.volume(series[n], kpi).sum())
    st.markdown(f"**{t('Từng lĩnh vực theo thời gian (nhiều hồ sơ trước)', 'Each field over time (largest first)')}**")
    st.plotly_chart(charts.small_multiples({n: drawn[n] for n in by_volume}, kpi, lang(), target[0] if target else None), key="trend")


def figures_table(drawn: dict, kpi: kpis.Kpi, file_stem: str) -> None:
    """The figures behind the chart: one row per period and series, with its volume."""
    rows = []
    for name, frame in drawn.items():
        values = kpis.value(frame, kpi)
        for label, value, volume in zip(frame["label"], values, kpis.volume(frame, kpi)):
            rows.append((label, name, value, volume))
    long = pd.DataFrame(rows, columns=["label", "series", "value", "volume"])
    with st.expander(t("Số liệu của biểu đồ", "Figures behind the chart"), expanded=len(drawn) == 1):
        table(
            [
                Col("Kỳ", "Period", long["label"]),
                Col("Đơn vị / nhóm", "Unit / group", long["series"]),
                Col(kpi.label_vi, kpi.label_en, long["value"], kpi.column_kind),
                Col(f"Số lượng ({kpi.volume_noun_vi})", f"Volume ({kpi.volume_noun_en})", long["volume"], "int"),
            ],
            file_stem,
            "trend",
        )
