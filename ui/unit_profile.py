"""The unit profile's sections (pages/analysis/unit_profile.py), each reading one `Profile`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from domain import units as unit_tree
from domain.vocab import RATING_CHANNELS
from i18n.format import fmt_date, fmt_int, fmt_pct
from metrics import kpis, ranking
from metrics.periods import Period
from ui import data, maps, stores, unit_data, url_state
from ui import steps as step_ui
from ui.downloads import Col, table
from ui.i18n import lang, t
from i18n.text import pick


@dataclass(frozen=True)
class Profile:
    """The unit shown, its place in the tree, the period and who is looking."""

    units: pd.DataFrame
    names: dict
    period: Period
    code: str
    name: str
    level: str
    parent: str | None
    scope: tuple | None  # None: the city, every unit
    subtree: tuple
    multi: bool  # more than one unit: lists name the unit of each row
    file_scope: str
    targets: pd.DataFrame
    by_unit: pd.DataFrame
    viewer: object
    layout_day: date  # the day whose units `units` are
    restated: bool  # figures before a reform read on today's units


@data.derived(max_entries=8)
def choice_labels(language: str) -> dict[str, str]:
    """ "Phường 1 – Quận 3 (26989)" for every unit version: names repeat across districts, so
    the parent and code tell them apart; a former unit says so."""
    units = data.units()
    names = dict(zip(units["code"], units["name"]))
    parent_of = dict(zip(units["code"], units["parent_code"]))
    former = set(units.loc[units["valid_to"].notna(), "code"])
    labels = {}
    for c, n in names.items():
        p = parent_of.get(c)
        labels[c] = (
            f"{n}"
            + (f" – {names[p]}" if p in names and parent_of.get(p) is not None else "")
            + f" ({c})"
            + (pick(language, " · cũ", " · former") if c in former else "")
        )
    return labels


def unit_columns(frame: pd.DataFrame) -> list[Col]:
    return [
        Col(kpis.get("satisfaction_rate").label_vi, kpis.get("satisfaction_rate").label_en, kpis.value(frame, "satisfaction_rate"), "pct"),
        Col("Lượt đánh giá", "Ratings", frame["ratings"], "int"),
        Col(kpis.get("on_time_rate").label_vi, kpis.get("on_time_rate").label_en, kpis.value(frame, "on_time_rate"), "pct"),
        Col("Hồ sơ đã giải quyết", "Dossiers finished", frame["finished"], "int"),
        Col("Hồ sơ quá hạn đang giải quyết", "Open overdue", frame["open_overdue"], "int"),
    ]


def dossier_columns(rows: pd.DataFrame, names: dict, multi: bool) -> list:
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


def children_or_siblings(p: Profile) -> None:
    """A district's wards side by side; a ward's place among its district's wards."""
    units, names, code, level, parent, file_scope, targets, by_unit = p.units, p.names, p.code, p.level, p.parent, p.file_scope, p.targets, p.by_unit
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
                    shapes = data.boundaries(tuple(area["code"]))
                    if shapes["geojson"]["features"]:
                        st.plotly_chart(
                            maps.kpi_map(
                                shapes,
                                area,
                                "satisfaction_rate",
                                labels=len(area) <= 30,
                                height_px=380,
                                target=(kpis.target_for(targets, "satisfaction_rate", code) or (None,))[0],
                            ),
                            key="profile_map",
                        )
                        st.caption(f"[{t('Mở bản đồ lớn', 'Open the full map')}]({url_state.link('map', area=code)})")
    elif level == "ward" and parent:
        rows = sibling_rows(p.period, p.restated, p.layout_day, parent)
        st.subheader(t(f"Vị trí trong các phường/xã của {names[parent]}", f"Place among the wards of {names[parent]}"))
        for column, kpi_id in zip(st.columns(len(kpis.LEAD_RATES)), kpis.LEAD_RATES):
            kpi = kpis.get(kpi_id)
            ranked = ranked_siblings(p.period, p.restated, p.layout_day, parent, kpi_id)
            here = ranked[ranked["unit_code"] == code].iloc[0]
            rated = int(ranked["rank"].notna().sum())
            position = f"{int(here['rank'])}/{rated}" if pd.notna(here["rank"]) else "—"
            column.metric(
                f"{kpi.label(lang())}: {t('hạng', 'rank')}",
                position,
                help=t(
                    "Xếp theo cận dưới Wilson 95%: tính đến số lượng, đơn vị nhỏ không đứng đầu nhờ may mắn.",
                    "Ranked by the 95% Wilson bound, so a small unit cannot top the table by luck.",
                ),
                border=True,
            )
            verdict = (
                f" · **{t('Cần cải thiện', 'Needs improvement')}: {ranking.weak_reason_words(here['weak_reason'], lang()).lower()}**" if here["weak"] else ""
            )
            column.caption(
                f"{kpis.format_value(here['value'], kpi, lang())} · {fmt_int(here['volume'], lang())} {kpi.volume_noun(lang())} · {t(f'mức chung của {names[parent]}', f'overall of {names[parent]}')} {fmt_pct(ranked.attrs['p0'], lang())}{verdict}"
            )
        st.caption(ranking.weak_rule_text(None, lang()))
        rows = rows.sort_values("_s", ascending=False, na_position="last").reset_index(drop=True)
        table(
            [
                Col("Đơn vị", "Unit", [names.get(c, c) for c in rows["unit_code"]]),
                *unit_columns(rows),
                Col("Hồ sơ", "Profile", [url_state.link("unit", unit=c) for c in rows["unit_code"]], "link"),
            ],
            f"{t('Các phường/xã cùng cấp', 'Sibling wards')} · {file_scope}",
            "siblings",
            highlight=["▶" if c == code else "" for c in rows["unit_code"]],
        )


