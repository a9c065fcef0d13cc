"""Hồ sơ đơn vị: one page for any unit, from a deep link `/unit?unit=26734`.

Figures of a unit are those of its subtree (a district counts its own office and its wards).
The unit code comes from the URL and is checked against the units table before anything
is drawn: an unknown or hostile value gets a clear message and a way back, never a traceback.
"""

import re

import pandas as pd
import streamlit as st

from domain import access
from domain.vocab import UNIT_LEVELS
from metrics import kpis
from domain import units as unit_tree
from ui import alerts, auth, cards, charts, data, surveys, trends, unit_profile, url_state
from ui.filters import current, layout_units, restated_caption
from ui.i18n import lang, t

filters = current()
all_units = data.units()  # every version: a former ward keeps its profile and its history
units = all_units
period, compare = filters.period, filters.compare
names = dict(zip(units["code"], units["name"]))

# --- which unit: validated before use --------------------------------------------------------
raw = st.query_params.get("unit")
if raw is not None and raw not in names:
    shown = re.sub(r"[^0-9A-Za-z._-]", "?", str(raw))[:40] or "?"
    st.title(t("Hồ sơ đơn vị", "Unit profile"))
    st.error(
        t(
            f"Không có đơn vị nào mang mã «{shown}». Mã đơn vị là mã thống kê của đơn vị hành chính "
            "(ví dụ 26734 là Phường Tân Định); hãy mở hồ sơ từ bảng xếp hạng, bản đồ, hoặc chọn đơn vị bên dưới liên kết này.",
            f"There is no unit with code “{shown}”. A unit code is the official statistics code "
            "(for example 26734 is Phường Tân Định); open a profile from a ranking or the map, or pick a unit after following this link.",
        ),
        icon=":material/search_off:",
    )
    st.markdown(
        f"[{t('← Chọn đơn vị khác', '← Pick another unit')}]({url_state.link('unit', unit=filters.scope_code)}) · [{t('Về trang tổng quan', 'Back to the overview')}]({url_state.link('overview')})"
    )
    st.stop()


choice_labels = unit_profile.choice_labels(lang())
viewer = auth.current_viewer()
own = data.own_codes(viewer)  # a profile shows officers and dossiers: own units only
if raw is not None and own is not None and raw not in own:
    st.title(t("Hồ sơ đơn vị", "Unit profile"))
    st.error(access.OutOfScope().text(lang()), icon=":material/lock:")
    st.stop()
listed = units if own is None else units[units["code"].isin(own)]
# Today's units first, then the former ones, each by level.
order = listed.assign(_f=listed["valid_to"].notna(), _l=listed["level"].map({"city": 0, "district": 1, "ward": 2, "department": 3})).sort_values(
    ["_f", "_l", "code"]
)
code = url_state.selectbox(
    st.sidebar, t("Hồ sơ của đơn vị", "Profile of"), order["code"], key="unit", default=filters.scope_code, keep=True, format_func=choice_labels.get
)
unit = units.set_index("code").loc[code]
name, level = str(unit["name"]), str(unit["level"])
# The tree of the unit's own time: today's layout for a unit in force, else the layout of its last day.
in_layout = code in set(layout_units(filters.layout_day)["code"])
# Outside the chosen layout: a former unit's last day, or a later unit's first.
own_day = unit["valid_to"] if pd.notna(unit["valid_to"]) else unit["valid_from"]
layout_day = filters.layout_day if in_layout or pd.isna(own_day) else pd.Timestamp(own_day).date()
units = layout_units(layout_day)
restated = filters.restated and in_layout
subtree = unit_tree.subtree_codes(units, code)
# The city's figures are everything: no unit filter (the same cache entries as the overview's).
scope = None if code == filters.city_code else subtree
chain = unit_tree.ancestors(units, code)
parent = chain[-2] if len(chain) > 1 else None

