"""The map in a real browser (Debian Chromium), with no internet: click a district polygon,
see its wards, click a ward and land on its profile; map labels use the app's own glyphs.

Every request whose host is not 127.0.0.1 is aborted and recorded: the app must work on a
closed network, so the tests fail if anything tried to leave the machine.

Where to click: the page's own figure (the plotly div's `data`) gives each unit's polygon;
a point well inside it (shapely's pole of inaccessibility) is projected to pixels with the
map's own MapLibre instance (`_fullLayout.map._subplot.map.project`). Before clicking, the
hover label must name the expected unit, so the click cannot land on a neighbour.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import shapely
from shapely.ops import polylabel
from sqlalchemy import text

from geo.map_style import LABEL_FONT
from tests.support.browser import wait_for_app

DISTRICT, WARD = "778", "27490"  # Quận 7 > Phường Tân Phong (the example)
FORMER = "period=2025-05&layout=then"  # a month of the districts' time, in its own layout
PLOT = ".js-plotly-plot"

# The map is ready for a click once plotly has matched every location to its polygon
# (hover and click read these) and MapLibre has drawn.
MAP_READY = """(codes) => {
    const plots = document.querySelectorAll('.js-plotly-plot');
    const gd = plots[plots.length - 1];
    if (!gd || !gd.calcdata || !gd._fullLayout || !gd._fullLayout.map) return false;
    const shown = gd.calcdata.filter(cd => cd[0].trace.type === 'choroplethmap').flat();
    const locations = shown.map(c => String(c.loc)).sort();
    if (JSON.stringify(locations) !== JSON.stringify([...codes].sort())) return false;
    const map = gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
    return shown.every(c => c._polygons) && !!map && map.loaded();
}"""
FEATURES = """() => {
    const plots = document.querySelectorAll('.js-plotly-plot');
    // A trace names its boundaries by URL (geo.published): plotly.js keeps what it fetched per URL.
    const drawn = t => typeof t.geojson === 'string'
        ? window.PlotlyGeoAssets[t.geojson].features.filter(f => t.locations.map(String).includes(String(f.id)))
        : t.geojson.features;
    return plots[plots.length - 1].data.filter(t => t.type === 'choroplethmap').flatMap(drawn);
}"""
PROJECT = """([lon, lat]) => {
    const plots = document.querySelectorAll('.js-plotly-plot');
    const map = plots[plots.length - 1]._fullLayout.map._subplot.map;
    const p = map.project([lon, lat]);
    const box = map.getContainer().getBoundingClientRect();
    return {x: box.left + p.x, y: box.top + p.y, inside: p.x > 0 && p.y > 0 && p.x < box.width && p.y < box.height};
}"""
HOVER = ".hoverlayer .hovertext"


@pytest.fixture(scope="module")
def geography(demo_db_url):
    from data_access.db import make_engine

    engine = make_engine(demo_db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("select code, name, level, parent_code from units")).all()
    finally:
        engine.dispose()
    names = {r.code: r.name for r in rows}
    city = "79"
    return {
        "names": names,
        "city": city,
        # The city's map of May 2025 (units of the time): its 22 districts.
        "districts": sorted(r.code for r in rows if r.level == "district" and r.parent_code == city),
        "wards_of": lambda code: sorted(r.code for r in rows if r.parent_code == code and r.level == "ward"),
    }


def offline_guard(page) -> dict:
    """Abort every request to another host; returns what was tried (and the glyph responses)."""
    seen = {"blocked": [], "requests": [], "glyphs": []}

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlparse(url).hostname == "127.0.0.1":
            route.continue_()
        else:
            seen["blocked"].append(url)
            route.abort()

    page.route("**/*", guard)
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("response", lambda r: seen["glyphs"].append((r.url, r.status)) if r.url.endswith(".pbf") else None)
    # WebSocket connections do not pass through page.route: record them too.
    page.on("websocket", lambda ws: seen["requests"].append(ws.url))
    return seen


def wait_for_map(page, codes, timeout=30_000) -> None:
    try:
        page.wait_for_function(MAP_READY, arg=list(codes), timeout=timeout)
    except Exception as error:  # noqa: BLE001 - turned into a message that says what is wrong
        state = page.evaluate(
            """() => { const plots = document.querySelectorAll('.js-plotly-plot'); const gd = plots[plots.length - 1];
               if (!gd || !gd.calcdata) return 'no plotly map on the page';
               const cd = gd.calcdata[0]; return {locations: cd.map(c => c.loc).slice(0, 5), matched: cd.filter(c => c._polygons).length, of: cd.length}; }"""
        )
        raise AssertionError(
            f"The map never became clickable for {len(codes)} units: {state}. 'matched' 0 means plotly "
            "never matched the locations to their polygons, so neither hover nor click can work."
        ) from error


def click_unit(page, code: str, name: str) -> None:
    """Hover the unit's polygon until its hover label shows `name`, then click there."""
    page.locator(PLOT).last.evaluate("e => e.scrollIntoView({block: 'center'})")
    feature = next(f for f in page.evaluate(FEATURES) if str(f["id"]) == code)
    shape = shapely.geometry.shape(feature["geometry"])
    if shape.geom_type == "MultiPolygon":
        shape = max(shape.geoms, key=lambda part: part.area)
    point = polylabel(shape, tolerance=1e-5)
    pixel = page.evaluate(PROJECT, [point.x, point.y])
    assert pixel["inside"], f"{name} is outside the visible map: {pixel}"
    page.mouse.move(pixel["x"] - 3, pixel["y"] - 3)
    page.mouse.move(pixel["x"], pixel["y"], steps=3)
    hover = page.locator(HOVER).first
    hover.wait_for(state="attached", timeout=10_000)
    page.wait_for_function(
        "(name) => [...document.querySelectorAll('.hoverlayer .hovertext')].some(h => h.textContent.includes(name))",
        arg=name,
        timeout=10_000,
    )
    page.mouse.click(pixel["x"], pixel["y"])


