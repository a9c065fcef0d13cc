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


def test_a_figure_kept_for_its_arguments_is_rebuilt_when_an_option_changes():
    """Trend figures are shared between views (ui.data.shared): the comparison's dotted line and
    the meeting's larger font are arguments, so a view that asks for them gets them, and a view
    that does not gets a figure without them."""
    rate = kpis.get("on_time_rate")
    earlier = MONTHS.assign(value=0.9)
    plain = trend_figure({"Phường Sài Gòn": MONTHS, "Kỳ trước đó": earlier}, rate, "vi")
    compared = trend_figure({"Phường Sài Gòn": MONTHS, "Kỳ trước đó": earlier}, rate, "vi", dotted_last=True)
    slide = trend_figure({"Phường Sài Gòn": MONTHS, "Kỳ trước đó": earlier}, rate, "vi", font_size=18)
    assert [trace.line.dash for trace in compared.data] == [None, "dot"]
    assert [trace.line.dash for trace in plain.data] == [None, None]
    assert (plain.layout.font.size, slide.layout.font.size) == (14, 18)
    # Asked again with the same arguments: the same figure, not a new one.
    assert trend_figure({"Phường Sài Gòn": MONTHS, "Kỳ trước đó": earlier}, rate, "vi", dotted_last=True) is compared
