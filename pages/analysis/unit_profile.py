"""Hồ sơ đơn vị: one page for any unit, from a deep link `/unit?unit=26734`.

Figures of a unit are those of its subtree (a district counts its own office and its wards).
The unit code comes from the URL and is checked against the units table before anything
is drawn: an unknown or hostile value gets a clear message and a way back, never a traceback.
"""

import re

import pandas as pd
import streamlit as st

from domain import access
from domain.vocab import RATING_CHANNELS, UNIT_LEVELS
from i18n.format import fmt_date, fmt_int, fmt_pct
from metrics import kpis, ranking
from domain import units as unit_tree
from metrics.trend import SOURCE_GRAIN, buckets_for, trend_frame, trend_grain
from ui import alerts, auth, cards, charts, data, maps, stores, surveys, unit_data, url_state
from ui import steps as step_ui
from ui.downloads import Col, table
from ui.filters import current
from ui.i18n import lang, t

filters = current()
key = data.db_key()
units = data.units(key)
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
    st.markdown(f"[{t('← Chọn đơn vị khác', '← Pick another unit')}]({url_state.link('unit', unit=filters.scope_code)}) · [{t('Về trang tổng quan', 'Back to the overview')}]({url_state.link('overview')})")
    st.stop()


def _choice_labels() -> dict[str, str]:
    """"Phường 1 – Quận 3 (26989)": names repeat across districts, so the parent and code tell them apart."""
    parent_of = dict(zip(units["code"], units["parent_code"]))
    labels = {}
    for c, n in names.items():
        p = parent_of.get(c)
        labels[c] = f"{n}" + (f" – {names[p]}" if p in names and parent_of.get(p) is not None else "") + f" ({c})"
    return labels


choice_labels = _choice_labels()
viewer = auth.current_viewer()
own = access.own_codes(viewer, units)  # a profile shows officers and dossiers: own units only
if raw is not None and own is not None and raw not in own:
    st.title(t("Hồ sơ đơn vị", "Unit profile"))
    st.error(access.OutOfScope().text(lang()), icon=":material/lock:")
    st.stop()
listed = units if own is None else units[units["code"].isin(own)]
order = listed.assign(_l=listed["level"].map({"city": 0, "district": 1, "ward": 2, "department": 3})).sort_values(["_l", "code"])
code = url_state.selectbox(st.sidebar, t("Hồ sơ của đơn vị", "Profile of"), order["code"], key="unit", default=filters.scope_code, keep=True, format_func=choice_labels.get)
unit = units.set_index("code").loc[code]
name, level = str(unit["name"]), str(unit["level"])
subtree = unit_tree.subtree_codes(units, code)
# The city's figures are everything: no unit filter (the same cache entries as the overview's).
scope = None if code == filters.city_code else subtree
chain = unit_tree.ancestors(units, code)
parent = chain[-2] if len(chain) > 1 else None

st.title(f"{t('Hồ sơ đơn vị', 'Unit profile')} · {name}")
crumbs = [f"[{names[c]}]({url_state.link('unit', unit=c)})" if own is None or c in own else names[c] for c in chain[:-1]]
level_word = t(*UNIT_LEVELS.get(level, (level, level)))
st.caption(" › ".join(crumbs + [name]) + f" · {level_word} · {t('mã', 'code')} {code} · {period.label(lang())} · {t('so với', 'compared with')} {compare.label(lang())}")
links = []
if parent and (own is None or parent in own):
    links.append(f"[{t('↑ Đơn vị cấp trên', '↑ Parent unit')}: {names[parent]}]({url_state.link('unit', unit=parent)})")
map_area = code if level in ("city", "district") else (parent if level == "ward" else None)
if map_area:
    links.append(f"[{t('Bản đồ', 'Map')}]({url_state.link('map', area=map_area)})")
links.append(f"[{t('Xếp hạng', 'Rankings')}]({url_state.link('rankings', level='wards' if level in ('district', 'ward') else 'districts', district=(code if level == 'district' else parent) if level in ('district', 'ward') else None)})")
st.markdown(" · ".join(links))

now = data.kpi_counts(key, period.start, period.end, scope, False)
before = data.kpi_counts(key, compare.start, compare.end, scope, False)

