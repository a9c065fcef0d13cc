"""October 2026 is today's city on every page: no district tier anywhere (issue 12).

Since 1 July 2025 Ho Chi Minh City has 168 phường/xã/đặc khu directly under it. Every page at
the demo's latest month must read so: no "quận/huyện" level, no district in a list, a table,
a slide or a map. Former units remain reachable on purpose (a former ward's own profile, the
list a current unit was formed from), so those two places are left out below.
"""

import re

import pytest

from tests.test_app_smoke import PAGES
from tests.test_pages_analysis import open_page

DISTRICT_WORDS = re.compile(r"quận/huyện|\bQuận \d|\bQuận [A-ZĐ]|\bHuyện [A-ZĐ]|\bDistricts?\b", re.IGNORECASE)


def shown_texts(app) -> list[str]:
    texts = [e.value for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success", "error") for e in getattr(app, kind)]
    texts += [m.label for m in app.metric]
    for frame in app.dataframe:
        value = frame.value
        texts += [str(c) for c in value.columns]
        for column in value.columns:
            texts += [str(v) for v in value[column].tolist()]
    # The level and scope choices as shown (not every option: former units keep their profiles).
    texts += [str(s.value) for s in app.selectbox if s.key in ("level", "tier", "scope")]
    return texts


@pytest.mark.parametrize("page_path", [p for p in PAGES if not p.endswith("admin/data.py")])
def test_october_2026_has_no_district_anywhere(page_path, demo_db_env):
    app = open_page(page_path, period="2026-10")
    heading = (app.title or app.header)[0].value
    if not page_path.endswith("overview.py"):
        assert not heading.startswith("Tổng quan"), "the page itself ran, not the overview"
    # A former district named as the area a unit came from says it is former: "Quận 1 (cũ)".
    found = [text for text in shown_texts(app) if DISTRICT_WORDS.search(text) and "(cũ)" not in text and "Hình thành từ" not in text]
    assert not found, found[:5]


def test_the_scope_filter_offers_the_city_areas_and_todays_units(demo_db_env):
    app = open_page("pages/overview/overview.py", period="2026-10")
    options = app.selectbox(key="scope").options
    areas = [o for o in options if o.startswith("Khu vực")]
    units = [o for o in options if o.startswith(("Phường", "Xã", "Đặc khu"))]
    assert options[0] == "Toàn thành phố"
    assert len(units) == 168  # 113 phường, 54 xã, 1 đặc khu
    # Three former provinces, then the 38 former districts.
    assert len(areas) == 3 + 38 and "Khu vực Tỉnh Bình Dương (cũ)" in areas


def test_the_check_sees_districts_where_the_former_layout_is_asked_for(demo_db_env):
    # The same reading of a page finds the districts of May 2025 shown in their own layout.
    app = open_page("pages/analysis/rankings.py", period="2025-05", layout="then", level="districts")
    assert not app.exception
    assert any(DISTRICT_WORDS.search(text) for text in shown_texts(app))


def test_a_ward_trend_from_2021_is_restated_and_marks_the_reform(demo_db_env):
    app = open_page("pages/analysis/trends.py", period="2026-10", grain="year", units="26740")
    assert not app.exception
    import plotly.io

    figure = plotly.io.from_json(app.get("plotly_chart")[0].proto.spec)
    labels, values = list(figure.data[0].x), list(figure.data[0].y)
    assert labels[0].endswith("2021") and labels[-1].endswith("2026")
    # Every year before the reform has figures: Phường Sài Gòn's former wards, restated.
    assert all(v == v and v is not None for v in values[:4]), values
    lines = [shape for shape in figure.layout.shapes if shape.x0 == shape.x1]
    assert [line.x0 for line in lines] == [4.5]  # between 2025 and 2026: the reform is inside 2025
    assert any("được quy đổi" in c.value for c in app.caption)


def test_a_profile_links_a_former_ward_to_its_own_time_and_back(demo_db_env):
    from urllib.parse import parse_qs, urlparse

    today = open_page("pages/analysis/unit_profile.py", period="2026-10", unit="26740")
    formed = next(m.value for m in today.markdown if "Hình thành từ" in m.value)
    link = next(u for u in formed.split("(")[1:] if "26740%402025-06-30" in u).split(")")[0]
    query = parse_qs(urlparse(link).query)
    assert query["period"] == ["2025-06"] and query["layout"] == ["then"]  # Bến Nghé's last month
    former = open_page("pages/analysis/unit_profile.py", **{k: v[0] for k, v in query.items()})
    assert not former.exception and "Phường Bến Nghé" in former.title[0].value
    assert any("Phường Sài Gòn" in i.value for i in former.info)
    # Its link to today's unit, followed with the former period still chosen: no error.
    back = open_page("pages/analysis/unit_profile.py", period="2025-06", layout="then", unit="26740")
    assert not back.exception and "Phường Sài Gòn" in back.title[0].value


def test_rankings_within_an_area_rank_its_units_and_say_which_area(demo_db_env):
    # The former Quận 1's ten wards went into four of today's units (published reform lists).
    quan_1 = {"Phường Sài Gòn", "Phường Tân Định", "Phường Bến Thành", "Phường Cầu Ông Lãnh"}
    for params in ({"level": "area_wards", "area_rank": "area:760"}, {"scope": "area:760", "level": "all_wards"}):
        app = open_page("pages/analysis/rankings.py", period="2026-10", **params)
        table = app.dataframe[0].value
        assert set(table["Đơn vị"]) == quan_1, (params, table["Đơn vị"].tolist())
        heading = app.subheader[0].value
        assert heading.endswith("Khu vực Quận 1 (cũ)"), (params, heading)  # never "Toàn thành phố" over an area's units


@pytest.mark.parametrize(("period", "compare"), [("2025-07", "prev"), ("2026-03", "yoy")])
def test_a_comparison_across_the_reform_says_the_earlier_figures_are_restated(demo_db_env, period, compare):
    app = open_page("pages/overview/overview.py", period=period, cmp=compare)
    assert "2025" in app.caption[0].value and ("6/2025" in app.caption[0].value or "3/2025" in app.caption[0].value)
    notes = [c.value for c in app.caption if "được quy đổi" in c.value]
    assert notes and "01/07/2025" in notes[0] and ("gần đúng" in notes[0] or "chính xác" in notes[0]), notes


def test_the_briefing_pack_of_october_2026_names_no_district(demo_db_env):
    import io
    from datetime import date

    from pptx import Presentation

    from data_access.db import make_engine
    from domain.access import SYSTEM
    from metrics.periods import month
    from reports.briefing import build

    engine = make_engine(demo_db_env)
    try:
        data, _ = build(engine, "79", month(2026, 10), "pptx", meeting_date=date(2026, 11, 10), viewer=SYSTEM)
    finally:
        engine.dispose()
    texts = []
    for slide in Presentation(io.BytesIO(data)).slides:
        for shape in slide.shapes:
            texts += [shape.text_frame.text] if shape.has_text_frame else []
            texts += [cell.text for row in shape.table.rows for cell in row.cells] if shape.has_table else []
            texts += [str(c) for plot in shape.chart.plots for c in plot.categories] if shape.has_chart else []
    assert any("phường/xã" in text for text in texts)  # the map slide's level
    found = [text for text in texts if DISTRICT_WORDS.search(text) and "(cũ)" not in text]
    assert not found, found[:5]