@data.derived(max_entries=256)
def sibling_rows(period: Period, restated: bool, layout_day: date, parent: str) -> pd.DataFrame:
    """The counts of the wards under `parent` in the layout of `layout_day` (one row each,
    zeros where a ward has none), with its satisfaction rate in `_s`: a ward profile's list."""
    siblings = unit_tree.children(data.layout(layout_day), parent, levels=("ward",))["code"]
    by_unit = data.kpi_counts(period.start, period.end, None, by_unit=True, restated=restated)
    rows = pd.DataFrame({"unit_code": list(siblings)}).merge(by_unit, on="unit_code", how="left").fillna(0)
    return rows.assign(_s=kpis.value(rows, "satisfaction_rate"))


@data.derived(max_entries=256)
def ranked_siblings(period: Period, restated: bool, layout_day: date, parent: str, kpi_id: str) -> pd.DataFrame:
    """The wards under `parent` ranked on a KPI in the one fair order, weak ones marked by the
    one rule (metrics.ranking): computed once per period and parent, not on every profile view."""
    kpi = kpis.get(kpi_id)
    rows = sibling_rows(period, restated, layout_day, parent)
    return ranking.mark_weak(ranking.rank_units(rows.drop(columns="_s"), kpi, method=ranking.DEFAULT_METHOD), kpi, data.targets(period.end))


def by_field_and_procedure(p: Profile) -> None:
    """Where are the late dossiers: by field and by procedure."""
    period, scope, file_scope = p.period, p.scope, p.file_scope
    st.subheader(t("Theo lĩnh vực và thủ tục", "By field and by procedure"))
    field_names = unit_data.fields()
    field_label = dict(zip(field_names["code"], field_names[t("name", "name_en")]))
    by_field = unit_data.flow_counts(period.start, period.end, "month", scope, ("field_code",), "dossiers")
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
    procs = unit_data.procedure_breakdown(period.start, period.end, scope)
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


