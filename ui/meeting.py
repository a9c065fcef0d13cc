"""The review meeting's blocks (pages/meeting/meeting.py): the slides, the commitment forms,
the projector styles and the briefing pack download."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import streamlit as st
from PIL import Image

from domain import access
from domain import units as unit_tree
from domain.access import Viewer
from domain.steps import step_label
from i18n.format import fmt_date, fmt_int
from metrics import kpis
from reports import content, figures
from ui import charts, data, stores, url_state
from ui.downloads import audited
from ui.filters import Filters
from ui.i18n import lang, t
from ui.plain import plain


@dataclass(frozen=True)
class Meeting:
    """What every slide and form reads: the briefing, the filters and who is looking."""

    b: content.Briefing
    filters: Filters
    units: pd.DataFrame
    viewer: Viewer
    today: date
    args: tuple  # briefing_for's and map_image's arguments


def slide_sequence(b: content.Briefing) -> list[tuple[str, int | None]]:
    """The slides in order, (kind, alert index): the pack's sections (content.sections), with
    one slide per alert."""
    slides = []
    for section in content.sections(b):
        if section == "alerts":
            slides += [("alert", i) for i in range(len(b.alerts))] or [("alert", None)]
        else:
            slides.append((section, None))
    return slides


def show_slide(m: Meeting, kind: str, index: int | None) -> None:
    with st.container(key="meeting-slide"):
        if kind == "alert":
            alert_slide(m, index)
        else:
            {"kpis": kpi_slide, "map": map_slide, "bottom": bottom_slide, "trend": trend_slide, "week": week_slide, "commitments": commitments_slide}[kind](m)


def styles(present: bool) -> None:
    """Large type for a projector; `present` also hides the sidebar and header."""
    st.markdown(
        """<style>
        .st-key-meeting-slide p, .st-key-meeting-slide li, .st-key-meeting-slide td { font-size: 1.3rem; }
        .st-key-meeting-slide [data-testid="stMetricValue"] { font-size: 2.6rem; font-weight: 700; }
        /* the paragraph rule above must not reach the metric's value or delta: the headline stays the largest */
        .st-key-meeting-slide [data-testid="stMetricValue"] * { font-size: inherit; font-weight: inherit; }
        .st-key-meeting-slide [data-testid="stMetricDelta"] div, .st-key-meeting-slide [data-testid="stMetricDelta"] p { font-size: 1.1rem; }
        .st-key-meeting-slide [data-testid="stMetricLabel"] p { font-size: 1.15rem; font-weight: 600; }
        .st-key-meeting-slide h2 { font-size: 2.4rem; color: #111; }
        .st-key-clicker-keys { display: none; }
        </style>""",
        unsafe_allow_html=True,
    )
    if present:
        # Streamlit cannot close the sidebar after page config; hiding it suits a projector.
        st.markdown(
            """<style>
            [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
            [data-testid="stExpandSidebarButton"], footer { display: none !important; }
            .stMainBlockContainer { max-width: 100% !important; padding: 1.2rem 2.5rem 1rem 2.5rem !important; }
            .stApp { background: #ffffff; color: #000000; }
            .st-key-meeting-slide p, .st-key-meeting-slide li, .st-key-meeting-slide td { font-size: 1.6rem; }
            .st-key-meeting-slide [data-testid="stMetricValue"] { font-size: 3.6rem; }
            .st-key-meeting-slide [data-testid="stMetricDelta"] div, .st-key-meeting-slide [data-testid="stMetricDelta"] p { font-size: 1.4rem; }
            .st-key-meeting-slide h2 { font-size: 3rem; }
            </style>""",
            unsafe_allow_html=True,
        )


@data.loader(ttl=600, max_entries=32)
def briefing_for(engine, scope: str, period_key: str, language: str, compare_mode: str, meeting_day: date, *, viewer) -> content.Briefing:
    """Keyed by the viewer's access (role and unit) too: a briefing holds commitments."""
    from metrics.periods import parse_period

    return content.build_briefing(engine, scope, parse_period(period_key), language, compare_mode, meeting_day, viewer=viewer, counts=cached_counts())


def cached_counts() -> content.Counts:
    """The briefing's counts through the app's loaders (the session's viewer, as the briefing's):
    a meeting reads again none of the counts the overview, the alerts or the other language
    already read."""

    def key(codes):
        return None if codes is None else tuple(codes)

    return content.Counts(
        lambda start, end, codes, by_unit, restated: data.kpi_counts(start, end, key(codes), by_unit=by_unit, restated=restated),
        lambda start, end, grain, codes, restated: data.flow_counts_by_period(start, end, grain, key(codes), restated=restated),
        lambda days, codes, by_unit, restated: data.backlog_counts(tuple(days), key(codes), by_unit=by_unit, restated=restated),
    )


@data.loader(ttl=600, max_entries=32)
def map_image(engine, scope: str, period_key: str, language: str, compare_mode: str, meeting_day: date, *, viewer) -> bytes:
    return figures.map_png(briefing_for(scope, period_key, language, compare_mode, meeting_day))


def kpi_slide(m: Meeting) -> None:
    b = m.b
    st.header(f"{t('Chỉ số chính', 'Key figures')} · {b.period.label(lang())}")
    st.caption(f"{t('so với', 'compared with')} {b.compare.label(lang())}")
    badge = {"green": "green", "amber": "orange", "red": "red"}
    for first in range(0, len(b.kpis), 4):
        for column, f in zip(st.columns(4), b.kpis[first : first + 4]):
            kpi = kpis.get(f.kpi_id)
            with column:
                st.metric(
                    f.label,
                    f.value_text,
                    delta=None if f.change_text == "—" else f.change_text,
                    delta_color=kpis.change_colour(kpi, f.change_text),
                    help=f.definition,
                    border=True,
                )
                notes = [f.volume_text]
                if f.status:
                    notes.append(f":{badge[f.status]}-badge[{f.status_text}] {t('Mục tiêu', 'Target')} {f.target_text}")
                st.caption(" · ".join(notes))
    st.markdown(f"**{t('Chỉ số cần tập trung', 'Focus KPI')}: :red[{b.focus.label(lang())}]**")


MAP_PICTURE_HEIGHT_PX = 840  # the map slide's picture below its title, inside 1080 pixels


def map_slide(m: Meeting) -> None:
    b = m.b
    st.header(f"{t('Bản đồ', 'Map')} · {b.focus.label(lang())} ({b.children_label})")
    if b.units_values.empty:
        st.info(t("Phạm vi này không có đơn vị cấp dưới.", "This scope has no units below it."))
        return
    picture, worst = st.columns([3, 1])
    png = map_image(*m.args)
    # As wide as fits under the slide's title on a 1920x1080 projector, never taller.
    width, height = Image.open(io.BytesIO(png)).size
    picture.image(png, width=int(MAP_PICTURE_HEIGHT_PX * width / height))
    with worst:
        st.markdown(f"**{b.weak_title}**")
        for row in b.bottom.head(5).to_dict("records"):
            st.markdown(f"{row['name']}: **{b.fmt(row['value'])}** ({fmt_int(row['volume'], lang())})")
        if b.bottom.empty:
            st.markdown(t("Không đơn vị nào.", "None."))
        st.caption(b.weak_rule)  # the boundaries note is in the picture already


def bottom_slide(m: Meeting) -> None:
    b = m.b
    kpi = b.focus
    st.header(f"{b.weak_title} · {kpi.label(lang())}")
    st.caption(b.weak_rule)
    if b.bottom.empty:
        st.success(t("Không đơn vị nào cần nêu theo quy tắc trên.", "No unit is named under the rule above."), icon=":material/check_circle:")
        return
    chart, table = st.columns([3, 2])
    chart.plotly_chart(charts.unit_bars(b.bottom, kpi, lang(), b.trend_target, height=520, font_size=20), key="bottom_chart")
    table.dataframe(pd.DataFrame(content.bottom_rows(b), columns=content.bottom_header(b)), hide_index=True, width="stretch")


def trend_slide(m: Meeting) -> None:
    b = m.b
    kpi = b.focus
    st.header(f"{t('Xu hướng 12 kỳ', 'Trend, 12 periods')} · {kpi.label(lang())}")
    series = b.trend.assign(volume_text=[fmt_int(v, lang()) for v in b.trend["volume"]])
    st.plotly_chart(charts.trend_figure({b.scope_name: series}, kpi, lang(), b.trend_target, height=540, font_size=18), key="trend_chart")


def alert_slide(m: Meeting, index: int | None) -> None:
    b = m.b
    if index is None:
        st.header(t("Cảnh báo", "Alerts"))
        st.success(t("Không có đơn vị nào xấu đi bất thường trong kỳ.", "No unit got worse beyond chance this period."), icon=":material/check_circle:")
        return
    unit = b.alerts[index]
    where = f" · {unit.parent_name}" if unit.parent_name else ""
    st.header(f"{t('Cảnh báo', 'Alert')} {index + 1}/{len(b.alerts)}: {unit.name}{where}")
    for sentence in unit.sentences:
        st.markdown(f"{':material/error:' if unit.severity == 'high' else ':material/warning:'} {sentence}")
    for column, (label, value) in zip(st.columns(len(unit.figures)), unit.figures):
        main, _, volume = value.partition(" (")
        column.metric(label, main, border=True)
        if volume:
            column.caption(volume.rstrip(")"))
    st.markdown(f"[{t('Mở hồ sơ đơn vị', 'Open the unit profile')}]({url_state.link('unit', unit=unit.unit_code)})")
    if b.alert_count > len(b.alerts) and index == len(b.alerts) - 1:
        st.caption(t(f"… và {b.alert_count - len(b.alerts)} cảnh báo khác.", f"… and {b.alert_count - len(b.alerts)} more alerts."))


def week_slide(m: Meeting) -> None:
    b = m.b
    st.header(f"{t('Chỉ số phục vụ', 'Service index')} · {b.week_board.week.label(lang())}")
    st.markdown(f"**{content.week_board_summary(b)}**")
    st.dataframe(pd.DataFrame(content.week_board_rows(b), columns=content.week_board_header(lang())), hide_index=True, width="stretch")
    st.caption(
        " ".join(content.week_board_notes(b))
        + f" [{t('Bảng đầy đủ', 'The full board')}]({url_state.link('scoreboard', pk='week', period=b.week_board.week.key)})"
    )


def scope_codes(filters, units) -> tuple[str, ...]:
    """The units of the meeting's scope: an area's units, or a unit's subtree (the city's: all)."""
    return tuple(filters.codes) if filters.codes is not None else unit_tree.subtree_codes(units, filters.scope_code)


def scope_units(m: Meeting) -> pd.DataFrame:
    """The units a commitment may be given to: the scope's, and only those the viewer owns."""
    units, filters, viewer = m.units, m.filters, m.viewer
    codes = scope_codes(filters, units)
    own = data.own_codes(viewer)
    frame = units[units["code"].isin(codes) & units["level"].isin(["city", "district", "ward", "department"])]
    if own is not None:
        frame = frame[frame["code"].isin(own)]
    return frame.sort_values(["level", "name"])


def commitments_slide(m: Meeting) -> None:
    b, units, filters, viewer, today = m.b, m.units, m.filters, m.viewer, m.today
    st.header(t("Nhiệm vụ đến hạn", "Commitments due"))
    since = fmt_date(b.commitments_since) if b.commitments_since else "—"
    st.caption(
        t(
            f"Đến hạn đến hôm nay ({fmt_date(today)}) và đã đóng từ cuộc họp trước ({since}).",
            f"Due by today ({fmt_date(today)}) and closed since the previous meeting ({since}).",
        )
    )
    rows = content.commitment_rows(b)
    if rows:
        st.dataframe(pd.DataFrame(rows, columns=content.commitment_header(lang())), hide_index=True, width="stretch")
    else:
        st.info(t("Không có nhiệm vụ đến hạn.", "No commitments due."), icon=":material/task_alt:")
    reminders_since_last_meeting(m)
    record, change = st.tabs([t("Ghi nhận nhiệm vụ mới", "Record a commitment"), t("Cập nhật nhiệm vụ", "Update a commitment")])
    with record:
        record_form(m)
    with change:
        update_form(m)
    with st.expander(t("Mọi nhiệm vụ chưa đóng của phạm vi", "Every pending commitment in this scope")):
        pending = stores.list_commitments(scope_codes(filters, units), stores.PENDING, today, viewer=viewer)
        st.dataframe(
            pd.DataFrame(
                {
                    t("Đơn vị", "Unit"): pending["unit_name"],
                    t("Nội dung", "Commitment"): pending["title"],
                    t("Hạn", "Due"): [fmt_date(d) for d in pending["due_date"]],
                    t("Trạng thái", "Status"): [stores.status_label(s, lang()) for s in pending["effective_status"]],
                }
            ),
            hide_index=True,
            width="stretch",
        )


def reminders_since_last_meeting(m: Meeting) -> None:
    """Who reminded whom about which late step since the previous meeting (data_access/reminders.py)."""
    b, units, filters, viewer, today = m.b, m.units, m.filters, m.viewer, m.today
    since = b.commitments_since or (today - timedelta(days=30))
    codes = scope_codes(filters, units)
    try:
        sent = stores.reminders(datetime.combine(since, datetime.min.time()), None if filters.scope_code == filters.city_code else codes, viewer=viewer)
    except access.OutOfScope:
        return
    if sent.empty:
        return
    with st.expander(t(f"Nhắc việc đã gửi từ {fmt_date(since)} ({fmt_int(len(sent), 'vi')})", f"Reminders sent since {fmt_date(since)} ({len(sent):,})")):
        st.dataframe(
            pd.DataFrame(
                {
                    t("Lúc", "At"): [fmt_date(v) for v in sent["at"]],
                    t("Người nhắc", "By"): sent["by"],
                    t("Cán bộ", "Officer"): sent["officer"],
                    t("Mã hồ sơ", "Dossier"): sent["dossier_code"],
                    t("Bước", "Step"): [step_label(s, lang()) for s in sent["step"]],
                    t("Số ngày trễ", "Days late"): sent["days_late"],
                    t("Kết quả", "Result"): [t("Đã gửi", "Sent") if s == "sent" else t("Lỗi", "Failed") for s in sent["status"]],
                }
            ),
            hide_index=True,
            width="stretch",
        )


def show_problems(error: stores.CommitmentError) -> None:
    for message in error.messages(lang()):
        st.error(plain(message), icon=":material/error:")


def record_form(m: Meeting) -> None:
    viewer, today = m.viewer, m.today
    candidates = scope_units(m)
    names = dict(zip(candidates["code"], candidates["name"]))
    kpi_ids = list(kpis.KPIS)
    with st.form("new_commitment", clear_on_submit=False):
        unit = st.selectbox(
            t("Đơn vị chịu trách nhiệm", "Unit responsible"),
            list(names),
            index=None,
            format_func=names.get,
            placeholder=t("Chọn đơn vị", "Choose a unit"),
            key="c_unit",
        )
        title = st.text_area(t("Nội dung nhiệm vụ", "What is to be done"), key="c_title", height=90)
        first, second, third = st.columns(3)
        owner = first.text_input(t("Người/chức danh phụ trách", "Owner (person or role)"), key="c_owner")
        due = second.date_input(t("Hạn hoàn thành", "Due date"), value=today + timedelta(days=14), format="DD/MM/YYYY", key="c_due")
        by = third.text_input(t("Người ghi", "Recorded by"), key="c_by")
        first, second = st.columns(2)
        kpi_id = first.selectbox(
            t("Chỉ số cần cải thiện (không bắt buộc)", "KPI it should move (optional)"),
            kpi_ids,
            index=None,
            format_func=lambda k: kpis.get(k).label(lang()),
            key="c_kpi",
            placeholder=t("Không gắn chỉ số", "No KPI"),
        )
        target = second.number_input(t("Mục tiêu (tỷ lệ nhập theo %)", "Target (rates in %)"), value=None, step=0.1, key="c_target")
        submitted = st.form_submit_button(t("Ghi nhận", "Record"), type="primary")
    if submitted:
        value = target
        if value is not None and kpi_id and kpis.get(kpi_id).kind == "rate":
            value = value / 100.0
        try:
            new_id = stores.create_commitment(
                dict(unit_code=unit, title=title, owner=owner, due_date=due, kpi_id=kpi_id, target_value=value, created_by=by), today=today, viewer=viewer
            )
        except stores.CommitmentError as error:
            show_problems(error)
        else:
            briefing_for.clear()
            st.success(t(f"Đã ghi nhận nhiệm vụ số {new_id}.", f"Commitment {new_id} recorded."), icon=":material/check_circle:")


def update_form(m: Meeting) -> None:
    units, filters, viewer, today = m.units, m.filters, m.viewer, m.today
    rows = stores.list_commitments(scope_codes(filters, units), None, today, viewer=viewer)
    if rows.empty:
        st.caption(t("Chưa có nhiệm vụ nào.", "No commitments yet."))
        return
    labels = {
        int(r["id"]): f"#{r['id']} · {r['unit_name']} · {r['title'][:60]} ({stores.status_label(r['effective_status'], lang())})"
        for r in rows.to_dict("records")
    }
    with st.form("update_commitment"):
        chosen = st.selectbox(t("Nhiệm vụ", "Commitment"), list(labels), format_func=labels.get, key="u_id")
        status = st.radio(
            t("Trạng thái mới", "New status"),
            list(stores.STATUSES),
            format_func=lambda s: stores.status_label(s, lang()),
            horizontal=True,
            key="u_status",
            index=1,
        )
        first, second = st.columns(2)
        new_due = first.date_input(t("Hạn mới (nếu dời hạn)", "New due date (if moved)"), value=None, format="DD/MM/YYYY", key="u_due")
        by = second.text_input(t("Người cập nhật", "Updated by"), key="u_by")
        note = st.text_area(t("Ghi chú", "Note"), key="u_note", height=80)
        submitted = st.form_submit_button(t("Cập nhật", "Update"), type="primary")
    if submitted:
        try:
            stores.update_commitment(chosen, status, note=note, by=by, new_due_date=new_due, today=today, viewer=viewer)
        except stores.CommitmentError as error:
            show_problems(error)
        else:
            briefing_for.clear()
            st.success(t("Đã cập nhật.", "Updated."), icon=":material/check_circle:")
    if chosen is not None:
        past = stores.commitment_history(chosen, viewer=viewer)
        st.caption(t("Lịch sử", "History"))
        st.dataframe(
            pd.DataFrame(
                {
                    t("Lúc", "At"): [str(v)[:16] for v in past["at"]],
                    t("Người", "By"): past["by"],
                    t("Từ", "From"): [stores.status_label(s, lang()) if s else "—" for s in past["old_status"]],
                    t("Sang", "To"): [stores.status_label(s, lang()) for s in past["new_status"]],
                    t("Hạn mới", "New due"): [fmt_date(d) if d else "" for d in past["new_due_date"]],
                    t("Ghi chú", "Note"): past["note"].fillna(""),
                }
            ),
            hide_index=True,
            width="stretch",
        )


def pack_download(m: Meeting) -> None:
    """The briefing pack (PowerPoint or PDF) of what the slides show, built on request."""
    filters, viewer, today, args = m.filters, m.viewer, m.today, m.args
    st.divider()
    st.subheader(t("Tài liệu họp (đọc trước)", "Briefing pack (pre-read)"))
    fmt_col, build_col, get_col = st.columns([2, 2, 3], vertical_alignment="bottom")
    fmt = fmt_col.radio(
        t("Định dạng", "Format"), ["pptx", "pdf"], format_func={"pptx": "PowerPoint (.pptx)", "pdf": "PDF"}.get, horizontal=True, key="pack_format"
    )
    if build_col.button(t("Tạo tài liệu", "Build the pack"), icon=":material/description:", key="build_pack"):
        bar = st.progress(0.0, text=t("Đang tạo tài liệu…", "Building the pack…"))
        from reports.briefing import build

        payload, name = build(
            data.engine(),
            filters.scope_code,
            filters.period,
            fmt,
            lang(),
            filters.compare_mode,
            today,
            progress=lambda f, message: bar.progress(min(max(f, 0.0), 1.0), text=message),
            viewer=viewer,
        )
        bar.empty()
        st.session_state["pack"] = ((viewer.scope_key(), *args), fmt, payload, name)
    ready = st.session_state.get("pack")
    if ready and ready[0] == (viewer.scope_key(), *args) and ready[1] == fmt:
        mime = {"pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pdf": "application/pdf"}[fmt]
        payload = ready[2]  # recorded in the audit log when the user downloads it
        get_col.download_button(
            f"{t('Tải xuống', 'Download')} {ready[3]}",
            audited(lambda: payload, ready[3], {"scope": filters.scope_code, "period": filters.period.key}),
            file_name=ready[3],
            mime=mime,
            icon=":material/download:",
            type="primary",
            key="download_pack",
            on_click="ignore",
        )
