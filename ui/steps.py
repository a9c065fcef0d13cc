"""Cached loaders and blocks for "Khâu nào chậm" (which step is slow) and "Việc cần nhắc"
(reminders): the steps page (pages/analysis/steps.py) and the unit profile use them.

Loaders like ui/unit_data.py's (domain arguments only; ui/data.py's `loader` adds the
database and the viewer's scope to the key); data_access enforces the scope. The step summary is read by month: a period counts the months it touches.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from data_access import steps as step_store
from domain.steps import step_label, step_names
from domain import access
from i18n.format import fmt_date, fmt_num, plot_separators
from ui.data import loader
from ui import stores
from ui.downloads import Col, table
from ui.frame import show_error
from ui.i18n import lang, t


@loader(max_entries=64)
def step_stats(engine, start: date, end: date, codes: tuple | None, by: tuple = ("step",), *, viewer) -> pd.DataFrame:
    return step_store.step_stats(engine, start, end, codes, by, viewer=viewer)


@loader(max_entries=64)
def step_trend(engine, start: date, end: date, codes: tuple | None, *, viewer) -> pd.DataFrame:
    return step_store.step_trend(engine, start, end, codes, viewer=viewer)


@loader(ttl=60, max_entries=64)
def overdue_steps(engine, as_of: datetime, codes: tuple | None, *, viewer) -> pd.DataFrame:
    return step_store.overdue_steps(engine, as_of, codes, viewer=viewer)


@loader(ttl=60, max_entries=64)
def officers_holding_overdue(engine, as_of: datetime, codes: tuple | None, *, viewer) -> pd.DataFrame:
    return step_store.officers_holding_overdue(engine, as_of, codes, viewer=viewer)


@loader(ttl=60, max_entries=64)
def dossier_timeline(engine, dossier: str, *, viewer) -> pd.DataFrame:
    return step_store.dossier_timeline(engine, dossier, viewer=viewer)


# What the steps cover changes only with an import, which clears every cache (ui.data
# follow_other_processes); reading it costs a second at the city's scale.
@loader(max_entries=8, scoped=False, ttl=24 * 3600)
def coverage(engine) -> dict:
    return step_store.coverage(engine)


def hours_text(hours) -> str:
    """ "3,5 giờ" under two days, else "4,2 ngày"."""
    if hours is None or pd.isna(hours):
        return "—"
    if hours < 48:
        return f"{fmt_num(hours, lang(), 1)} {t('giờ', 'h')}"
    return f"{fmt_num(hours / 24, lang(), 1)} {t('ngày', 'days')}"


def coverage_caption() -> None:
    covered = coverage()
    if not covered["dossiers"]:
        st.info(
            t(
                "Chưa có dữ liệu các bước xử lý (nạp phiếu kiểm soát ở trang Dữ liệu).",
                "No processing steps loaded yet (load the control slips on the Data page).",
            ),
            icon=":material/info:",
        )
        return
    if covered["first"] is None:
        span_vi, span_en = "chỉ một phần hồ sơ", "only part of the dossiers"
    else:
        months = f"{covered['first']:%m/%Y} – {covered['last']:%m/%Y}"
        span_vi = f"hầu hết hồ sơ tiếp nhận trong {months}; trước đó chỉ các hồ sơ đã nạp (dữ liệu mẫu: các hồ sơ còn đang giải quyết)"
        span_en = f"most dossiers received in {months}; before that only the dossiers loaded (demo data: those still open)"
    st.caption(
        t(
            f"Các bước xử lý có cho {span_vi}. Thời gian một bước: từ lúc nhận đến lúc chuyển bước; trung vị và phân vị 90 đọc từ bảng tổng hợp theo tháng.",
            f"Processing steps cover {span_en}. A step's time runs from its start to the handover; medians and 90th percentiles come from the monthly summary.",
        )
    )


def slow_steps_table(stats: pd.DataFrame, file_stem: str, key: str) -> None:
    """Per step (in the usual order), or per procedure and step (slowest first)."""
    with_procedure = "procedure" in stats
    if with_procedure:
        stats = stats.sort_values("p90_hours", ascending=False)
    else:
        order = {code: i for i, code in enumerate(step_names())}
        stats = stats.assign(_o=stats["step"].map(order)).sort_values("_o")
    table(
        [
            *([Col("Thủ tục", "Procedure", stats["procedure"])] if with_procedure else []),
            Col("Bước", "Step", [step_label(s, lang()) for s in stats["step"]]),
            Col("Số bước đã xong", "Steps finished", stats["steps"], "int"),
            Col("Trung vị", "Median", [hours_text(h) for h in stats["median_hours"]]),
            Col("Phân vị 90", "90th percentile", [hours_text(h) for h in stats["p90_hours"]]),
            Col("Tỷ lệ quá hạn của bước", "Share over the step's due", stats["over_due_share"], "pct"),
            Col("Số bước có hạn", "Steps with a due time", stats["with_due"], "int"),
        ],
        file_stem,
        key,
    )


def trend_figure(trend: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for code in step_names():
        rows = trend[trend["step"] == code]
        if rows.empty:
            continue
        figure.add_scatter(x=rows["month"], y=rows["p90_hours"] / 24, mode="lines+markers", name=step_label(code, lang()))
    figure.update_layout(
        height=320,
        margin=dict(l=10, r=10, t=10, b=10),
        yaxis_title=t("Phân vị 90 (ngày)", "90th percentile (days)"),
        legend=dict(orientation="h"),
        separators=plot_separators(lang()),
    )
    figure.update_xaxes(tickformat="%m/%Y")  # plotly's default month names are English
    return figure


def reminder_form(late_steps: pd.DataFrame, viewer) -> None:
    """Pick an overdue step held by an officer and send them a reminder by e-mail (recorded
    whether it went or not; data_access/reminders.py checks the viewer's scope)."""
    remindable = late_steps[late_steps["officer_code"].notna()]
    if not remindable.empty:
        labels = {
            int(r.step_id): f"{r.officer} · {r.dossier_code} · {step_label(r.step, lang())} · {t('trễ', 'late')} {r.days_late} {t('ngày', 'days')}"
            for r in remindable.itertuples()
        }
        chosen = st.selectbox(t("Nhắc cán bộ", "Remind the officer"), list(labels), format_func=labels.get, key="remind_step")
        sender = stores.email_sender_from_secrets()
        if sender is None:
            st.caption(
                t(
                    "Chưa cấu hình máy chủ thư: thêm mục [smtp] vào .streamlit/secrets.toml (host, port, sender…).",
                    "No mail server configured: add [smtp] to .streamlit/secrets.toml (host, port, sender…).",
                )
            )
        if st.button(t("Gửi nhắc việc qua e-mail", "Send the reminder by e-mail"), disabled=sender is None, key="remind_send", icon=":material/mail:"):
            try:
                record = stores.send_reminder(chosen, sender, viewer=viewer, lang=lang())
            except access.OutOfScope as refused:
                st.error(refused.text(lang()), icon=":material/lock:")
            except stores.NotRemindable as why:
                show_error(why)
            else:
                if record["status"] == "sent":
                    st.success(t(f"Đã gửi nhắc việc tới {record['recipient']}.", f"Reminder sent to {record['recipient']}."), icon=":material/mark_email_read:")
                else:
                    st.error(t("Không gửi được (đã ghi nhận): ", "Not sent (recorded): ") + str(record["error"]))
                with st.expander(t("Nội dung đã gửi", "The message")):
                    st.text(record["message"])


def reminders_sent_table(sent: pd.DataFrame, file_stem: str) -> None:
    table(
        [
            Col("Lúc", "At", sent["at"], "date"),
            Col("Người nhắc", "By", sent["by"]),
            Col("Cán bộ", "Officer", sent["officer"]),
            Col("Mã hồ sơ", "Dossier", sent["dossier_code"]),
            Col("Bước", "Step", [step_label(s, lang()) for s in sent["step"]]),
            Col("Số ngày trễ", "Days late", sent["days_late"], "int"),
            Col("Kết quả", "Result", [t("Đã gửi", "Sent") if s == "sent" else t("Lỗi", "Failed") for s in sent["status"]]),
        ],
        file_stem,
        "steps_sent",
    )


def timeline_table(timeline: pd.DataFrame, dossier: str) -> None:
    """One dossier's steps in order, with who held each and whether it went past its due."""
    table(
        [
            Col("Thứ tự", "Order", timeline["step_order"], "int"),
            Col("Bước", "Step", [step_label(s, lang()) for s in timeline["step"]]),
            Col("Bộ phận", "Department", timeline["department"]),
            Col("Cán bộ", "Officer", timeline["officer"]),
            Col("Bắt đầu", "Started", [fmt_date(v) for v in timeline["started_at"]]),
            Col("Kết thúc", "Finished", [fmt_date(v) if pd.notna(v) else t("đang xử lý", "in progress") for v in timeline["finished_at"]]),
            Col("Thời gian", "Time", [hours_text(h) for h in timeline["hours"]]),
            Col("Quá hạn bước", "Over the step's due", [t("Có", "Yes") if o else "" for o in timeline["over_due"]]),
        ],
        f"{t('Đường đi hồ sơ', 'Dossier path')} · {dossier}",
        "steps_timeline",
        highlight=[bool(o) for o in timeline["over_due"]],
    )