def officers(p: Profile) -> None:
    """The civil servants of the unit."""
    names, period, scope, multi, file_scope = p.names, p.period, p.scope, p.multi, p.file_scope
    st.subheader(t("Cán bộ, công chức", "Civil servants"))
    st.caption(
        t(
            "Đánh giá nhận được và hồ sơ giải quyết xong trong kỳ, theo người xử lý. Luôn đọc tỷ lệ cùng số lượng: vài lượt đánh giá chưa đủ để kết luận.",
            "Ratings received and dossiers finished in the period, per officer. Always read a rate with its volume: a handful of ratings proves little.",
        )
    )
    staff = unit_data.officer_stats(period.start, period.end, scope)
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


def dossier_lists(p: Profile) -> None:
    """Open overdue dossiers, and late ones with no apology letter in time."""
    names, period, scope, multi, file_scope = p.names, p.period, p.scope, p.multi, p.file_scope
    overdue, overdue_total = unit_data.overdue_dossiers(period.end, scope)
    st.subheader(t("Hồ sơ đang giải quyết quá hạn", "Open overdue dossiers"))
    st.caption(
        t(
            f"{fmt_int(overdue_total, lang())} hồ sơ quá hạn chưa giải quyết xong tại ngày {fmt_date(period.end)}"
            + (f"; hiện {len(overdue)} hồ sơ trễ lâu nhất." if overdue_total > len(overdue) else "."),
            f"{fmt_int(overdue_total, lang())} dossiers open past their due day on {fmt_date(period.end)}"
            + (f"; the {len(overdue)} most overdue are listed." if overdue_total > len(overdue) else "."),
        )
    )

    if not overdue.empty:
        table(
            [
                *dossier_columns(overdue, names, multi),
                Col("Số ngày quá hạn", "Days overdue", overdue["days_late"], "int"),
                Col(
                    "Phiếu xin lỗi, hẹn lại", "Apology letter", [apology_words(i, f) for i, f in zip(overdue["apology_issued_at"], overdue["apology_in_time"])]
                ),
            ],
            f"{t('Hồ sơ quá hạn', 'Overdue dossiers')} · {file_scope}",
            "overdue",
        )
    late = unit_data.late_without_apology(period.start, period.end, scope)
    st.subheader(t("Hồ sơ trễ hạn không có phiếu xin lỗi đúng hạn", "Late dossiers without a timely apology letter"))
    if late.empty:
        st.caption(t("Không có hồ sơ nào trong kỳ.", "None in the period."))
    else:
        table(
            [
                *dossier_columns(late, names, multi),
                Col("Ngày giải quyết", "Finished", late["finished_at"], "date"),
                Col("Số ngày trễ", "Days late", late["days_late"], "int"),
                Col(
                    "Phiếu xin lỗi",
                    "Apology letter",
                    [
                        t("Ban hành sau hạn ", "Issued after the due day ") + fmt_date(i) if pd.notna(i) else t("Không có", "None")
                        for i in late["apology_issued_at"]
                    ],
                ),
            ],
            f"{t('Trễ hạn không xin lỗi', 'Late without apology')} · {file_scope}",
            "late",
        )


def slow_steps(p: Profile) -> None:
    """Which step is slow (the steps summary)."""
    period, code, scope, file_scope = p.period, p.code, p.scope, p.file_scope
    st.subheader(t("Khâu nào chậm", "Which step is slow"))
    by_step = step_ui.step_stats(period.start, period.end, scope)
    if by_step.empty:
        st.caption(t("Không có bước xử lý nào hoàn thành trong kỳ.", "No processing step finished in the period."))
    else:
        step_ui.slow_steps_table(by_step, f"{t('Thời gian từng bước', 'Time per step')} · {file_scope}", "profile_steps")
    step_ui.coverage_caption()
    st.markdown(
        f"[{t('Xem chi tiết: bước chậm theo thủ tục, cán bộ giữ hồ sơ, việc cần nhắc', 'Details: slow steps by procedure, who holds late steps, reminders')}]({url_state.link('steps', unit=code)})"
    )