st.title(f"{t('Hồ sơ đơn vị', 'Unit profile')} · {name}")
crumbs = [f"[{names[c]}]({url_state.link('unit', unit=c)})" if own is None or c in own else names[c] for c in chain[:-1]]
level_word = t(*UNIT_LEVELS.get(level, (level, level)))
st.caption(
    " › ".join(crumbs + [name])
    + f" · {level_word} · {t('mã', 'code')} {code} · {period.label(lang())} · {t('so với', 'compared with')} {compare.label(lang())}"
)
links = []
if parent and (own is None or parent in own):
    links.append(f"[{t('↑ Đơn vị cấp trên', '↑ Parent unit')}: {names[parent]}]({url_state.link('unit', unit=parent)})")
map_area = code if level in ("city", "district") else (parent if level == "ward" else None)
if map_area:
    links.append(f"[{t('Bản đồ', 'Map')}]({url_state.link('map', area=map_area)})")
if level == "ward" and parent == filters.city_code:  # today's ward: ranked among all the city's wards
    ranking_link = url_state.link("rankings", level="all_wards")
elif level in ("district", "ward"):
    ranking_link = url_state.link("rankings", level="wards", district=code if level == "district" else parent)
else:  # the city: its districts, or its wards where it has no districts (since July 2025)
    has_districts = len(unit_tree.children(units, code, levels=("district",))) > 0
    ranking_link = url_state.link("rankings", level="districts" if has_districts else "all_wards")
links.append(f"[{t('Xếp hạng', 'Rankings')}]({ranking_link})")
st.markdown(" · ".join(links))
unit_profile.lineage_panel(code, all_units, data.lineage())

now = data.kpi_counts(period.start, period.end, scope)
before = data.kpi_counts(compare.start, compare.end, scope, restated=restated)

# --- alerts first: that is what a leader opens a profile for -----------------------------------
found = alerts.find_alerts(period, None, restated)
mine = found[found["unit_code"].isin(subtree)] if not found.empty else found
if not mine.empty:
    st.subheader(t("Cảnh báo", "Alerts"))
    alerts.alert_list(mine, units, targets=data.targets(period.end))


# --- KPI cards and the trend against the parent and the city ------------------------------------
sparklines = trends.sparklines(period, scope, restated, lang())
targets = data.targets(period.end)
cards.kpi_row(kpis.HEADLINE_KPIS, now, before, targets, code, sparklines)
surveys.panel(code, filters.city_code, scope)

compared = {name: scope}  # each line's units
if parent and parent != filters.city_code:
    compared[names[parent]] = unit_tree.subtree_codes(units, parent)
if code != filters.city_code:
    compared[names[filters.city_code]] = None
restated_frames = [before, *(trends.trend_table(period, codes, restated, lang()) for codes in compared.values())]
st.subheader(
    t("Xu hướng so với cấp trên và toàn thành phố", "Trend against the parent unit and the city")
    if len(compared) > 1
    else t("Xu hướng 12 kỳ gần nhất", "Trend over the last 12 periods")
)
for column, kpi_id in zip(st.columns(len(kpis.LEAD_RATES)), kpis.LEAD_RATES):
    kpi = kpis.get(kpi_id)
    series = {n: trends.kpi_line(period, codes, restated, lang(), kpi_id) for n, codes in compared.items()}
    target = kpis.target_for(targets, kpi_id, code)
    with column:
        st.markdown(f"**{kpi.label(lang())}**", help=kpi.help(lang()))
        st.plotly_chart(charts.trend_figure(series, kpi, lang(), target[0] if target else None, reforms=data.reform_days()), key=f"profile_trend_{kpi_id}")
restated_caption(*restated_frames)
st.markdown(f"[{t('Xem xu hướng chi tiết', 'Open the detailed trend')}]({url_state.link('trends', units=code)})")

by_unit = data.kpi_counts(period.start, period.end, None, by_unit=True, restated=restated)
profile = unit_profile.Profile(
    units, names, period, code, name, level, parent, scope, subtree, len(subtree) > 1, f"{name} · {period.key}", targets, by_unit, viewer, layout_day, restated
)
unit_profile.children_or_siblings(profile)
unit_profile.by_field_and_procedure(profile)
unit_profile.officers(profile)
unit_profile.dossier_lists(profile)
unit_profile.slow_steps(profile)
unit_profile.dissatisfied_reasons(profile)
unit_profile.commitments(profile)
