"""The global filter bar: period, comparison and scope, each bound to a URL parameter.

Every view is a shareable link: `?period=2026-Q3&cmp=yoy&scope=760&lang=en`. Streamlit drops
a bound parameter whose value is not an offered option, so a crafted link falls back to
the defaults instead of failing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import streamlit as st

from domain import units as unit_tree
from domain.units import AREA_PREFIX
from metrics import periods
from ui import data, url_state
from i18n.format import fmt_date
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
# Which units a period before a reform is shown on: today's (its history restated along the
# crosswalk, the default) or those in force at the time (the former districts and wards).
LAYOUTS = {"today": ("Đơn vị hiện nay", "Today's units"), "then": ("Đơn vị thời kỳ đó", "Units of the time")}


@dataclass(frozen=True)
class Filters:
    period: periods.Period
    compare: periods.Period
    compare_mode: str
    scope_code: str  # the city's code, one unit's, or an area's ("area:760")
    city_code: str
    lang: str
    layout: str = "today"  # LAYOUTS
    layout_day: date | None = None  # the day whose units the views show
    codes: tuple[str, ...] | None = None  # the units the scope counts (None: the whole city)
    scope_name: str = ""
    # The units shown were formed by the latest reform: figures of periods before it are
    # restated onto them (data layer, `restated=`). False on a former layout.
    restated: bool = False
    areas: dict = field(default_factory=dict)  # "area:CODE" -> (name, member codes): `areas`

    @property
    def is_city(self) -> bool:
        return self.scope_code == self.city_code

    @property
    def is_area(self) -> bool:
        return self.scope_code.startswith(AREA_PREFIX)


def city_code() -> str:
    """The province the dashboard serves."""
    return data.home_city() or CITY_CODE_DEFAULT


def layout_units(day: date):
    """The units in force on `day`: the tree every view walks for the chosen layout."""
    return data.layout(day)


def areas(day: date) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Groupings of the units in force on `day` by where they came from (data.areas_on):
    "area:CODE" -> (name, members)."""
    return {AREA_PREFIX + code: (f"{t('Khu vực', 'Area')} {name} ({t('cũ', 'former')})", members) for code, name, members in data.areas_on(day)}


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
    chosen = sidebar.date_input(t("Từ ngày – đến ngày", "From – to"), min_value=first_day, max_value=last_day, format="DD/MM/YYYY", key="range")
    # While the user has picked only the first day, the range is that one day.
    start, end = (tuple(chosen) + tuple(chosen))[:2] if chosen else default
    period = periods.parse_period(f"{start.isoformat()}..{end.isoformat()}")
    st.query_params["range"] = period.key
    return period


def filter_bar() -> Filters | None:
    """Draw the bar in the sidebar and return the chosen filters (None when there is no data)."""
    all_units = data.units()
    extent = data.data_extent()
    if extent["last_day"] is None or all_units.empty:
        return None
    city = city_code()
    first_day, last_day = extent["first_day"], extent["last_day"]
    # The latest complete month is the default: a month still running reads as a drop.
    last_complete = periods.latest_complete_month(last_day + timedelta(days=1)).end

    # One keyed container: a page the filters do not apply to hides it (frame.hide_filter_bar)
    # while the widgets, and so the choices, stay alive for the next page.
    sidebar = st.sidebar.container(key="filter-bar")
    sidebar.subheader(t("Bộ lọc", "Filters"))
    if "pk" not in st.query_params and (url_state.arrived("period") or url_state.arrived("range")):
        st.session_state["pk"] = _kind_in_url()  # a link naming only its period: the type follows
    kind = url_state.selectbox(sidebar, t("Loại kỳ", "Period type"), list(KINDS), key="pk", default=_kind_in_url(), format_func=lambda k: t(*KINDS[k]))
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

    # Before a reform the user chooses the units: today's (history restated) or those of the time.
    reforms = data.reform_days()
    layout = "today"
    if reforms and min(period.start, compare.start) < reforms[-1]:
        layout = url_state.segmented(sidebar, t("Hiển thị theo", "Show by"), list(LAYOUTS), key="layout", format_func=lambda k: t(*LAYOUTS[k]))
    layout_day = max(extent["last_day"], period.end) if layout == "today" else period.end
    units = layout_units(layout_day)
    grouped = areas(layout_day) if layout == "today" else {}

    scope_names = scope_options(units, city, grouped)
    if not scope_names:
        from domain.access import OutOfScope

        raise OutOfScope(
            vi="Tài khoản của bạn chưa gắn với đơn vị hợp lệ; liên hệ quản trị viên.", en="Your account is not attached to a valid unit; ask an administrator."
        )
    scope = url_state.selectbox(sidebar, t("Phạm vi", "Scope"), list(scope_names), key="scope", format_func=scope_names.get)
    if scope == city:
        codes = None
    elif scope in grouped:
        codes = grouped[scope][1]
    else:
        codes = unit_tree.subtree_codes(units, scope)
    filters = Filters(
        period=period,
        compare=compare,
        compare_mode=compare_mode,
        scope_code=scope,
        city_code=city,
        lang=lang(),
        layout=layout,
        layout_day=layout_day,
        codes=codes,
        scope_name=grouped[scope][0] if scope in grouped else unit_tree.name_of(all_units, scope),
        restated=bool(reforms) and layout_day >= reforms[-1],
        areas=grouped,
    )
    st.session_state["_filters"] = filters
    return filters


