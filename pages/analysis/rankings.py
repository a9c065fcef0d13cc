"""Xếp hạng: league tables of districts, wards and departments, ranked fairly.

A ward with 3 of 3 satisfied must not outrank one with 2,980 of 3,000, so the default order
is the Wilson lower bound (or empirical-Bayes shrinkage); the plain rate order is offered
and labelled as such. Every choice is a URL parameter, so a view is a shareable link.
"""

import pandas as pd
import streamlit as st

from domain import units as unit_tree
from metrics import kpis, ranking, service_index
from ui import auth, data, url_state
from ui.filters import current, restated_caption, units_of
from ui.i18n import lang, t
from ui.rankings import FORMER_LEVELS, INDEX, LEVELS, METHODS, TWO_TIER_LEVELS, RankingView, index_table, kpi_table

filters = current()
units = units_of(filters)
period, compare, city = filters.period, filters.compare, filters.city_code
names = {**dict(zip(units["code"], units["name"])), **{code: name for code, (name, _) in filters.areas.items()}}
districts = unit_tree.children(units, city, levels=("district",))
two_tier = districts.empty  # today's city: wards directly under it
# Units outside the viewer's own appear here only as district (or department) totals, with no profile link.
own = data.own_codes(auth.current_viewer())
st.title(t("Xếp hạng", "Rankings"))
st.caption(f"{period.label(lang())} · {t('so với', 'compared with')} {compare.label(lang())}")

# --- choices (each bound to a URL parameter) -------------------------------------------------
left, middle, right = st.columns([2, 3, 3])
scope_level = units.set_index("code")["level"].get(filters.scope_code)
if two_tier:
    default_level = "departments" if scope_level == "department" else ("area_wards" if filters.is_area else "all_wards")
else:
    default_level = "districts" if filters.is_city else ("departments" if scope_level == "department" else "wards")
offered = [k for k in (TWO_TIER_LEVELS if two_tier else FORMER_LEVELS) if k != "area_wards" or filters.areas]
level = url_state.selectbox(left, t("Xếp hạng", "Rank"), offered, key="level", default=default_level, format_func=lambda k: t(*LEVELS[k]))
kpi_options = [INDEX, *(k for k, v in kpis.KPIS.items() if v.kind != "count")]
kpi_id = url_state.selectbox(
    middle,
    t("Chỉ số", "Indicator"),
    kpi_options,
    key="kpi",
    default="satisfaction_rate",
    format_func=lambda k: t("Chỉ số phục vụ (tổng hợp)", "Service index (composite)") if k == INDEX else kpis.get(k).label(lang()),
)
if kpi_id == INDEX:
    versions = service_index.load_versions()
    version = url_state.selectbox(
        right,
        t("Phiên bản công thức", "Formula version"),
        versions,
        key="version",
        default=service_index.default_version_id(),
        format_func=lambda v: versions[v].label(lang()),
    )
    method = "raw"
else:
    kpi = kpis.get(kpi_id)
    method = url_state.selectbox(right, t("Cách xếp", "Order by"), METHODS, key="method", default=ranking.DEFAULT_METHOD, format_func=lambda k: t(*METHODS[k]))
    if kpi.kind != "rate":
        right.caption(t("Chỉ số này không phải tỷ lệ: xếp theo giá trị.", "Not a rate: ranked by its value."))

parent = city
if level == "area_wards":
    area_names = {code: name for code, (name, _) in filters.areas.items()}
    area = url_state.selectbox(
        st, t("Khu vực", "Area"), area_names, key="area_rank", default=filters.scope_code if filters.is_area else None, format_func=area_names.get
    )
    parent = area
if level == "wards":
    if filters.is_city:
        district_names = dict(zip(districts["code"], districts["name"]))
        parent = url_state.selectbox(st, t("Quận/huyện", "District"), district_names, key="district", format_func=district_names.get)
    else:
        parent = filters.scope_code
# The units of the table, and what their counts roll up from.
if level == "districts":
    codes = list(districts["code"])
elif level == "wards":
    codes = list(unit_tree.children(units, parent, levels=("ward",))["code"])
elif level == "area_wards":
    codes = list(filters.areas[parent][1])
elif level == "all_wards":
    inside = set(filters.codes) if filters.is_area else set(unit_tree.subtree_codes(units, city if two_tier else filters.scope_code))
    codes = [c for c in units.loc[units["level"] == "ward", "code"] if c in inside]
else:
    codes = list(unit_tree.children(units, city, levels=("department",))["code"])
if two_tier:  # a ward's group: the former district most of it came from
    former = data.former_areas()
    district_of = dict(zip(former["code"], former["district_code"]))
    names = {**{c: f"{n} ({t('cũ', 'former')})" for c, n in zip(data.units()["code"], data.units()["name"])}, **names}
else:
    district_of = unit_tree.group_under(units, city).to_dict()


def rows_for(counts: pd.DataFrame) -> pd.DataFrame:
    """One row per unit of the table (zeros for a unit without data, so it still shows)."""
    if level in ("districts", "wards"):
        counts = unit_tree.roll_up(counts, units, parent)
    counts = counts[counts["unit_code"].isin(codes)]
    frame = pd.DataFrame({"unit_code": codes}).merge(counts, on="unit_code", how="left")
    numeric = [c for c in frame.columns if c != "unit_code"]
    frame[numeric] = frame[numeric].fillna(0)
    return frame


now = rows_for(data.kpi_counts(period.start, period.end, None, by_unit=True, restated=filters.restated))
before_counts = data.kpi_counts(compare.start, compare.end, None, by_unit=True, restated=filters.restated)
before = rows_for(before_counts)
if now.drop(columns="unit_code").to_numpy().sum() == 0:
    st.info(t("Không có số liệu trong kỳ này cho các đơn vị đã chọn.", "No data in this period for the chosen units."), icon=":material/event_busy:")
    st.stop()

where = (
    names.get(parent, "")
    if level in ("wards", "area_wards")
    else (t("Toàn thành phố", "Whole city") if two_tier and level == "all_wards" and not filters.is_area else filters.scope_name)
)
level_words = t(*LEVELS[level]).lower() if level not in ("wards", "area_wards") else t("phường/xã", "wards")
file_stem = f"{t('Xếp hạng', 'Ranking')} · {kpi_id} · {level} · {where} · {period.key}"
group_words = ("Khu vực cũ", "Former area") if two_tier else ("Quận/huyện", "District")
view = RankingView(names, level, district_of, data.targets(period.end), own, file_stem, level_words, where, group_words)
restated_caption(before_counts)
if kpi_id == INDEX:
    index_table(view, now, before, version)
else:
    kpi_table(view, now, before, kpi, method)
