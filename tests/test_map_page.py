"""The map page (Bản đồ) through app.py in AppTest, on the small demo database.

The figure is read back from the plotly_chart element: in Streamlit 1.67 AppTest has no
typed wrapper for it, so `app.get("plotly_chart")[0].proto.spec` is the figure JSON that
the browser receives. Figures in the hover are checked against the fact tables directly
(SQL on `ratings` and `units`), not against the summary tables the page reads.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import text

from geo.figures import NO_DATA_COLOR
from geo.map_style import LABEL_FONT
from tests.support.maps import drawn_features
from tests.test_app_smoke import run_app

MAP = "pages/map/map.py"
CITY, QUAN_1 = "79", "760"
VI_SATISFACTION = re.compile(r"Tỷ lệ hài lòng: ([\d.,]+)% \(([\d.]+) lượt đánh giá\)")


# --- helpers ------------------------------------------------------------------------------
# The districts' map: a month of their time (the district tier ended on 30 June 2025; the
# latest month is on today's 168 units).
FORMER_MONTH = "2025-05"


def map_run(**params):
    app = run_app(MAP, **{"period": FORMER_MONTH, "layout": "then", **params})
    assert not app.exception, app.exception[0].value if app.exception else ""
    return app


def figure(app) -> dict:
    charts = app.get("plotly_chart")
    assert len(charts) == 1, f"expected one map, found {len(charts)}"
    return json.loads(charts[0].proto.spec)


def spec_text(app) -> str:
    return app.get("plotly_chart")[0].proto.spec


def choropleths(fig: dict) -> tuple[dict, dict | None]:
    """(the coloured trace, the grey no-data trace or None)."""
    traces = [t for t in fig["data"] if t["type"] == "choroplethmap"]
    assert 1 <= len(traces) <= 2, [t["type"] for t in fig["data"]]
    return traces[0], (traces[1] if len(traces) == 2 else None)


def all_locations(fig: dict) -> list[str]:
    return [loc for t in fig["data"] if t["type"] == "choroplethmap" for loc in t["locations"]]


def feature_ids(fig: dict) -> set[str]:
    return {str(f["id"]) for t in fig["data"] if t["type"] == "choroplethmap" for f in drawn_features(t)}


def vi_number(text_: str) -> float:
    return float(text_.replace(".", "").replace(",", "."))


@pytest.fixture(scope="module")
def facts(demo_db_url):
    """An independent view of the demo database: units, default period, ratings per unit."""
    from data_access.db import make_engine

    engine = make_engine(demo_db_url)
    try:
        with engine.connect() as conn:
            units = {row.code: row for row in conn.execute(text("select code, name, level, parent_code from units"))}
            # The period map_run opens (FORMER_MONTH).
            start, end = date(2025, 5, 1), date(2025, 5, 31)
            rows = conn.execute(
                text(
                    "select unit_code, count(*) as n, sum(case when level in (1, 2) then 1 else 0 end) as good "
                    "from ratings where rated_at >= :start and rated_at < :stop group by unit_code"
                ),
                {"start": start.isoformat(), "stop": (end + timedelta(days=1)).isoformat()},
            ).all()
    finally:
        engine.dispose()
    by_unit = {r.unit_code: (int(r.n), int(r.good)) for r in rows}

    def subtree_ratings(code: str) -> tuple[int, int]:
        """(ratings, satisfied or very satisfied) of a unit and every unit below it."""
        below = [c for c, u in units.items() if c == code or u.parent_code == code or (u.parent_code in units and units[u.parent_code].parent_code == code)]
        return sum(by_unit.get(c, (0, 0))[0] for c in below), sum(by_unit.get(c, (0, 0))[1] for c in below)

    districts = sorted(c for c, u in units.items() if u.level == "district" and u.parent_code == "79")
    wards_of = {d: sorted(c for c, u in units.items() if u.parent_code == d and u.level == "ward") for d in districts}
    return {
        "units": units,
        "start": start,
        "end": end,
        "districts": districts,
        "wards_of": wards_of,
        "ratings": subtree_ratings,
    }


# --- the city map -------------------------------------------------------------------------
def test_city_map_shows_every_district_with_its_boundary(demo_db_env, facts):
    app = map_run()
    period = app.session_state["_filters"].period
    assert (period.start, period.end) == (facts["start"], facts["end"]), "default period is the latest complete month"
    assert app.title[0].value == f"Bản đồ · {facts['units'][CITY].name}"
    fig = figure(app)
    locations = all_locations(fig)
    assert sorted(locations) == facts["districts"], "one location per district, no ward, no department"
    assert len(locations) == len(set(locations))
    assert feature_ids(fig) == set(facts["districts"]), "every district has its polygon"
    for trace in fig["data"]:
        if trace["type"] == "choroplethmap":
            assert trace["featureidkey"] == "id"
            assert {str(f["id"]) for f in drawn_features(trace)} == set(trace["locations"])
    # Fitted to the city: the center lies inside the districts' bounds, zoomed in from the world.
    view = fig["layout"]["map"]
    xs = [p[0] for t in fig["data"] if t["type"] == "choroplethmap" for f in drawn_features(t) for p in _points(f["geometry"])]
    ys = [p[1] for t in fig["data"] if t["type"] == "choroplethmap" for f in drawn_features(t) for p in _points(f["geometry"])]
    assert min(xs) < view["center"]["lon"] < max(xs) and min(ys) < view["center"]["lat"] < max(ys)
    assert 7 < view["zoom"] < 13
    # Offline style: no tile, style or sprite to fetch (inline sources only), local glyphs.
    style = view["style"]
    assert isinstance(style, dict) and "sprite" not in style
    assert all(source.get("type") == "geojson" and isinstance(source.get("data"), dict) for source in style.get("sources", {}).values())
    assert style["glyphs"].startswith("/app/static/glyphs/")


def _points(geometry: dict):
    coords = geometry["coordinates"]
    rings = coords if geometry["type"] == "Polygon" else [ring for poly in coords for ring in poly]
    for ring in rings:
        yield from ring


def test_district_hover_shows_name_and_figures_from_the_fact_tables(demo_db_env, facts):
    fig = figure(map_run())
    main, grey = choropleths(fig)
    hover = dict(zip(main["locations"], main["text"]))
    if grey:
        hover.update(zip(grey["locations"], grey["text"]))
    # The district with the most ratings in the period, and one more with a different rate.
    ranked = sorted(facts["districts"], key=lambda d: -facts["ratings"](d)[0])
    checked = 0
    for code in ranked[:3]:
        n, good = facts["ratings"](code)
        assert n > 0, "the demo data has ratings in the busiest districts"
        text_ = hover[code]
        assert text_.startswith(f"<b>{facts['units'][code].name}</b>"), text_
        match = VI_SATISFACTION.search(text_)
        assert match, text_
        assert vi_number(match.group(1)) == pytest.approx(100 * good / n, abs=0.051), (code, text_, good, n)
        assert vi_number(match.group(2)) == n, (code, text_)
        assert "Tỷ lệ đúng hạn:" in text_ and "hồ sơ)" in text_ and "Hồ sơ quá hạn đang giải quyết:" in text_
        checked += 1
    assert checked == 3
    # The coloured value of a district is that same rate.
    z = dict(zip(main["locations"], main["z"]))
    n, good = facts["ratings"](ranked[0])
    assert z[ranked[0]] == pytest.approx(good / n)


def test_colorbar_is_readable_and_named_after_the_kpi(demo_db_env):
    main, _ = choropleths(figure(map_run()))
    bar = main["colorbar"]
    assert bar["title"]["text"] == "Tỷ lệ hài lòng"
    assert bar["title"]["font"]["size"] >= 16 and bar["tickfont"]["size"] >= 16
    assert bar["tickformat"].endswith("%")


# --- drill-down by URL --------------------------------------------------------------------
def test_area_shows_exactly_the_wards_of_the_district(demo_db_env, facts):
    app = map_run(area=QUAN_1)
    assert app.title[0].value == "Bản đồ · Quận 1"
    assert not app.error
    fig = figure(app)
    wards = facts["wards_of"][QUAN_1]
    assert len(wards) >= 5
    assert sorted(all_locations(fig)) == wards
    assert feature_ids(fig) == set(wards)
    # The map is fitted to the district, much closer than the city map.
    assert fig["layout"]["map"]["zoom"] > figure(map_run())["layout"]["map"]["zoom"] + 1


def test_breadcrumb_links_back_to_the_city(demo_db_env, facts):
    app = map_run(area=QUAN_1)
    crumb = next(m.value for m in app.markdown if "›" in m.value)
    links = re.findall(r"\[([^\]]+)\]\(([^)]+)\)", crumb)
    assert links == [(facts["units"][CITY].name, links[0][1])], crumb
    target = urlparse(links[0][1])
    assert target.path == "/map" and parse_qs(target.query)["area"] == [CITY]
    assert crumb.endswith("**Quận 1**")
    # At the top there is nowhere to go back to: the city is plain bold text.
    city_app = map_run()
    assert any(m.value == f"**{facts['units'][CITY].name}**" for m in city_app.markdown)


def test_breadcrumb_keeps_the_viewers_period_and_language(demo_db_env, facts):
    # Not the default period (a default is left out of links to keep them short).
    period = f"{facts['start'] - timedelta(days=1):%Y-%m}"
    app = map_run(area=QUAN_1, period=period, lang="en")
    crumb = next(m.value for m in app.markdown if "›" in m.value)
    href = re.findall(r"\]\(([^)]+)\)", crumb)[0]
    query = parse_qs(urlparse(href).query)
    assert query["area"] == [CITY] and query["lang"] == ["en"] and query["period"] == [period]


def test_units_without_data_are_grey_not_zero(demo_db_env, facts):
    fig = figure(map_run(area=QUAN_1))
    main, grey = choropleths(fig)
    wards = facts["wards_of"][QUAN_1]
    without = sorted(w for w in wards if facts["ratings"](w)[0] == 0)
    with_data = sorted(w for w in wards if facts["ratings"](w)[0] > 0)
    assert without and with_data, "the small demo has wards with and without ratings in a month"
    # Every coloured unit has a real value; the rest are in the grey trace.
    assert sorted(main["locations"]) == with_data
    assert all(isinstance(v, (int, float)) and v == v for v in main["z"])
    assert grey is not None and sorted(grey["locations"]) == without
    assert {c for _, c in grey["colorscale"]} == {NO_DATA_COLOR}
    assert grey.get("showscale") is False
    assert all("Không có dữ liệu" in t for t in grey["text"])
    assert set(main["locations"]).isdisjoint(grey["locations"])


def test_page_table_marks_no_data_with_a_dash(demo_db_env, facts):
    app = map_run(area=QUAN_1)
    table = app.dataframe[0].value
    shown = dict(zip(table.iloc[:, 0], table.iloc[:, 1]))
    without = [facts["units"][w].name for w in facts["wards_of"][QUAN_1] if facts["ratings"](w)[0] == 0]
    assert all(shown[name] == "—" for name in without)


@pytest.mark.parametrize(
    "hostile",
    [
        "760' OR '1'='1",
        "760; DROP TABLE units; --",
        "<script>alert(1)</script>",
        "7" * 5000,
        "26734",  # a ward: it has no map of its own
        "79.STP",  # a department (in force in both eras)
    ],
    ids=["quote", "drop", "html", "5000-chars", "ward-code", "department"],
)
def test_hostile_area_gives_a_clear_error_and_the_city(demo_db_env, facts, hostile):
    if hostile == "26734":
        assert facts["units"]["26734"].level == "ward"
    app = map_run(area=hostile)
    assert len(app.error) == 1
    message = app.error[0].value
    assert "Đang hiển thị toàn thành phố" in message
    assert len(message) < 300, "the echoed value is cut short"
    assert app.title[0].value == f"Bản đồ · {facts['units'][CITY].name}"
    assert sorted(all_locations(figure(app))) == facts["districts"]


def test_database_untouched_by_hostile_area(demo_db_env, facts):
    map_run(area="760; DROP TABLE units; --")
    from data_access.db import make_engine

    engine = make_engine(demo_db_env)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from units")).scalar() == len(facts["units"])
    finally:
        engine.dispose()


# --- options ------------------------------------------------------------------------------
def test_labels_add_a_text_trace_with_the_local_font(demo_db_env, facts):
    # A district's wards are few enough to read: names are on unless the link turns them off.
    plain = figure(map_run(area=QUAN_1, labels="0"))
    assert not [t for t in plain["data"] if t["type"] == "scattermap"]
    app = map_run(area=QUAN_1)
    assert app.toggle(key="labels").value is True
    fig = figure(app)
    labels = [t for t in fig["data"] if t["type"] == "scattermap"]
    assert len(labels) == 1
    trace = labels[0]
    assert trace["mode"] == "text" and trace["textfont"]["family"] == LABEL_FONT
    assert trace.get("hoverinfo") == "skip", "labels must not steal the hover or the click"
    # Names are drawn only where they fit (the hover names every unit): most of a district's 10.
    assert 8 <= len(trace["text"]) <= len(facts["wards_of"][QUAN_1])
    assert len(set(trace["text"])) == len(trace["text"])
    names = {facts["units"][w].name for w in facts["wards_of"][QUAN_1]}
    # Short names ("Tân Định" for "Phường Tân Định"), each one part of a ward's name.
    assert all(any(label in name for name in names) for label in trace["text"]), trace["text"]


def test_kpi_choice_colours_by_on_time_rate(demo_db_env):
    app = map_run(kpi="on_time_rate")
    assert app.selectbox(key="kpi").value == "on_time_rate"
    main, _ = choropleths(figure(app))
    assert main["colorbar"]["title"]["text"] == "Tỷ lệ đúng hạn"
    assert main["name"] == "Tỷ lệ đúng hạn"
    assert all(0 <= v <= 1 for v in main["z"])
    # The coloured value is the first figure of each hover after the name.
    for code, z, hover in zip(main["locations"], main["z"], main["text"]):
        first = hover.split("<br>")[1]
        assert first.startswith("Tỷ lệ đúng hạn: "), hover
        shown = vi_number(re.match(r"Tỷ lệ đúng hạn: ([\d.,]+)%", first).group(1))
        assert shown == pytest.approx(100 * z, abs=0.051), (code, hover)
    # Satisfaction still in the hover, as a secondary figure.
    assert all("Tỷ lệ hài lòng:" in h for h in main["text"])


def test_lower_is_better_kpi_reverses_the_scale(demo_db_env):
    good_high, _ = choropleths(figure(map_run()))
    bad_high, _ = choropleths(figure(map_run(kpi="dissatisfaction_rate")))
    assert good_high["colorscale"][0][1] == bad_high["colorscale"][-1][1]


def test_unknown_kpi_falls_back_to_the_default(demo_db_env):
    app = map_run(kpi="'; DROP TABLE ratings; --")
    assert app.selectbox(key="kpi").value == "satisfaction_rate"
    assert choropleths(figure(app))[0]["colorbar"]["title"]["text"] == "Tỷ lệ hài lòng"


def test_figure_makes_no_internet_request(demo_db_env):
    for params in ({}, {"area": QUAN_1, "labels": "1"}):
        spec = spec_text(map_run(**params))
        assert not re.search(r"https?://", spec), re.findall(r"https?://[^\"']{0,60}", spec)[:5]
        assert "mapbox" not in spec


def test_english(demo_db_env, facts):
    app = map_run(area=QUAN_1, lang="en")
    assert app.title[0].value == "Map · Quận 1"
    fig = figure(app)
    main, grey = choropleths(fig)
    assert main["colorbar"]["title"]["text"] == "Satisfaction rate"
    assert all(re.search(r"Satisfaction rate: [\d.]+% \([\d,]+ ratings\)", t) for t in main["text"]), main["text"][:2]
    assert grey is not None and all("No data" in t for t in grey["text"])
    assert fig["layout"]["separators"] == ".,"
    assert app.toggle(key="labels").label == "Show unit names on the map"


def test_colours_are_anchored_to_the_target_the_same_on_every_view(demo_db_env, facts):
    """Every view colours from 10 points below the city's satisfaction target (read from the
    targets table) to 100 %, and the colour changes from yellow to green exactly at the target."""
    from data_access.db import make_engine

    engine = make_engine(demo_db_env)
    with engine.connect() as connection:
        target = (
            connection.execute(
                text(
                    "SELECT value FROM targets WHERE kpi_id = 'satisfaction_rate' AND unit_code IS NULL "
                    "AND valid_from <= :day AND (valid_to IS NULL OR valid_to >= :day) ORDER BY valid_from DESC"
                ),
                {"day": facts["end"]},
            )
            .scalars()
            .first()
        )
    engine.dispose()
    low = target - 0.10
    city, _ = choropleths(figure(map_run()))
    district, _ = choropleths(figure(map_run(area=QUAN_1)))
    for main in (city, district):
        assert (main["zmin"], main["zmax"]) == (pytest.approx(low), pytest.approx(1.0))
        stops = {round(p, 4): c for p, c in main["colorscale"]}
        assert stops[round((target - low) / (1.0 - low), 4)] == "#a6d96a"  # first green at the target