def scope_options(units, city: str, grouped: dict | None = None) -> dict[str, str]:
    """The scopes the signed-in viewer may pick. Full access: the city, the areas of today's
    units (`areas`), and every unit directly under the city (the 168 wards today; the
    districts in a former layout). A restricted viewer: an area leader their area, then the
    topmost of their own units in the layout (their ward; an area's units; in a former layout
    the former wards their ward came from); others reach them only as aggregates."""
    from ui.auth import current_viewer

    viewer = current_viewer()
    if viewer.full_access:
        below = unit_tree.children(units, city, levels=("district", "ward"))
        return {
            city: t("Toàn thành phố", "Whole city"),
            **{code: name for code, (name, _) in (grouped or {}).items()},
            **dict(zip(below["code"], below["name"])),
        }
    own = data.own_codes(viewer) or frozenset()
    area = f"{AREA_PREFIX}{viewer.unit_code}"
    options = {area: grouped[area][0]} if area in (grouped or {}) else {}
    tops = units[units["code"].isin(own) & ~units["parent_code"].isin(own)].sort_values("name", key=lambda names: names.map(unit_tree.natural_key))
    return {**options, **dict(zip(tops["code"], tops["name"]))}


def current() -> Filters | None:
    """The filters app.py drew for this run."""
    return st.session_state.get("_filters")


# --- what the pages read of the chosen scope and layout ---------------------------------------


def units_of(filters: Filters):
    """The units of the chosen layout (today's, or those in force at the period's end)."""
    return layout_units(filters.layout_day or filters.period.end)


def children_of(filters: Filters, units):
    """The units one level below the scope: the city's 168 wards today (its districts in a
    former layout), an area's units, a district's wards."""
    if filters.is_area:
        return units[units["code"].isin(filters.codes or ())].sort_values("name", key=lambda names: names.map(unit_tree.natural_key))
    return unit_tree.children(units, filters.scope_code, levels=("district", "ward"))


def children_counts(filters: Filters, units, by_unit):
    """Per-unit counts summed into the scope's children (a district counts its own office)."""
    parent = filters.city_code if filters.is_area else filters.scope_code
    children = children_of(filters, units)
    grouped = unit_tree.roll_up(by_unit, units, parent)
    return grouped[grouped["unit_code"].isin(children["code"])]


def children_word(children) -> str:
    return t("quận/huyện", "districts") if (children["level"] == "district").any() else t("phường/xã", "wards")


def restatement_of(*frames) -> str | None:
    """How the frames' figures before a reform were moved onto today's units (their
    attrs["restated"]): "approximate" if any was, else "exact" if any was, else None."""
    how = {frame.attrs.get("restated") for frame in frames} - {None}
    return "approximate" if "approximate" in how else next(iter(how), None)


def restated_caption(*frames) -> None:
    """Say when figures before a reform were moved onto today's units, and whether exactly."""
    how = restatement_of(*frames)
    if how is None:
        return
    day = fmt_date(data.reform_days()[-1], lang())
    if how == "approximate":
        st.caption(
            t(
                f":material/change_history: Số liệu trước {day} được quy đổi theo đơn vị hiện nay; có phường/xã cũ chia cho nhiều đơn vị mới nên là số gần đúng (theo tỷ lệ trong bảng chuyển đổi, hoặc theo diện tích).",
                f":material/change_history: Figures before {day} are restated on today's units; some former wards were split between new units, so they are approximate (by the crosswalk's shares, or by area).",
            )
        )
    else:
        st.caption(
            t(
                f":material/change_history: Số liệu trước {day} được quy đổi chính xác theo đơn vị hiện nay (các phường/xã cũ nhập nguyên vẹn).",
                f":material/change_history: Figures before {day} are restated exactly on today's units (the former wards merged whole).",
            )
        )
