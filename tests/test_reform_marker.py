"""Trend charts mark the day units were reorganised, between the periods on either side."""

from datetime import date

import pandas as pd

from metrics import kpis
from ui.charts import trend_figure

MONTHS = pd.DataFrame(
    {
        "period": pd.date_range("2025-01-01", periods=12, freq="MS"),
        "label": [f"T{m}/2025" for m in range(1, 13)],
        "value": [0.95] * 12,
        "volume_text": ["10"] * 12,
    }
)


def test_the_reform_line_sits_between_june_and_july_2025():
    figure = trend_figure({"Phường Sài Gòn": MONTHS}, kpis.get("on_time_rate"), "vi", reforms=(date(2025, 7, 1),))
    lines = [shape for shape in figure.layout.shapes if shape.x0 == shape.x1]
    assert [line.x0 for line in lines] == [5.5]  # index 5 is T6, index 6 is T7
    assert any("01/07/2025" in (a.text or "") for a in figure.layout.annotations)


def test_no_line_when_the_periods_do_not_cross_the_reform():
    after = MONTHS[MONTHS["period"] >= "2025-07-01"]
    figure = trend_figure({"Phường Sài Gòn": after}, kpis.get("on_time_rate"), "en", reforms=(date(2025, 7, 1),))
    assert not [shape for shape in figure.layout.shapes if shape.x0 == shape.x1]