# --- alerts first: that is what a leader opens a profile for -----------------------------------
found = alerts.find_alerts(period, None)
mine = found[found["unit_code"].isin(subtree)] if not found.empty else found
if not mine.empty:
    st.subheader(t("Cảnh báo", "Alerts"))
    alerts.alert_list(mine, units, targets=data.targets(key, period.end))

# --- KPI cards and the trend against the parent and the city ------------------------------------
grain = trend_grain(period)
buckets = buckets_for(period, grain, 12)


def trend_of(codes):
    flows = data.flow_counts_by_period(key, buckets[0].start, buckets[-1].end, SOURCE_GRAIN[grain], codes)
    backlog = data.backlog_counts(key, tuple(b.end for b in buckets), codes)
    return trend_frame(buckets, flows, backlog, grain, lang())


trend = trend_of(scope)
sparklines = {k: kpis.value(trend, kpis.get(k)).round(4).dropna().tolist() or None for k in kpis.HEADLINE_KPIS}
targets = data.targets(key, period.end)
cards.kpi_row(kpis.HEADLINE_KPIS, now, before, targets, code, sparklines)
surveys.panel(code, filters.city_code, scope)

compared = {name: trend}
if parent and parent != filters.city_code:
    compared[names[parent]] = trend_of(unit_tree.subtree_codes(units, parent))
if code != filters.city_code:
    compared[names[filters.city_code]] = trend_of(None)
st.subheader(t("Xu hướng so với cấp trên và toàn thành phố", "Trend against the parent unit and the city") if len(compared) > 1 else t("Xu hướng 12 kỳ gần nhất", "Trend over the last 12 periods"))
for column, kpi_id in zip(st.columns(len(kpis.LEAD_RATES)), kpis.LEAD_RATES):
    kpi = kpis.get(kpi_id)
    series = {n: f.assign(value=kpis.value(f, kpi), volume_text=[fmt_int(v, lang()) for v in kpis.volume(f, kpi)]) for n, f in compared.items()}
    target = kpis.target_for(targets, kpi_id, code)
    with column:
        st.markdown(f"**{kpi.label(lang())}**", help=kpi.help(lang()))
        st.plotly_chart(charts.trend_figure(series, kpi, lang(), target[0] if target else None), key=f"profile_trend_{kpi_id}")
st.markdown(f"[{t('Xem xu hướng chi tiết', 'Open the detailed trend')}]({url_state.link('trends', units=code)})")

by_unit = data.kpi_counts(key, period.start, period.end, None, True)
file_scope = f"{name} · {period.key}"


def unit_columns(frame: pd.DataFrame) -> list[Col]:
    return [
        Col(kpis.get("satisfaction_rate").label_vi, kpis.get("satisfaction_rate").label_en, kpis.value(frame, "satisfaction_rate"), "pct"),
        Col("Lượt đánh giá", "Ratings", frame["ratings"], "int"),
        Col(kpis.get("on_time_rate").label_vi, kpis.get("on_time_rate").label_en, kpis.value(frame, "on_time_rate"), "pct"),
        Col("Hồ sơ đã giải quyết", "Dossiers finished", frame["finished"], "int"),
        Col("Hồ sơ quá hạn đang giải quyết", "Open overdue", frame["open_overdue"], "int"),
    ]


# --- a district's wards side by side; a ward's place among its district's wards -------------------
if level in ("district", "city"):
    child_level = ("ward",) if level == "district" else ("district",)
    children = list(unit_tree.children(units, code, levels=child_level)["code"])
    if children:
        st.subheader(t("Các phường/xã", "Wards") if level == "district" else t("Các quận/huyện", "Districts"))
        side = pd.DataFrame({"unit_code": children}).merge(unit_tree.roll_up(by_unit, units, code), on="unit_code", how="left").fillna(0)
        ranked = ranking.rank_units(side, "satisfaction_rate", method=ranking.DEFAULT_METHOD).set_index("unit_code")
        side = side.assign(rank=side["unit_code"].map(ranked["rank"])).sort_values("rank", na_position="last").reset_index(drop=True)
        table_col, map_col = st.columns([3, 2]) if level == "district" else (st.container(), None)
        with table_col:
            table(
                [
                    Col("Hạng hài lòng", "Satisfaction rank", side["rank"], "int"),
                    Col("Đơn vị", "Unit", [names.get(c, c) for c in side["unit_code"]]),
                    *unit_columns(side),
                    Col("Hồ sơ", "Profile", [url_state.link("unit", unit=c) for c in side["unit_code"]], "link"),
                ],
                f"{t('Đơn vị trực thuộc', 'Units')} · {file_scope}",
                "children",
            )
        if map_col is not None:
            with map_col:
                area = maps.area_frame(by_unit, units, code, "satisfaction_rate")
                shapes = data.boundaries(key, tuple(area["code"]))
                if shapes["geojson"]["features"]:
                    st.plotly_chart(maps.kpi_map(shapes["geojson"], area, "satisfaction_rate", labels=len(area) <= 30, height_px=380,
                                                           target=(kpis.target_for(targets, "satisfaction_rate", code) or (None,))[0]), key="profile_map")
                    st.caption(f"[{t('Mở bản đồ lớn', 'Open the full map')}]({url_state.link('map', area=code)})")