def heading(page, text_: str) -> None:
    page.get_by_role("heading", name=text_, exact=True).wait_for(timeout=30_000)


@pytest.mark.browser
def test_click_a_district_then_a_ward_opens_its_profile(app_server, page, geography):
    seen = offline_guard(page)
    names, city = geography["names"], geography["city"]
    wards = geography["wards_of"](DISTRICT)
    assert WARD in wards

    page.goto(f"{app_server}/map?{FORMER}")
    wait_for_app(page)
    heading(page, f"Bản đồ · {names[city]}")
    page.locator(f"{PLOT} canvas.maplibregl-canvas").first.wait_for(timeout=30_000)
    wait_for_map(page, geography["districts"])

    # The hover names the district and gives its figures with their volumes.
    click_unit(page, DISTRICT, names[DISTRICT])
    hover_text = page.locator(HOVER).first.text_content()
    assert "Tỷ lệ hài lòng" in hover_text and "lượt đánh giá" in hover_text and "hồ sơ" in hover_text, hover_text

    page.wait_for_url(re.compile(rf"/map\?(.*&)?area={DISTRICT}(&|$)"), timeout=30_000)
    heading(page, f"Bản đồ · {names[DISTRICT]}")
    wait_for_app(page)
    wait_for_map(page, wards)
    # The breadcrumb leads back to the city's map.
    back = page.get_by_role("link", name=names[city], exact=True)
    assert parse_qs(urlparse(back.get_attribute("href")).query)["area"] == [city]

    click_unit(page, WARD, names[WARD])
    page.wait_for_url(re.compile(r"/unit\?"), timeout=30_000)
    assert parse_qs(urlparse(page.url).query)["unit"] == [WARD], page.url
    heading(page, f"Hồ sơ đơn vị · {names[WARD]}")
    wait_for_app(page)
    # The profile's breadcrumb: Thành phố › Quận 7 › Phường Tân Phong.
    assert page.get_by_role("link", name=names[DISTRICT], exact=True).count() >= 1
    assert page.get_by_text("Page not found").count() == 0
    # The profile is of the same month (a page switch keeps the period), and the browser's
    # Back returns to the district's map, not the city's (issue 13).
    assert parse_qs(urlparse(page.url).query)["period"] == ["2025-05"], page.url
    page.go_back()
    heading(page, f"Bản đồ · {names[DISTRICT]}")

    assert seen["blocked"] == [], f"requests tried to leave the machine: {seen['blocked']}"
    external = [u for u in seen["requests"] if u.startswith(("http", "ws")) and urlparse(u).hostname != "127.0.0.1"]
    assert external == [], external


@pytest.mark.browser
def test_deep_link_to_a_district_map_and_its_labels_use_local_glyphs(app_server, page, geography):
    seen = offline_guard(page)
    names = geography["names"]
    page.goto(f"{app_server}/map?area={DISTRICT}&labels=1&{FORMER}")
    wait_for_app(page)
    heading(page, f"Bản đồ · {names[DISTRICT]}")
    assert page.get_by_text("Page not found").count() == 0
    wait_for_map(page, geography["wards_of"](DISTRICT))
    # "Tân Phong", "Phú Mỹ"...: Latin-1 and Latin Extended Additional (ỹ) ranges at least.
    wanted, got = {"0-255", "7680-7935"}, set()
    for _ in range(60):
        got = {unquote(urlparse(u).path).rsplit("/", 1)[-1].removesuffix(".pbf") for u, _ in seen["glyphs"]}
        if wanted <= got:
            break
        page.wait_for_timeout(250)
    assert seen["glyphs"], "the labels asked for no glyphs"
    for url, status in seen["glyphs"]:
        parsed = urlparse(url)
        assert parsed.hostname == "127.0.0.1" and parsed.port == urlparse(app_server).port, url
        assert unquote(parsed.path).startswith(f"/app/static/glyphs/{LABEL_FONT}/"), url
        assert status == 200, (url, status)
    assert wanted <= got, got
    assert seen["blocked"] == [], f"requests tried to leave the machine: {seen['blocked']}"
