"""Khảo sát độc lập: the province over the years in the independent surveys (SIPAS, PAPI
dimensions, PAR Index rank), with the national figure beside it and the city's device
satisfaction as its own line, never blended with a survey."""

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from i18n.format import plot_separators
from metrics import kpis, surveys
from metrics import periods
from domain import units as unit_tree
from ui import data, url_state
from ui.charts import FONT, PALETTE
from ui.downloads import Col, table
from ui.filters import current
from ui.i18n import lang, t
from ui.surveys import value_text

filters = current()
units = data.units()
rows = data.surveys()

st.title(t("Khảo sát độc lập", "Independent surveys"))
st.caption(
    t(
        "Kết quả khảo sát độc lập đã công bố theo năm: SIPAS (Bộ Nội vụ), PAPI (UNDP), PAR Index, Mặt trận Tổ quốc, khảo sát của thành phố. "
        "Đánh giá trên thiết bị là một đường riêng để so sánh, không cộng gộp với khảo sát.",
        "Published independent survey results by year: SIPAS (Ministry of Home Affairs), PAPI (UNDP), PAR Index, the Fatherland Front, the city's own survey. "
        "Device ratings are a separate line for comparison, never combined with a survey.",
    )
)
if rows.empty:
    st.info(
        t(
            "Chưa có số liệu khảo sát. Quản trị viên nạp tệp ở trang Dữ liệu (nguồn «Khảo sát độc lập»).",
            "No survey figures yet. An administrator loads them on the Data page (source “Independent surveys”).",
        ),
        icon=":material/info:",
    )
    st.stop()

provinces = [
    c for c in dict.fromkeys([filters.city_code, *sorted(rows["province_code"].unique())]) if c != surveys.NATIONAL and c in set(rows["province_code"])
]
if not provinces:
    provinces = [filters.city_code]
names = {c: (unit_tree.name_of(units, c) if c == filters.city_code else surveys.area_label(c, lang())) for c in provinces}
province = url_state.selectbox(st.sidebar, t("Tỉnh, thành phố", "Province"), provinces, key="province", format_func=names.get)
here = rows[(rows["province_code"] == province) & (rows["unit_code"].isna() | (rows["unit_code"] == province))]
national = rows[rows["province_code"] == surveys.NATIONAL]

# --- satisfaction over the years -------------------------------------------------------------
st.subheader(t(f"Mức hài lòng qua các năm · {names[province]}", f"Satisfaction over the years · {names[province]}"))
figure = go.Figure()
series = 0
for source, part in surveys.by_year(here, "satisfaction").groupby("source"):
    generated = any(surveys.is_generated(r) for r in part.to_dict("records"))
    name = surveys.source_label(source, lang()) + (t(" (dữ liệu mẫu sinh tự động)", " (generated demo data)") if generated else "")
    figure.add_trace(
        go.Scatter(
            x=part["year"],
            y=part["value"],
            name=name,
            mode="lines+markers+text",
            text=[value_text(v, "percent", None, lang()) for v in part["value"]],
            textposition="top center",
            line=dict(color=PALETTE[series % len(PALETTE)], width=3),
        )
    )
    series += 1
for source, part in surveys.by_year(national, "satisfaction").groupby("source"):
    figure.add_trace(
        go.Scatter(
            x=part["year"],
            y=part["value"],
            name=f"{surveys.source_label(source, lang())} · {surveys.area_label(surveys.NATIONAL, lang())}",
            mode="lines+markers",
            customdata=[value_text(v, "percent", None, lang()) for v in part["value"]],
            hovertemplate="%{x}: %{customdata}",
            line=dict(color="#888888", dash="dot", width=2),
            marker=dict(symbol="diamond", size=10),
        )
    )
device_years = []
if province == filters.city_code:
    extent = data.data_extent()
    for year in range(extent["first_day"].year, extent["last_day"].year + 1):
        whole = periods.year(year)
        if whole.start >= extent["first_day"] and whole.end <= extent["last_day"]:
            counts = data.kpi_counts(whole.start, whole.end, None)
            device_years.append((year, kpis.total(counts, "satisfaction_rate") * 100, int(counts["ratings"].sum())))
    if device_years:
        frame = pd.DataFrame(device_years, columns=["year", "value", "ratings"])
        figure.add_trace(
            go.Scatter(
                x=frame["year"],
                y=frame["value"],
                name=t("Thiết bị (đánh giá tại đơn vị)", "Devices (ratings at the counters)"),
                mode="lines+markers",
                line=dict(color="#2a9d8f", dash="dash", width=2),
            )
        )