elif level == "ward" and parent:
    siblings = list(unit_tree.children(units, parent, levels=("ward",))["code"])
    rows = pd.DataFrame({"unit_code": siblings}).merge(by_unit, on="unit_code", how="left").fillna(0)
    st.subheader(t(f"Vị trí trong các phường/xã của {names[parent]}", f"Place among the wards of {names[parent]}"))
    for column, kpi_id in zip(st.columns(len(kpis.LEAD_RATES)), kpis.LEAD_RATES):
        kpi = kpis.get(kpi_id)
        ranked = ranking.mark_weak(ranking.rank_units(rows, kpi, method=ranking.DEFAULT_METHOD), kpi, targets)
        here = ranked[ranked["unit_code"] == code].iloc[0]
        rated = int(ranked["rank"].notna().sum())
        position = f"{int(here['rank'])}/{rated}" if pd.notna(here["rank"]) else "—"
        column.metric(
            f"{kpi.label(lang())}: {t('hạng', 'rank')}", position,
            help=t("Xếp theo cận dưới Wilson 95%: tính đến số lượng, đơn vị nhỏ không đứng đầu nhờ may mắn.", "Ranked by the 95% Wilson bound, so a small unit cannot top the table by luck."),
            border=True,
        )
        verdict = f" · **{t('Cần cải thiện', 'Needs improvement')}: {ranking.weak_reason_words(here['weak_reason'], lang()).lower()}**" if here["weak"] else ""
        column.caption(f"{kpis.format_value(here['value'], kpi, lang())} · {fmt_int(here['volume'], lang())} {kpi.volume_noun(lang())} · {t('mức chung của quận', 'district overall')} {fmt_pct(ranked.attrs['p0'], lang())}{verdict}")
    st.caption(ranking.weak_rule_text(None, lang()))
    rows = rows.assign(_s=kpis.value(rows, "satisfaction_rate")).sort_values("_s", ascending=False, na_position="last").reset_index(drop=True)
    table(
        [Col("Đơn vị", "Unit", [names.get(c, c) for c in rows["unit_code"]]), *unit_columns(rows), Col("Hồ sơ", "Profile", [url_state.link("unit", unit=c) for c in rows["unit_code"]], "link")],
        f"{t('Các phường cùng quận', 'Sibling wards')} · {file_scope}",
        "siblings",
        highlight=["▶" if c == code else "" for c in rows["unit_code"]],
    )

# --- where are the late dossiers: by field and by procedure ------------------------------------
st.subheader(t("Theo lĩnh vực và thủ tục", "By field and by procedure"))
field_names = unit_data.fields(key)
field_label = dict(zip(field_names["code"], field_names["name_en" if lang() == "en" else "name"]))
by_field = unit_data.flow_counts(key, period.start, period.end, "month", scope, ("field_code",), "dossiers")
by_field = by_field.drop(columns="period").groupby("field_code", as_index=False).sum().sort_values("finished_late", ascending=False)
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('Theo lĩnh vực', 'By field')}**")
    table(
        [
            Col("Lĩnh vực", "Field", [field_label.get(c, c) for c in by_field["field_code"]]),
            Col("Tiếp nhận", "Received", by_field["received"], "int"),
            Col("Đã giải quyết", "Finished", by_field["finished"], "int"),
            Col("Tỷ lệ đúng hạn", "On-time rate", kpis.value(by_field, "on_time_rate"), "pct"),
            Col("Trễ hạn", "Late", by_field["finished_late"], "int"),
            Col("Trễ hạn có xin lỗi đúng hạn", "Late with timely apology", by_field["late_with_apology"], "int"),
        ],
        f"{t('Theo lĩnh vực', 'By field')} · {file_scope}",
        "fields",
    )
