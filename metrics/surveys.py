"""Independent surveys beside the device ratings: vocabulary, what covers a scope, the gap.

Pure Python. A survey row (data_access.schema.surveys) covers a province ("VN" for the
whole country) or, when the survey is that fine, one unit. A province-level figure is the
province's, never a district's or a ward's: `covering` returns only rows whose coverage
is exactly the scope asked for.
"""

from __future__ import annotations

from i18n.text import pick

import math

import pandas as pd

NATIONAL = "VN"

# source id: (Vietnamese, English, who publishes it)
SOURCES = {
    "sipas": ("SIPAS", "SIPAS", "Bộ Nội vụ — Chỉ số hài lòng về sự phục vụ hành chính"),
    "papi": ("PAPI", "PAPI", "UNDP, CECODES, MTTQ — Chỉ số hiệu quả quản trị và hành chính công cấp tỉnh"),
    "par_index": ("PAR Index", "PAR Index", "Bộ Nội vụ — Chỉ số cải cách hành chính"),
    "mttq": ("Mặt trận Tổ quốc", "Fatherland Front", "Ủy ban MTTQ Việt Nam — khảo sát độc lập"),
    "city": ("Khảo sát của thành phố", "The city's own survey", "Khảo sát do thành phố tổ chức"),
}
# indicator id: (Vietnamese, English, the scale it is read on)
INDICATORS = {
    "satisfaction": ("Tỷ lệ hài lòng", "Satisfaction", "percent"),
    "satisfaction_rank": ("Xếp hạng hài lòng", "Satisfaction rank", "rank"),
    "papi_dimension": ("Điểm nội dung PAPI", "PAPI dimension score", "score"),
    "papi_total": ("Điểm tổng hợp PAPI", "PAPI total score", "score"),
    "par_index": ("Điểm PAR Index", "PAR Index score", "percent"),
    "par_rank": ("Xếp hạng PAR Index", "PAR Index rank", "rank"),
    "respondents": ("Số người trả lời", "Respondents", "count"),
}
SCALES = {"percent": ("%", "%"), "score": ("điểm", "points"), "rank": ("hạng", "rank"), "count": ("người", "people")}
# The eight PAPI dimensions (UNDP's published names), in their usual order.
PAPI_DIMENSIONS = (
    "Tham gia của người dân ở cấp cơ sở",
    "Công khai, minh bạch trong ra quyết định",
    "Trách nhiệm giải trình với người dân",
    "Kiểm soát tham nhũng trong khu vực công",
    "Thủ tục hành chính công",
    "Cung ứng dịch vụ công",
    "Quản trị môi trường",
    "Quản trị điện tử",
)
GENERATED_MARK = "DỮ LIỆU MẪU SINH TỰ ĐỘNG"


def source_label(source: str, lang: str = "vi") -> str:
    vi, en, _ = SOURCES.get(source, (source, source, ""))
    return pick(lang, vi, en)


def indicator_label(indicator: str, lang: str = "vi") -> str:
    vi, en, _ = INDICATORS.get(indicator, (indicator, indicator, ""))
    return pick(lang, vi, en)


def is_generated(row) -> bool:
    return GENERATED_MARK in str(row.get("method_note") or "")


def survey_key(source: str, period: str, province_code: str, unit_code, indicator: str, dimension) -> str:
    """One survey figure: the same key in a later file replaces the figure (an upsert)."""

    def part(value) -> str:
        return "" if value is None or (isinstance(value, float) and math.isnan(value)) else " ".join(str(value).lower().split())

    return "|".join(part(v) for v in (source, period, province_code, unit_code, indicator, dimension))


def covering(surveys: pd.DataFrame, scope_code: str, city_code: str, province_code: str | None = None) -> pd.DataFrame:
    """The rows whose coverage is exactly the scope: for the city, its province-level rows
    (province_code = the city's province, no finer unit, or the city's own unit code);
    for any other unit, only rows naming that unit. Never a wider area's rows."""
    if surveys.empty:
        return surveys
    province_code = province_code or city_code
    unit = surveys["unit_code"]
    if scope_code == city_code:
        mask = ((surveys["province_code"] == province_code) & unit.isna()) | (unit == city_code)
    else:
        mask = unit == scope_code
    return surveys[mask]


def latest_by_source(rows: pd.DataFrame, indicator: str = "satisfaction") -> pd.DataFrame:
    """The latest headline figure of each source (no dimension), newest first."""
    if rows.empty:
        return rows
    headline = rows[(rows["indicator"] == indicator) & rows["dimension"].isna()]
    latest = headline.sort_values("period_end").groupby("source", as_index=False).tail(1)
    return latest.sort_values("period_end", ascending=False).reset_index(drop=True)


def gap_points(survey_percent: float, device_rate: float) -> float:
    """Survey (percent, 0-100) minus device satisfaction (a rate, 0-1), in percentage points."""
    if survey_percent is None or device_rate is None or any(math.isnan(float(x)) for x in (survey_percent, device_rate)):
        return math.nan
    return float(survey_percent) - float(device_rate) * 100.0


# Names of the areas a survey file names by code (the city's own name comes from the units table).
AREA_NAMES = {NATIONAL: ("Cả nước", "Whole country"), "01": ("Hà Nội", "Hanoi"), "79": ("TP. Hồ Chí Minh", "Ho Chi Minh City")}


def area_label(code: str, lang: str = "vi") -> str:
    vi, en = AREA_NAMES.get(code, (f"Tỉnh mã {code}", f"Province {code}"))
    return pick(lang, vi, en)


def by_year(rows: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """One row per (source, year) of a headline indicator (no dimension): source, year, value."""
    picked = rows[(rows["indicator"] == indicator) & rows["dimension"].isna()]
    return picked.assign(year=picked["period_end"].dt.year)[
        ["source", "year", "value", "scale_max", "sample_size", "province_code", "method_note"]
    ].sort_values(["source", "year"])
