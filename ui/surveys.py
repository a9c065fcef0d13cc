"""The "Khảo sát độc lập" panel: independent survey figures beside the device ratings.

Shown only where a survey covers exactly the scope (metrics.surveys.covering): a province's
survey is the city's figure, never a district's or a ward's. The device satisfaction it is
set against is that of the survey's own period and the same scope, and only when the device
data covers the whole period; the two figures are never blended.
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from i18n.format import fmt_delta_pct_points, fmt_int, fmt_num, fmt_pct
from metrics import kpis, surveys
from metrics.periods import parse_period
from ui import data
from ui.i18n import lang, t


def value_text(value: float, scale: str, scale_max=None, language: str = "vi") -> str:
    """83,94% · 11/63 · 4,12/10 · 18.894 (as published: no more decimals than given)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    decimals = 0 if float(value).is_integer() else (1 if round(value, 1) == round(value, 2) else 2)
    number = fmt_num(value, language, decimals)
    has_max = scale_max is not None and not (isinstance(scale_max, float) and math.isnan(scale_max))
    if scale == "percent":
        return f"{number}%"
    if scale == "count":
        return fmt_int(value, language)
    return f"{number}/{fmt_num(scale_max, language, 0)}" if has_max else number


def device_satisfaction(start, end, codes) -> tuple[float, int] | None:
    """(satisfaction rate, ratings) of the devices in [start, end] for the scope, or None when
    the device data does not cover the whole period."""
    extent = data.data_extent()
    if extent["first_day"] is None or start < extent["first_day"] or end > extent["last_day"]:
        return None
    counts = data.kpi_counts(start, end, codes)
    rate = kpis.total(counts, "satisfaction_rate")
    return (rate, int(counts["ratings"].sum())) if not math.isnan(rate) else None


@data.derived(max_entries=64)
def _latest_covering(scope_code: str, city_code: str) -> pd.DataFrame:
    """The latest result of each source that covers exactly this scope (read on every overview)."""
    return surveys.latest_by_source(surveys.covering(data.surveys(), scope_code, city_code))


def panel(scope_code: str, city_code: str, codes) -> None:
    """The panel for one scope (nothing at all when no survey covers it)."""
    latest = _latest_covering(scope_code, city_code)
    if latest.empty:
        return
    st.subheader(t("Khảo sát độc lập", "Independent surveys"))
    st.caption(
        t(
            "Kết quả khảo sát độc lập của đúng phạm vi này, đặt cạnh đánh giá trên thiết bị cùng kỳ; hai nguồn không được cộng gộp.",
            "Independent survey results for exactly this scope, set beside the device ratings of the same period; the two are never combined.",
        )
    )
    for column, row in zip(st.columns(min(len(latest), 3)), latest.head(3).itertuples()):
        period = parse_period(row.period)
        survey_text = value_text(row.value, row.scale, row.scale_max, lang())
        device = device_satisfaction(period.start, period.end, codes)
        with column.container(border=True):
            st.markdown(f"**{surveys.source_label(row.source, lang())}** · {period.label(lang())}")
            st.metric(surveys.indicator_label(row.indicator, lang()), survey_text)
            notes = []
            if pd.notna(row.sample_size):
                notes.append(t(f"cỡ mẫu {fmt_int(row.sample_size, 'vi')} phiếu", f"sample of {fmt_int(row.sample_size, 'en')}"))
            if device is not None:
                gap = surveys.gap_points(row.value, device[0])
                st.markdown(
                    t(
                        f"thiết bị {fmt_pct(device[0], 'vi')} — khảo sát độc lập {survey_text}",
                        f"devices {fmt_pct(device[0], 'en')} — independent survey {survey_text}",
                    )
                    + f" (**{fmt_delta_pct_points(gap / 100, lang())}**)"
                )
                notes.append(
                    t(f"thiết bị: {fmt_int(device[1], 'vi')} lượt đánh giá cùng kỳ", f"devices: {fmt_int(device[1], 'en')} ratings in the same period")
                )
            else:
                notes.append(t(f"chưa có số liệu thiết bị cho cả {period.label('vi')}", f"no device figures for the whole of {period.label('en')}"))
            if surveys.is_generated(row._asdict()):
                notes.append(t(":orange-badge[Dữ liệu mẫu sinh tự động]", ":orange-badge[Generated demo data]"))
            st.caption(" · ".join(notes), help=row.method_note or None)