procs = unit_data.procedure_breakdown(key, period.start, period.end, scope)
with right:
    st.markdown(f"**{t('Thủ tục có nhiều hồ sơ trễ nhất', 'Procedures with most late dossiers')}**")
    table(
        [
            Col("Thủ tục", "Procedure", procs["procedure"]),
            Col("Lĩnh vực", "Field", [field_label.get(c, c) for c in procs["field_code"]]),
            Col("Đã giải quyết", "Finished", procs["finished"], "int"),
            Col("Tỷ lệ đúng hạn", "On-time rate", kpis.value(procs, "on_time_rate"), "pct"),
            Col("Trễ hạn", "Late", procs["finished_late"], "int"),
            Col("Trễ hạn không xin lỗi đúng hạn", "Late without timely apology", procs["late_without_apology"], "int"),
        ],
        f"{t('Theo thủ tục', 'By procedure')} · {file_scope}",
        "procedures",
    )

# --- the civil servants of the unit ---------------------------------------------------------------
st.subheader(t("Cán bộ, công chức", "Civil servants"))
st.caption(t(
    "Đánh giá nhận được và hồ sơ giải quyết xong trong kỳ, theo người xử lý. Luôn đọc tỷ lệ cùng số lượng: vài lượt đánh giá chưa đủ để kết luận.",
    "Ratings received and dossiers finished in the period, per officer. Always read a rate with its volume: a handful of ratings proves little.",
))
staff = unit_data.officer_stats(key, period.start, period.end, scope)
multi = len(subtree) > 1
table(
    [
        Col("Cán bộ", "Officer", staff["full_name"]),
        Col("Chức danh", "Title", staff["title"]),
        *([Col("Đơn vị", "Unit", [names.get(c, c) for c in staff["unit_code"]])] if multi else []),
        Col("Lượt đánh giá", "Ratings", staff["ratings"], "int"),
        Col("Tỷ lệ hài lòng", "Satisfaction rate", kpis.value(staff, "satisfaction_rate"), "pct"),
        Col("Không hài lòng", "Dissatisfied", staff["dissatisfied"], "int"),
        Col("Hồ sơ đã giải quyết", "Dossiers finished", staff["finished"], "int"),
        Col("Tỷ lệ đúng hạn", "On-time rate", kpis.value(staff, "on_time_rate"), "pct"),
        Col("Trễ hạn", "Late", staff["finished_late"], "int"),
        Col("Mã cán bộ", "Officer code", staff["officer_code"], "hidden"),
    ],
    f"{t('Cán bộ', 'Officers')} · {file_scope}",
    "officers",
)

# --- open overdue dossiers, and late ones with no apology letter in time ------------------------------
overdue, overdue_total = unit_data.overdue_dossiers(key, period.end, scope)
st.subheader(t("Hồ sơ đang giải quyết quá hạn", "Open overdue dossiers"))
st.caption(t(
    f"{fmt_int(overdue_total, lang())} hồ sơ quá hạn chưa giải quyết xong tại ngày {fmt_date(period.end)}" + (f"; hiện {len(overdue)} hồ sơ trễ lâu nhất." if overdue_total > len(overdue) else "."),
    f"{fmt_int(overdue_total, lang())} dossiers open past their due day on {fmt_date(period.end)}" + (f"; the {len(overdue)} most overdue are listed." if overdue_total > len(overdue) else "."),
))


def dossier_columns(rows: pd.DataFrame) -> list:
    """What every dossier list starts with: code, unit (when several), procedure, received, due."""
    return [
        Col("Mã hồ sơ", "Dossier code", rows["code"]),
        *([Col("Đơn vị", "Unit", [names.get(c, c) for c in rows["unit_code"]])] if multi else []),
        Col("Thủ tục", "Procedure", rows["procedure"]),
        Col("Ngày tiếp nhận", "Received", rows["received_at"], "date"),
        Col("Hạn trả", "Due", rows["due_day"], "date"),
    ]


def apology_words(issued, in_time) -> str:
    if pd.isna(issued):
        return t("Chưa có phiếu xin lỗi", "No apology letter")
    return t("Có, đúng hạn", "Yes, in time") if in_time else t("Có, nhưng sau hạn", "Yes, but after the due day")


