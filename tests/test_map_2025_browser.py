"""The 168-unit real map in a real browser (Debian Chromium, no internet): the names drawn
do not collide, and a click on a current unit opens its profile.

The database is built here (tests.test_geo_helpers.two_era_database: HCMC's units of both
layouts, the crosswalk and a few ratings, no stored boundary), so the map draws the shipped
2025 layer as any fresh database would.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.app_server import dashboard_server
from tests.support.browser import wait_for_app
from tests.test_geo_helpers import two_era_database
from tests.test_map_2025 import current_units
from tests.test_map_browser import PLOT, click_unit, heading, offline_guard, wait_for_map

UNIT, NAME = "26740", "Phường Sài Gòn"

# Names the page placed on the map, and those MapLibre drew: it hides any name that would
# collide with another, so the two counts agree only if none overlaps.
LABELS = """() => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')].pop();
    const texts = gd.data.filter(t => t.type === 'scattermap' && t.mode === 'text').map(t => Array.from(t.text || []));
    const map = gd._fullLayout.map._subplot.map;
    const layers = map.getStyle().layers.filter(l => l.type === 'symbol').map(l => l.id);
    const drawn = map.queryRenderedFeatures({layers}).map(f => f.properties.text);
    return {placed: texts.flat(), drawn};
}"""


@pytest.fixture(scope="module")
def eras_app(tmp_path_factory):
    url = two_era_database(tmp_path_factory.mktemp("eras_browser") / "hcmc.sqlite", "79")
    with dashboard_server(url) as server:
        yield server.url


@pytest.fixture
def projector(browser):
    """A page the size of a projected screen (the map fits its names to 1920 x 1080)."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.mark.browser
def test_click_a_current_unit_on_the_real_map_opens_its_profile(eras_app, projector):
    page = projector
    seen = offline_guard(page)
    for view, at_least in (("all", 8), ("centre", 30)):
        page.goto(f"{eras_app}/map?period=2026-10&view={view}")
        wait_for_app(page)
        heading(page, "Bản đồ · Thành phố Hồ Chí Minh")
        page.locator(f"{PLOT} canvas.maplibregl-canvas").first.wait_for(timeout=30_000)
        wait_for_map(page, current_units("79")["code"].tolist())
        labels = page.evaluate(LABELS)
        for _ in range(40):  # the glyphs arrive after the map is drawn
            if len(labels["drawn"]) >= len(labels["placed"]):
                break
            page.wait_for_timeout(250)
            labels = page.evaluate(LABELS)
        assert len(labels["placed"]) >= at_least, (view, labels["placed"])
        assert sorted(labels["drawn"]) == sorted(labels["placed"]), f"{view}: MapLibre hid names that collide"

    click_unit(page, UNIT, NAME)
    page.wait_for_url(re.compile(r"/unit\?"), timeout=30_000)
    query = parse_qs(urlparse(page.url).query)
    assert query["unit"] == [UNIT] and query["period"] == ["2026-10"], page.url
    heading(page, f"Hồ sơ đơn vị · {NAME}")
    wait_for_app(page)
    assert page.get_by_text("Page not found").count() == 0
    assert seen["blocked"] == [], f"requests tried to leave the machine: {seen['blocked']}"
