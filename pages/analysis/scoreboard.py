"""Bảng chỉ số phục vụ: the service index (Decision 766) of every unit - city departments,
districts and communes/wards - for the chosen week, month, quarter or year, with its named
band, the change since the previous period and its weakest components, downloadable in the
layout the city publishes weekly. Counts come from the daily summaries (a week) or the
monthly ones (whole months), never from the fact tables."""

import pandas as pd
import streamlit as st

from i18n.format import fmt_int, fmt_num
from metrics import kpis, periods, scoreboard, service_index
from ui import auth, data, url_state
from ui.downloads import Col, table
from ui.filters import current, units_of
from ui.i18n import lang, t

TIERS = {
    "all": ("Tất cả đơn vị", "Every unit"),
    "department": ("Sở, ban, ngành", "Departments"),
    "district": ("Quận/huyện", "Districts"),
    "ward": ("Phường/xã", "Communes/wards"),
}

filters = current()
units = units_of(filters)
period = filters.period
before_period = periods.previous_period(period)
version = service_index.get_version()
names = dict(zip(units["code"], units["name"]))
parent_of = dict(zip(units["code"], units["parent_code"]))

st.title(f"{t('Bảng chỉ số phục vụ người dân, doanh nghiệp', 'Service index scoreboard')} · {period.label(lang())}")
st.caption(f"{version.label(lang())} · {t('so với', 'compared with')} {before_period.label(lang())}")
if period.kind != "week":
    extent = data.data_extent()
    last_week = periods.previous_period(periods.period_of(extent["last_day"] + pd.Timedelta(days=1), "week"))
    st.markdown(
        f":material/calendar_view_week: [{t('Xem bảng theo tuần', 'See the weekly board')} ({last_week.label(lang())})]({url_state.link('scoreboard', pk='week', period=last_week.key)})"
    )

now = data.kpi_counts(period.start, period.end, None, by_unit=True)
before = data.kpi_counts(before_period.start, before_period.end, None, by_unit=True, restated=filters.restated)
total = data.kpi_counts(period.start, period.end, None)
if total["ratings"].sum() == 0 and total["received"].sum() == 0:
    st.info(t("Không có số liệu trong kỳ này. Hãy chọn kỳ khác.", "No data in this period. Pick another period."), icon=":material/event_busy:")
    st.stop()

# Outside the viewer's own units, data_access folds figures into district/department totals:
# those totals are listed, and the units folded into them are not (they are not "no data").
own = data.own_codes(auth.current_viewer())
listed = units if own is None else units[units["code"].isin(set(own) | set(now["unit_code"]))]
board = scoreboard.scoreboard(now, before, listed, version, lang())
score, band = scoreboard.overall(total, version)
targets = data.targets(period.end)

# --- the headline: the city's score, its band, and the units in each band ----------------------
cols = st.columns([1.2, 1, 1, 1, 2.2])
cols[0].metric(
    t("Điểm toàn thành phố", "City score"),
    fmt_num(score, lang(), 2) + "/100",
    help=t("Tính trên số đếm của mọi đơn vị cộng lại.", "Computed on the summed counts of every unit."),
    border=True,
)
cols[0].caption(f"{t('Xếp loại', 'Band')}: **{band.label(lang()) if band else '—'}**")
for column, kpi_id in zip(cols[1:4], scoreboard.TARGET_KPIS):
    kpi = kpis.get(kpi_id)
    value = kpis.total(total, kpi)
    target = kpis.target_for(targets, kpi_id, filters.city_code)
    status = kpis.status_against_target(value, target[0], kpi.higher_is_better, target[1]) if target else None
    column.metric(kpi.label(lang()), kpis.format_value(value, kpi, lang()), border=True)
    if target:
        column.caption(f"{t('Mục tiêu', 'Target')} ≥ {kpis.format_value(target[0], kpi, lang())}" + (f" · {t(*kpis.STATUS_WORDS[status])}" if status else ""))