def dissatisfied_reasons(p: Profile) -> None:
    """What dissatisfied citizens wrote."""
    names, period, scope, multi, file_scope = p.names, p.period, p.scope, p.multi, p.file_scope
    st.subheader(t("Ý kiến không hài lòng gần nhất", "Latest reasons given with dissatisfied ratings"))
    reasons = unit_data.dissatisfied_reasons(period.start, period.end, scope)
    if reasons.empty:
        st.caption(t("Không có ý kiến nào trong kỳ.", "None in the period."))
    else:
        channel_label = {c: t(vi, en) for c, (vi, en) in RATING_CHANNELS.items()}
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


def commitments(p: Profile) -> None:
    """Commitments from review meetings."""
    scope, multi, file_scope, viewer = p.scope, p.multi, p.file_scope, p.viewer
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


def lineage_panel(code: str, all_units: pd.DataFrame, lineage: pd.DataFrame) -> None:
    """Where the unit came from (today's unit: its former wards, whole or in part) or what it
    became (a former unit), each with a link to that unit's own profile and history."""
    names = dict(zip(all_units["code"], all_units["name"]))
    level = dict(zip(all_units["code"], all_units["level"]))
    ended = dict(zip(all_units["code"], all_units["valid_to"]))
    came_from = lineage[(lineage["new_code"] == code) & lineage["old_code"].map(level).isin(["ward", "district", "department"])]
    # A former district is listed only when it was a commune-level unit itself (no wards: Côn Đảo).
    parents = set(all_units["parent_code"].dropna())
    came_from = came_from[(came_from["old_code"].map(level) != "district") | ~came_from["old_code"].isin(parents)]
    became = lineage[lineage["old_code"] == code]

    def item(other: str, whole: bool) -> str:
        how = t("toàn bộ", "whole") if whole else t("một phần", "in part")
        last = ended.get(other)
        # A former unit opens on its own last month, in the layout of its time: its history,
        # not an empty October 2026.
        # A unit of today opens in today's layout, its history restated.
        when = {"layout": "today"} if last is None or pd.isna(last) else {"pk": "month", "period": pd.Timestamp(last).strftime("%Y-%m"), "layout": "then"}
        return f"[{names.get(other, other)}]({url_state.link('unit', unit=other, **when)}) ({how})"

    if len(came_from):
        day = fmt_date(pd.Timestamp(came_from["effective_date"].iloc[0]).date(), lang())
        parts = ", ".join(item(o, bool(w)) for o, w in zip(came_from["old_code"], came_from["whole"]))
        st.markdown(t(f"**Hình thành từ {day}**, từ: {parts}.", f"**Formed on {day}** from: {parts}."))
        if not came_from["whole"].astype(bool).all():
            st.caption(
                t(
                    "Số liệu trước ngày này của đơn vị được quy đổi từ các đơn vị cũ; phần của đơn vị cũ bị chia lấy theo tỷ lệ trong bảng chuyển đổi hoặc theo diện tích, nên là số gần đúng.",
                    "Figures before that day are restated from the former units; a split unit's share follows the crosswalk's weight or the area, so they are approximate.",
                )
            )
    if len(became):
        day = fmt_date(pd.Timestamp(became["effective_date"].iloc[0]).date(), lang())
        last = ended.get(code)
        until = f" ({t('hoạt động đến', 'in force until')} {fmt_date(pd.Timestamp(last).date(), lang())})" if last is not None and not pd.isna(last) else ""
        parts = ", ".join(item(n, bool(w)) for n, w in zip(became["new_code"], became["whole"]))
        st.info(
            t(f"Đơn vị cũ{until}. Từ {day} đã sắp xếp vào: {parts}.", f"A former unit{until}. From {day} it became part of: {parts}."),
            icon=":material/call_merge:",
        )
