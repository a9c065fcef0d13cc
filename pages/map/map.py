"""Bản đồ: the units of the time coloured by a KPI; click a unit for its profile (a former
district for its wards).

The map shows the layout in force at the end of the period: from July 2025 the units directly
under the city (168 in HCMC), before it the districts and their wards. Drill-down and the
view (whole city or its dense centre) live in the URL (`?area=760`, `?view=centre`), so
every map is a shareable link and a reload keeps it; the click only changes a parameter.
"""

import pandas as pd
import streamlit as st

from i18n.format import fmt_date, fmt_int
from metrics import kpis
from domain import units as unit_tree
from ui import auth, data, maps, url_state
from ui.filters import current, restated_caption, units_of
from ui.i18n import lang, t
from ui.plain import plain

# Above this many units the map offers its dense centre as a view of its own.
CENTRE_VIEW_FROM = 40
# The map's size on a 1920 x 1080 screen (wide layout, sidebar open): the zoom that fits the
# units and the names that fit are worked out for it.
MAP_WIDTH_PX, MAP_HEIGHT_PX = 1250, 720

filters = current()
units = data.units()
period = filters.period
present = units_of(filters)  # today's units (history restated), or those of the time
level_of = dict(zip(present["code"], present["level"]))

viewer = auth.current_viewer()
own = data.own_codes(viewer)  # None: every unit; else units outside are aggregates only
# A department has no map: its head starts from the city's map of districts.
area = st.query_params.get("area", filters.scope_code if level_of.get(filters.scope_code) in ("city", "district") else filters.city_code)
if area in set(units["code"]) and area not in level_of:  # a unit of the other layout (a former district after July 2025)
    row = units.set_index("code").loc[area]
    until = row.get("valid_to")
    when = (
        t(f"đến {fmt_date(until, 'vi')}", f"until {fmt_date(until, 'en')}")
        if pd.notna(until)
        else t(f"từ {fmt_date(row['valid_from'], 'vi')}", f"from {fmt_date(row['valid_from'], 'en')}")
    )
    st.info(
        t(
            f"{plain(row['name'])} chỉ có {when}, không có trong {period.label('vi')}. Đang hiển thị toàn thành phố.",
            f"{plain(row['name'])} exists only {when}, not in {period.label('en')}. Showing the whole city.",
        ),
        icon=":material/history:",
    )
    area = filters.city_code
elif level_of.get(area) not in ("city", "district"):
    st.error(
        t(
            f"Không có đơn vị mã “{plain(area[:40])}” để xem bản đồ. Đang hiển thị toàn thành phố.",
            f"No unit with code “{plain(area[:40])}” to map. Showing the whole city.",
        ),
        icon=":material/wrong_location:",
    )
    area = filters.city_code

trail = unit_tree.ancestors(units, area)
names = dict(zip(units["code"], units["name"]))
st.title(f"{t('Bản đồ', 'Map')} · {names[area]}")
st.markdown(" › ".join(f"[{names[code]}]({url_state.link('/map', area=code)})" if code != area else f"**{names[code]}**" for code in trail))

many = len(unit_tree.children(present, area, levels=maps.MAPPED_LEVELS)) >= CENTRE_VIEW_FROM
controls = st.columns([3, 2, 2] if many else [3, 2])
kpi_id = url_state.selectbox(
    controls[0],
    t("Chỉ số tô màu", "Colour by"),
    list(kpis.KPIS),
    key="kpi",
    default="satisfaction_rate",
    format_func=lambda k: kpis.get(k).label(lang()),
)
VIEWS = {"all": ("Toàn thành phố", "Whole city"), "centre": ("Trung tâm", "Centre")}
view = (
    url_state.segmented(controls[2], t("Khu vực", "Area shown"), list(VIEWS), key="view", default="all", format_func=lambda v: t(*VIEWS[v])) if many else "all"
)
# Names are drawn where they fit; the hover names every unit.
labels = url_state.toggle(controls[1], t("Hiện tên đơn vị trên bản đồ", "Show unit names on the map"), key="labels", default=True)
st.caption(f"{period.label(lang())} · {kpis.get(kpi_id).help(lang())}")

