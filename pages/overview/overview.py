"""Tổng quan: the city (or an area, or one unit) at a glance for the chosen period."""

import pandas as pd
import streamlit as st

from i18n.format import fmt_int
from metrics import kpis, ranking
from ui import alerts, cards, charts, data, overview, surveys, trends
from ui.filters import children_of, children_word, current, restated_caption, units_of
from ui.i18n import lang, t

filters = current()
units = units_of(filters)
codes, scope_name, restated = filters.codes, filters.scope_name, filters.restated
period, compare = filters.period, filters.compare

st.title(f"{t('Tổng quan', 'Overview')} · {scope_name}")
st.caption(f"{period.label(lang())} · {t('so với', 'compared with')} {compare.label(lang())}")

now = data.kpi_counts(period.start, period.end, codes)
before = data.kpi_counts(compare.start, compare.end, codes, restated=restated)
if now["ratings"].sum() == 0 and now["received"].sum() == 0:
    st.info(
        t("Không có số liệu trong kỳ này cho phạm vi đã chọn. Hãy chọn kỳ khác.", "No data in this period for the chosen scope. Pick another period."),
        icon=":material/event_busy:",
    )
    st.stop()

# The last 12 periods of the same kind feed the sparklines and the trend charts.
trend = trends.trend_table(period, codes, restated, lang())
sparklines = trends.sparklines(period, codes, restated, lang())

targets = data.targets(period.end)
cards.kpi_row(kpis.HEADLINE_KPIS, now, before, targets, filters.scope_code, sparklines)
restated_caption(before, trend)

# Best and weakest units one level down: ranks in the one fair order (so a tiny unit with
# 3 of 3 does not outrank one with 2,980 of 3,000); "needs improvement" by the one rule.
children_label = children_word(children_of(filters, units))
st.subheader(t(f"Đơn vị tốt nhất và cần cải thiện ({children_label})", f"Best units and units needing improvement ({children_label})"))
best_word, weak_word = t("Tốt nhất", "Best"), t("Cần cải thiện", "Needs improvement")
for column, kpi_id in zip(st.columns(2), kpis.LEAD_RATES):
    kpi = kpis.get(kpi_id)
    show = overview.best_and_weak(filters, kpi_id, best_word, weak_word)
    with column:
        st.markdown(f"**{kpi.label(lang())}**")
        st.dataframe(
            pd.DataFrame(
                {
                    t("Nhóm", "Group"): show["group"],
                    t("Hạng", "Rank"): show["rank"],
                    t("Đơn vị", "Unit"): show["name"],
                    kpi.label(lang()): [kpis.format_value(v, kpi, lang()) for v in show["value"]],
                    t("Số lượng", "Volume"): [fmt_int(v, lang()) for v in show["volume"]],
                    t("Lý do", "Why"): [ranking.weak_reason_words(r, lang()) for r in show["weak_reason"]],
                }
            ),
            hide_index=True,
            width="stretch",
            key=f"best_weak_{kpi_id}",
        )
        if not (show["group"] == weak_word).any():
            st.caption(
                ":material/check_circle: " + t("Không đơn vị nào cần cải thiện theo quy tắc dưới đây.", "No unit needs improvement under the rule below.")
            )
st.caption(ranking.weak_rule_text(None, lang()))
# Independent surveys after the lists: the lists are what a meeting reads first, whole inside
# 1920x1080 without scrolling (issue 13).
surveys.panel(filters.scope_code, filters.city_code, codes)

st.subheader(t("Xu hướng 12 kỳ gần nhất", "Trend over the last 12 periods"))
for column, kpi_id in zip(st.columns(len(kpis.LEAD_RATES)), kpis.LEAD_RATES):
    kpi = kpis.get(kpi_id)
    series = trends.kpi_line(period, codes, restated, lang(), kpi_id)
    target = kpis.target_for(targets, kpi_id, filters.scope_code)
    with column:
        st.markdown(f"**{kpi.label(lang())}**", help=kpi.help(lang()))
        st.plotly_chart(
            charts.trend_figure({scope_name: series}, kpi, lang(), target[0] if target else None, reforms=data.reform_days()), key=f"trend_{kpi_id}"
        )

st.subheader(t("Cảnh báo", "Alerts"))
st.caption(
    t(
        "Đơn vị có chỉ số xấu đi vượt mức ngẫu nhiên so với 6 kỳ trước, hoặc hồ sơ quá hạn tăng mạnh.",
        "Units whose figures got worse beyond chance against the six previous periods, or whose overdue dossiers grew sharply.",
    )
)
alerts.alert_list(alerts.find_alerts(period, codes, restated), units, targets=targets)
