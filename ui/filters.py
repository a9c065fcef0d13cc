"""The global filter bar: period, comparison and scope, each bound to a URL parameter.

Every view is a shareable link: `?period=2026-Q3&cmp=yoy&scope=760&lang=en`. Streamlit drops
a bound parameter whose value is not an offered option, so a crafted link falls back to
the defaults instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import streamlit as st

from domain import units as unit_tree
from metrics import periods
from ui import data, url_state
from ui.i18n import lang, t

CITY_CODE_DEFAULT = "79"
KINDS = {
    "month": ("Tháng", "Month"),
    "week": ("Tuần", "Week"),
    "quarter": ("Quý", "Quarter"),
    "half": ("6 tháng", "6 months"),
    "nine_months": ("9 tháng", "9 months"),
    "year": ("Năm", "Year"),
    "reporting_month": ("Kỳ báo cáo 15–14", "Reporting month 15th–14th"),
    "custom": ("Tùy chọn", "Custom range"),
}
COMPARE = {"prev": ("Kỳ trước", "Previous period"), "yoy": ("Cùng kỳ năm trước", "Same period last year")}


@dataclass(frozen=True)
class Filters:
    period: periods.Period
    compare: periods.Period
    compare_mode: str
    scope_code: str  # the city's code, or one district's
    city_code: str
    lang: str

    @property
    def is_city(self) -> bool:
        return self.scope_code == self.city_code


def city_code(units) -> str:
    top = units[units["parent_code"].isna()]
    if "valid_to" in top and top["valid_to"].isna().any():  # a former province merged into the city is a top unit too
        top = top[top["valid_to"].isna()]
    return str(top["code"].iloc[0]) if len(top) else CITY_CODE_DEFAULT


def period_keys(kind: str, first_day: date, last_day: date) -> list[str]:
    """Complete periods of a kind inside the data, newest first."""
    keys = []
    for year in range(last_day.year, first_day.year - 1, -1):
        for key in _keys_of_year(kind, year):
            period = periods.parse_period(key)
            if period.start >= first_day and period.end <= last_day:
                keys.append(key)
    return keys


def _keys_of_year(kind: str, year: int) -> list[str]:
    if kind == "week":  # ISO weeks of the ISO year (28 December is always in its last week)
        return [f"{year}-W{w:02d}" for w in range(date(year, 12, 28).isocalendar().week, 0, -1)]
    return {
        "month": [f"{year}-{m:02d}" for m in range(12, 0, -1)],
        "reporting_month": [f"R{year}-{m:02d}" for m in range(12, 0, -1)],
        "quarter": [f"{year}-Q{q}" for q in range(4, 0, -1)],
        "half": [f"{year}-H2", f"{year}-H1"],
        "nine_months": [f"{year}-9M"],
        "year": [str(year)],
    }[kind]


def _kind_in_url() -> str:
    """A link may carry just `period=2026-Q3` or `range=…`: its kind follows from the value."""
    if "range" in st.query_params:
        return "custom"
    try:
        return periods.parse_period(st.query_params.get("period", "")).kind
    except ValueError:
        return "month"


def _custom_range(sidebar, first_day: date, last_day: date, default: tuple[date, date]) -> periods.Period:
    """A date range kept in the URL as `range=2026-03-01..2026-04-15`."""
    if "range" not in st.session_state:
        try:
            parsed = periods.parse_period(st.query_params.get("range", ""))
            st.session_state["range"] = (max(parsed.start, first_day), min(parsed.end, last_day))
        except ValueError:
            st.session_state["range"] = default
    chosen = sidebar.date_input(
        t("Từ ngày – đến ngày", "From – to"), min_value=first_day, max_value=last_day, format="DD/MM/YYYY", key="range"
    )
    # While the user has picked only the first day, the range is that one day.
    start, end = (tuple(chosen) + tuple(chosen))[:2] if chosen else default
    period = periods.parse_period(f"{start.isoformat()}..{end.isoformat()}")
    st.query_params["range"] = period.key
    return period


def filter_bar() -> Filters | None:
    """Draw the bar in the sidebar and return the chosen filters (None when there is no data)."""
    key = data.db_key()
    units = data.units(key)
    extent = data.data_extent(key)
    if extent["last_day"] is None or units.empty:
        return None
    city = city_code(units)
    first_day, last_day = extent["first_day"], extent["last_day"]
    # The latest complete month is the default: a month still running reads as a drop.
    last_complete = periods.latest_complete_month(last_day + timedelta(days=1)).end

    # One keyed container: a page the filters do not apply to hides it (frame.hide_filter_bar)
    # while the widgets, and so the choices, stay alive for the next page.
    sidebar = st.sidebar.container(key="filter-bar")
    sidebar.subheader(t("Bộ lọc", "Filters"))
    if "pk" not in st.query_params and (url_state.arrived("period") or url_state.arrived("range")):
        st.session_state["pk"] = _kind_in_url()  # a link naming only its period: the type follows
    kind = url_state.selectbox(
        sidebar, t("Loại kỳ", "Period type"), list(KINDS), key="pk", default=_kind_in_url(), format_func=lambda k: t(*KINDS[k])
    )
    if kind == "custom":
        period = _custom_range(sidebar, first_day, last_day, (last_complete.replace(day=1), last_complete))
    else:
        # Weeks end inside a month: the latest complete week is the default, not the month's.
        last_whole = last_day if kind == "week" else last_complete
        options = period_keys(kind, first_day, last_whole) or period_keys(kind, first_day, last_day)
        if not options:
            sidebar.warning(t("Chưa có kỳ trọn vẹn loại này.", "No complete period of this type yet."))
            options = [periods.latest_complete_month(last_day + timedelta(days=1)).key]
        # Always in the link: the period type is read back from it (`_kind_in_url`).
        key_chosen = url_state.selectbox(
            sidebar, t("Kỳ", "Period"), options, key="period", keep=True, format_func=lambda k: periods.parse_period(k).label(lang())
        )
        period = periods.parse_period(key_chosen)
    compare_mode = url_state.radio(sidebar, t("So sánh với", "Compare with"), list(COMPARE), key="cmp", format_func=lambda k: t(*COMPARE[k]))
    compare = periods.previous_period(period) if compare_mode == "prev" else periods.same_period_last_year(period)

    scope_names = scope_options(units, city)
    if not scope_names:
        from domain.access import OutOfScope

        raise OutOfScope(vi="Tài khoản của bạn chưa gắn với đơn vị hợp lệ; liên hệ quản trị viên.", en="Your account is not attached to a valid unit; ask an administrator.")
    scope = url_state.selectbox(sidebar, t("Phạm vi", "Scope"), list(scope_names), key="scope", format_func=scope_names.get)
    filters = Filters(period=period, compare=compare, compare_mode=compare_mode, scope_code=scope, city_code=city, lang=lang())
    st.session_state["_filters"] = filters
    return filters


def scope_options(units, city: str) -> dict[str, str]:
    """The scopes the signed-in viewer may pick: the city and every district for full access;
    for a district chair or a department head only their own unit (other districts reach
    them only as aggregates, in the rankings and the city map)."""
    from ui.auth import current_viewer

    viewer = current_viewer()
    if viewer.full_access:
        districts = unit_tree.children(units, city, levels=("district",))
        return {city: t("Toàn thành phố", "Whole city"), **dict(zip(districts["code"], districts["name"]))}
    names = dict(zip(units["code"], units["name"]))
    return {viewer.unit_code: names[viewer.unit_code]} if viewer.unit_code in names else {}


def current() -> Filters | None:
    """The filters app.py drew for this run."""
    return st.session_state.get("_filters")