if not overdue.empty:
    table(
        [
            *dossier_columns(overdue),
            Col("Số ngày quá hạn", "Days overdue", overdue["days_late"], "int"),
            Col("Phiếu xin lỗi, hẹn lại", "Apology letter", [apology_words(i, f) for i, f in zip(overdue["apology_issued_at"], overdue["apology_in_time"])]),
        ],
        f"{t('Hồ sơ quá hạn', 'Overdue dossiers')} · {file_scope}",
        "overdue",
    )
late = unit_data.late_without_apology(key, period.start, period.end, scope)
st.subheader(t("Hồ sơ trễ hạn không có phiếu xin lỗi đúng hạn", "Late dossiers without a timely apology letter"))
if late.empty:
    st.caption(t("Không có hồ sơ nào trong kỳ.", "None in the period."))
else:
    table(
        [
            *dossier_columns(late),
            Col("Ngày giải quyết", "Finished", late["finished_at"], "date"),
            Col("Số ngày trễ", "Days late", late["days_late"], "int"),
            Col("Phiếu xin lỗi", "Apology letter", [t("Ban hành sau hạn ", "Issued after the due day ") + fmt_date(i) if pd.notna(i) else t("Không có", "None") for i in late["apology_issued_at"]]),
        ],
        f"{t('Trễ hạn không xin lỗi', 'Late without apology')} · {file_scope}",
        "late",
    )

# --- which step is slow (the steps summary) -------------------------------------------------------
st.subheader(t("Khâu nào chậm", "Which step is slow"))
by_step = step_ui.step_stats(key, period.start, period.end, scope)
if by_step.empty:
    st.caption(t("Không có bước xử lý nào hoàn thành trong kỳ.", "No processing step finished in the period."))
else:
    step_ui.slow_steps_table(by_step, f"{t('Thời gian từng bước', 'Time per step')} · {file_scope}", "profile_steps")
step_ui.coverage_caption(key)
st.markdown(f"[{t('Xem chi tiết: bước chậm theo thủ tục, cán bộ giữ hồ sơ, việc cần nhắc', 'Details: slow steps by procedure, who holds late steps, reminders')}]({url_state.link('steps', unit=code)})")

# --- what dissatisfied citizens wrote ---------------------------------------------------------------
st.subheader(t("Ý kiến không hài lòng gần nhất", "Latest reasons given with dissatisfied ratings"))
reasons = unit_data.dissatisfied_reasons(key, period.start, period.end, scope)
if reasons.empty:
    st.caption(t("Không có ý kiến nào trong kỳ.", "None in the period."))
else:
    channel_label = {c: (en if lang() == "en" else vi) for c, (vi, en) in RATING_CHANNELS.items()}
    table(
        [
            Col("Thời điểm", "When", reasons["rated_at"], "date"),
            *([Col("Đơn vị", "Unit", [names.get(c, c) for c in reasons["unit_code"]])] if multi else []),
            Col("Kênh", "Channel", [channel_label.get(c, c) for c in reasons["channel"]]),
            Col("Cán bộ", "Officer", reasons["officer"]),
            Col("Ý kiến", "Reason", reasons["reason"]),
        ],
        f"{t('Ý kiến không hài lòng', 'Dissatisfied reasons')} · {file_scope}",
        "reasons",
    )

# --- commitments from review meetings ------------------------------------------------------------
st.subheader(t("Nhiệm vụ từ các cuộc họp giao ban", "Commitments from review meetings"))
pledged = stores.list_commitments(scope, viewer=viewer)
if pledged.empty:
    st.caption(t("Chưa có nhiệm vụ nào được giao cho đơn vị này.", "No commitment recorded for this unit."))
else:
    table(
        [
            *([Col("Đơn vị", "Unit", pledged["unit_name"])] if multi else []),
            Col("Nội dung", "Commitment", pledged["title"]),
            Col("Hạn", "Due", pledged["due_date"], "date"),
            Col("Trạng thái", "Status", [stores.status_label(s, lang()) for s in pledged["effective_status"]]),
        ],
        f"{t('Nhiệm vụ', 'Commitments')} · {file_scope}",
        "commitments",
    )
    st.caption(f"[{t('Cập nhật ở trang Họp giao ban', 'Update them on the review meeting page')}]({url_state.link('meeting', slide='last')})")