found = kpis.target_for(data.targets(period.end), kpi_id, area)
target = found[0] if found else None
frame = maps.area_figures(period, filters.layout_day or period.end, area, kpi_id, filters.restated, lang())
shapes = data.boundaries(tuple(frame["code"]))
if not shapes["geojson"]["features"]:
    st.warning(
        t(
            "Chưa có ranh giới cho các đơn vị này. Nạp ranh giới bằng lệnh: python -m geo import FILE --level ward",
            "No boundaries for these units yet. Load them with: python -m geo import FILE --level ward",
        ),
        icon=":material/map:",
    )
    st.stop()

chart_key = f"map-{area}-{kpi_id}-{view}"


def drill_down() -> None:
    """A click on a district: its wards' map comes in the run this click starts, not in a
    second run after st.rerun (half the wait on a loaded machine)."""
    points = st.session_state[chart_key]["selection"].get("points", [])
    code = next((p.get("location") for p in points if p.get("location")), None)
    if code and level_of.get(code) == "district" and (own is None or code in own):
        st.query_params["area"] = code


event = st.plotly_chart(
    maps.kpi_map(shapes, frame, kpi_id, labels, target=target, view=view, height_px=MAP_HEIGHT_PX, width_px=MAP_WIDTH_PX),
    on_select=drill_down,
    selection_mode="points",
    key=chart_key,
    config={"scrollZoom": True, "displaylogo": False},
)
former_layout = "valid_to" in present and present.loc[present["code"].isin(frame["code"]), "valid_to"].notna().any()
if shapes["approximate"]:
    st.caption(":material/info: " + maps.approximate_note(former_units=bool(former_layout)))
restated_caption(frame)
if former_layout:
    st.caption(
        t("Địa giới trước ngày 01/7/2025: quận, huyện và phường, xã, thị trấn cũ.", "The layout before 1 July 2025: the former districts and their wards.")
    )
if area == filters.city_code:
    st.caption(t("Các sở, ban, ngành không có trên bản đồ; xem ở trang Xếp hạng.", "City departments are not on the map; see Rankings."))

clicked = [point.get("location") for point in event.selection.get("points", []) if point.get("location")]
if clicked:
    code = clicked[0]
    if own is not None and code not in own:
        st.warning(
            t(
                f"{plain(names.get(code, code))} nằm ngoài phạm vi của bạn: chỉ xem được số liệu tổng hợp trên bản đồ này.",
                f"{plain(names.get(code, code))} is outside your scope: only its totals on this map are shown.",
            ),
            icon=":material/lock:",
        )
        st.stop()
    if level_of.get(code) == "district":
        st.query_params["area"] = code
        st.rerun()
    kept = {key: st.query_params[key] for key in url_state.GLOBAL_PARAMS if key in st.query_params}
    # The area goes along: the browser's Back from the profile then returns to this
    # district's map, not to the city's (the profile ignores it).
    st.switch_page("pages/analysis/unit_profile.py", query_params={**kept, "area": area, "unit": code})

kpi = kpis.get(kpi_id)
table = frame.sort_values(kpi_id, ascending=not kpi.higher_is_better, na_position="last")
st.dataframe(
    {
        t("Đơn vị", "Unit"): table["name"],
        kpi.label(lang()): [kpis.format_value(v, kpi, lang()) for v in table[kpi_id]],
        t("Số lượng", "Volume"): [fmt_int(v, lang()) for v in table[kpi.volume_column]],  # 24.191, not 24191
        t("Hồ sơ", "Profile"): [url_state.link("/unit", unit=code) if own is None or code in own else None for code in table["code"]],
    },
    column_config={t("Hồ sơ", "Profile"): st.column_config.LinkColumn(display_text=t("Xem", "Open"))},
    hide_index=True,
    width="stretch",
)