with cols[4]:
    st.markdown(f"**{t('Số đơn vị theo xếp loại', 'Units by band')}**")
    st.markdown(" · ".join(f"{label}: **{fmt_int(n, lang())}**" for label, n in scoreboard.band_counts(board, version, lang())))
    st.caption(
        " · ".join(f"{b.label(lang())} ≥ {fmt_num(b.min, lang(), 0)}" for b in version.bands)
        + t(" điểm (cấu hình theo phiên bản)", " points (versioned configuration)")
    )

# --- the table of every unit ---------------------------------------------------------------
tiers = [k for k in TIERS if k != "district" or (units["level"] == "district").any()]  # no districts since July 2025
tier = url_state.segmented(st, t("Đơn vị", "Units"), tiers, key="tier", default="all", format_func=lambda k: t(*TIERS[k]))
shown = board if tier == "all" else board[board["level"] == tier]
groups = scoreboard.supported_groups(version)
unit_level = {"department": t("Sở, ngành", "Department"), "district": t("Quận, huyện", "District"), "ward": t("Phường, xã", "Ward")}
previous_word = t("tuần trước", "last week") if period.kind == "week" else t("kỳ trước", "previous period")
table(
    [
        Col("Hạng", "Rank", shown["rank"], "int"),
        Col("Đơn vị", "Unit", shown["name"]),
        Col("Trực thuộc", "Part of", [names.get(parent_of.get(c), "") if parent_of.get(c) != filters.city_code else "" for c in shown["unit_code"]]),
        Col("Loại đơn vị", "Type", [unit_level.get(level, level) for level in shown["level"]]),
        Col("Điểm (/100)", "Score (/100)", shown["score"], "num2"),
        Col("Xếp loại", "Band", [label if pd.notna(label) else "—" for label in shown["band_label"]]),
        Col(f"Tăng/giảm so với {previous_word}", f"Change since {previous_word}", shown["change"], "change2"),
        *[Col(f"{g.label_vi} ({fmt_num(g.weight, 'vi', 0)})", f"{g.label_en} ({g.weight:g})", shown[f"{g.id}_points"], "num2") for g in groups],
        Col("Điểm tối đa tính được", "Maximum computable", shown["max_possible"], "num"),
        Col("Thành phần yếu nhất", "Weakest components", shown["weakest"]),
        *[Col(f"{kpis.get(k).label_vi}", kpis.get(k).label_en, shown[k], "pct") for k in scoreboard.TARGET_KPIS],
        Col("Hồ sơ", "Profile", [url_state.link("unit", unit=c) if own is None or c in own else None for c in shown["unit_code"]], "link"),
    ],
    f"{t('Chỉ số phục vụ', 'Service index')} · {t(*TIERS[tier])} · {period.key}",
    "scoreboard",
    height=600,
)
if own is not None:
    st.caption(
        t(
            "Ngoài đơn vị của bạn, quận/huyện và sở, ngành chỉ hiện số tổng của cả đơn vị.",
            "Outside your own units, districts and departments appear only as whole-unit totals.",
        )
    )
st.caption(
    t(
        "Điểm trên 100 của các nhóm có dữ liệu (nhóm Công khai, minh bạch chưa có dữ liệu nên không tính vào điểm tối đa). "
        "Chỉ xếp hạng đơn vị tính được mọi nhóm; đơn vị thiếu nhóm (không có đánh giá hoặc hồ sơ giải quyết xong trong kỳ) vẫn có điểm nhưng không có hạng. "
        "Mỗi đơn vị tính trên hồ sơ và đánh giá của chính đơn vị; hồ sơ đang giải quyết lấy tại ngày cuối kỳ.",
        "Score out of 100 of the groups with data (transparency has no data, so it is left out of the maximum). "
        "Only units with every group computed are ranked; a unit missing a group (no ratings or no finished dossiers in the period) has a score but no rank. "
        "Each unit is scored on its own dossiers and ratings; open dossiers are taken on the period's last day.",
    )
)