figure.update_layout(
    height=380,
    font=FONT,
    margin=dict(l=10, r=10, t=30, b=10),
    legend=dict(orientation="h", y=-0.2),
    yaxis=dict(title="%", range=[50, 102]),
    xaxis=dict(title=None, dtick=1),
    separators=plot_separators(lang()),
)
if series or device_years or not national.empty:
    st.plotly_chart(figure, key="survey_years")
if device_years:
    st.caption(
        t(
            "Đường thiết bị: tỷ lệ hài lòng trên kiosk, máy tính bảng, cổng dịch vụ công của toàn thành phố trong những năm có đủ số liệu. "
            "Khảo sát độc lập hỏi người dân theo mẫu, nên thường thấp hơn nhiều.",
            "Device line: the satisfaction rate on kiosks, tablets and the portal for the whole city, in the years with complete data. "
            "Independent surveys sample citizens, so they usually read much lower.",
        )
    )

# --- PAPI dimensions, and the ranks -------------------------------------------------------------
left, right = st.columns(2)
with left:
    st.markdown(f"**{t('PAPI theo nội dung', 'PAPI by dimension')}**")
    papi = here[here["indicator"] == "papi_dimension"]
    if papi.empty:
        st.caption(t("Chưa có điểm PAPI theo nội dung cho tỉnh này.", "No PAPI dimension scores for this province yet."))
    else:
        pivot = papi.assign(year=papi["period_end"].dt.year).pivot_table(index="dimension", columns="year", values="value", aggfunc="last")
        order = [d for d in surveys.PAPI_DIMENSIONS if d in pivot.index] + [d for d in pivot.index if d not in surveys.PAPI_DIMENSIONS]
        out_of = papi.groupby("dimension")["scale_max"].last()  # a dimension's score is out of 10, the total out of 80
        shown = pivot.loc[order].apply(lambda row: row.map(lambda v: value_text(v, "score", out_of.get(row.name), lang())), axis=1)
        st.dataframe(shown.rename_axis(index=t("Nội dung", "Dimension"), columns=None), width="stretch")
with right:
    st.markdown(f"**{t('Xếp hạng giữa các tỉnh, thành phố', 'Rank among provinces')}**")
    ranks = here[here["indicator"].isin(["par_rank", "satisfaction_rank"]) & here["dimension"].isna()]
    if ranks.empty:
        st.caption(t("Chưa có thứ hạng PAR Index hoặc SIPAS cho tỉnh này.", "No PAR Index or SIPAS rank for this province yet."))
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    t("Năm", "Year"): ranks["period"],
                    t("Chỉ tiêu", "Indicator"): [surveys.indicator_label(i, lang()) for i in ranks["indicator"]],
                    t("Hạng", "Rank"): [value_text(v, "rank", m, lang()) for v, m in zip(ranks["value"], ranks["scale_max"])],
                }
            ),
            hide_index=True,
            width="stretch",
        )

# --- every figure, with its source -------------------------------------------------------------
st.subheader(t("Tất cả số liệu và nguồn", "Every figure and its source"))
shown = pd.concat([here, national]).sort_values(["period_end", "source"], ascending=[False, True])
unit_names = dict(zip(units["code"], units["name"]))
table(
    [
        Col("Nguồn", "Source", [surveys.source_label(s, lang()) for s in shown["source"]]),
        Col("Kỳ", "Period", [periods.parse_period(p).label(lang()) for p in shown["period"]]),
        Col("Địa bàn", "Area", [surveys.area_label(p, lang()) if p != filters.city_code else unit_names.get(p, p) for p in shown["province_code"]]),
        Col("Chỉ tiêu", "Indicator", [surveys.indicator_label(i, lang()) for i in shown["indicator"]]),
        Col("Nội dung", "Dimension", shown["dimension"]),
        Col("Giá trị", "Value", [value_text(v, s, m, lang()) for v, s, m in zip(shown["value"], shown["scale"], shown["scale_max"])]),
        Col("Cỡ mẫu", "Sample", shown["sample_size"], "int"),
        Col("Ghi chú phương pháp, nguồn", "Method note, source", shown["method_note"]),
        Col("Đường dẫn", "Link", shown["link"]),
    ],
    f"{t('Khảo sát độc lập', 'Independent surveys')} · {names[province]}",
    "surveys",
)
unit_rows = rows[(rows["province_code"] == province) & rows["unit_code"].notna() & (rows["unit_code"] != province)]
if not unit_rows.empty:
    st.caption(
        t(
            f"Có thêm {len(unit_rows)} số liệu khảo sát cấp đơn vị: xem trong hồ sơ từng đơn vị.",
            f"{len(unit_rows)} more unit-level survey figures: see each unit's profile.",
        )
    )
