"""Khâu nào chậm: which processing step is slow, who holds the late steps now, a dossier's
step timeline, and "Việc cần nhắc" (reminding the officer who holds a late step).

For the filter bar's scope and period (or `?unit=CODE`); steps name officers, so only the
viewer's own units are read (data_access/steps.py raises OutOfScope otherwise).
"""

from datetime import datetime

import pandas as pd
import streamlit as st

from domain import access
from domain.steps import step_label
from i18n.format import fmt_int
from domain import units as unit_tree
from ui import auth, data, stores, url_state
from ui import steps as step_ui
from ui.downloads import Col, table
from ui.filters import current, units_of
from ui.i18n import lang, t

filters = current()
units = units_of(filters)
period = filters.period
names = dict(zip(units["code"], units["name"]))
viewer = auth.current_viewer()
own = data.own_codes(viewer)
listed = units if own is None else units[units["code"].isin(own)]
default = filters.scope_code if own is None or filters.scope_code in own else (viewer.unit_code or listed["code"].iloc[0])
code = url_state.selectbox(
    st.sidebar,
    t("Đơn vị", "Unit"),
    list(listed.sort_values(["level", "code"])["code"]),
    key="unit",
    default=default,
    format_func=lambda c: f"{names.get(c, c)} ({c})",
)
codes = None if code == filters.city_code else tuple(unit_tree.subtree_codes(units, code))
now = datetime.now().replace(second=0, microsecond=0)  # one cache entry per minute

st.title(f"{t('Khâu nào chậm', 'Which step is slow')} · {names.get(code, code)}")
st.caption(f"{period.label(lang())}")
step_ui.coverage_caption()

try:
    by_step = step_ui.step_stats(period.start, period.end, codes)
except access.OutOfScope as refused:
    st.error(refused.text(lang()), icon=":material/lock:")
    st.stop()

st.subheader(t("Thời gian từng bước", "Time per step"))
if by_step.empty:
    st.caption(t("Không có bước nào hoàn thành trong kỳ.", "No step finished in the period."))
else:
    step_ui.slow_steps_table(by_step, f"{t('Thời gian từng bước', 'Time per step')} · {code} · {period.key}", "steps_by_step")
    st.caption(
        t(
            "Trung vị và phân vị 90: một nửa / 9 trên 10 bước xong trong thời gian này. Tỷ lệ quá hạn: trong các bước có hạn theo quy trình nội bộ, số bước xong sau hạn.",
            "Median and 90th percentile: half / nine in ten steps finished within this time. Share over due: of the steps with an internal due time, those finished after it.",
        )
    )
    trend = step_ui.step_trend(period.start.replace(day=1) - pd.DateOffset(months=11), period.end, codes)
    if not trend.empty:
        st.markdown(f"**{t('Xu hướng phân vị 90 theo tháng', 'Monthly trend of the 90th percentile')}**")
        st.plotly_chart(step_ui.trend_figure(trend), key="steps_trend")

st.subheader(t("Theo thủ tục", "By procedure"))
by_procedure = step_ui.step_stats(period.start, period.end, codes, by=("procedure_code", "step"))
if not by_procedure.empty:
    step_ui.slow_steps_table(
        by_procedure[by_procedure["steps"] >= 5].head(30),
        f"{t('Bước chậm theo thủ tục', 'Slow steps by procedure')} · {code} · {period.key}",
        "steps_by_procedure",
    )
    st.caption(t("30 cặp thủ tục - bước chậm nhất (ít nhất 5 bước trong kỳ).", "The 30 slowest procedure-step pairs (at least 5 steps in the period)."))

st.subheader(t("Cán bộ đang giữ nhiều bước quá hạn nhất", "Officers holding the most overdue steps now"))
holders = step_ui.officers_holding_overdue(now, codes)
if holders.empty:
    st.caption(t("Không có bước nào đang quá hạn.", "No step is overdue now."))
else:
    table(
        [
            Col("Cán bộ", "Officer", holders["officer"]),
            Col("Đơn vị", "Unit", [names.get(c, c) for c in holders["unit_code"]]),
            Col("Số bước quá hạn", "Overdue steps", holders["overdue_steps"], "int"),
            Col("Hạn cũ nhất", "Oldest due", holders["oldest_due"], "date"),
        ],
        f"{t('Cán bộ giữ bước quá hạn', 'Officers holding overdue steps')} · {code}",
        "steps_holders",
    )

# --- Việc cần nhắc ---------------------------------------------------------------------------------
st.subheader(t("Việc cần nhắc", "Reminders to send"))
late = step_ui.overdue_steps(now, codes)
if late.empty:
    st.caption(t("Không có bước nào đang quá hạn.", "No step is overdue now."))
else:
    st.caption(
        t(f"{fmt_int(len(late), 'vi')} bước đang quá hạn, theo cán bộ đang giữ.", f"{len(late):,} open steps past their due time, by the officer holding them.")
    )
    grouped = late.assign(officer=late["officer"].fillna(t("(cơ quan phối hợp)", "(other agency)"))).sort_values(
        ["officer", "days_late"], ascending=[True, False]
    )
    table(
        [
            Col("Cán bộ", "Officer", grouped["officer"]),
            Col("Mã hồ sơ", "Dossier", grouped["dossier_code"]),
            Col("Thủ tục", "Procedure", grouped["procedure"]),
            Col("Bước", "Step", [step_label(s, lang()) for s in grouped["step"]]),
            Col("Hạn của bước", "Step due", grouped["due_at"], "date"),
            Col("Số ngày trễ", "Days late", grouped["days_late"], "int"),
        ],
        f"{t('Việc cần nhắc', 'Reminders to send')} · {code}",
        "steps_remind",
    )
    step_ui.reminder_form(grouped, viewer)

sent = stores.reminders(datetime.combine(period.start, datetime.min.time()), codes, viewer=viewer)
if not sent.empty:
    st.markdown(f"**{t('Nhắc việc đã gửi trong kỳ', 'Reminders sent in the period')}**")
    step_ui.reminders_sent_table(sent, f"{t('Nhắc việc đã gửi', 'Reminders sent')} · {code} · {period.key}")

# --- one dossier's path -------------------------------------------------------------------------------
st.subheader(t("Đường đi của một hồ sơ", "A dossier's path"))
suggested = list(dict.fromkeys(late["dossier_code"].tolist()))[:200] if not late.empty else []
typed = st.query_params.get("dossier") or (suggested[0] if suggested else "")
dossier = st.text_input(
    t("Mã hồ sơ", "Dossier code"),
    value=typed,
    key="steps_dossier",
    help=t("Ví dụ: một hồ sơ trong danh sách việc cần nhắc.", "For example a dossier from the reminders list."),
)
if dossier:
    try:
        timeline = step_ui.dossier_timeline(dossier.strip())
    except access.OutOfScope as refused:
        st.error(refused.text(lang()), icon=":material/lock:")
    else:
        if timeline.empty:
            st.caption(t("Không có bước nào của hồ sơ này.", "No steps for this dossier."))
        else:
            step_ui.timeline_table(timeline, dossier)
