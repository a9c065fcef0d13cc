"""Map labels on a closed network: a real Chromium draws Vietnamese unit names on a plotly
map with the glyphs served by Streamlit from `static/`, and no request leaves the machine.

Streamlit serves `<folder of the main script>/static` at `/app/static/`, so the throwaway
script and its `static/` folder both live in tmp_path (nothing is written into the repo).
"""

from __future__ import annotations

import io
import time
from urllib.parse import unquote, urlparse

import pytest

from geo.glyphs import ensure_glyphs
from geo.map_style import LABEL_FONT
from tests.support.browser import wait_for_app

SCRIPT = """
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

from geo.glyphs import ensure_glyphs
from geo.map_style import LABEL_FONT, label_text, offline_style

ensure_glyphs(Path(__file__).parent / "static")


def square(x, y, d=0.02):
    return [[[x, y], [x + d, y], [x + d, y + d], [x, y + d], [x, y]]]


geojson = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": code, "properties": {}, "geometry": {"type": "Polygon", "coordinates": square(x, y)}}
    for code, x, y in (("a", 106.66, 10.80), ("b", 106.74, 10.80))
]}
fig = go.Figure()
fig.add_trace(go.Choroplethmap(
    geojson=geojson, featureidkey="id", locations=["a", "b"], z=[1, 2],
    colorscale=[[0, "#9ecae1"], [1, "#4292c6"]], showscale=False, marker={"line": {"color": "#ffffff"}},
))
fig.add_trace(go.Scattermap(
    lon=[106.70, 106.70, 106.70], lat=[10.795, 10.775, 10.755], mode="text",
    text=[label_text(t) for t in ("Phường Tân Định", "Quận Bình Thạnh", "Xã Bình Khánh")],
    textfont={"family": LABEL_FONT, "size": 18, "color": "#000000"},
))
fig.update_layout(
    map={"style": offline_style(), "center": {"lon": 106.70, "lat": 10.78}, "zoom": 12},
    height=600, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False,
)
st.plotly_chart(fig, key="map")
"""

# Ranges of "Phường Tân Định", "Quận Bình Thạnh", "Xã Bình Khánh" (ư is U+01B0, ậ ạ ị U+1Exx).
EXPECTED_RANGES = {"0-255", "256-511", "7680-7935"}


def _dark_pixels(png: bytes) -> int:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("L")
    return sum(image.histogram()[:60])


@pytest.mark.browser
def test_map_labels_use_local_glyphs_only(tmp_path, streamlit_server, page):
    script = tmp_path / "glyph_labels_app.py"
    script.write_text(SCRIPT, encoding="utf-8")
    ensure_glyphs(tmp_path / "static")  # generated up front so the first script run is quick
    server = streamlit_server(script, extra_args=["--server.enableStaticServing", "true"])

    requests: list[str] = []
    blocked: list[str] = []
    glyph_responses: list[tuple[str, int]] = []

    def guard(route):
        url = route.request.url
        if url.startswith(("data:", "blob:")):  # in-page resources (plotly's workers), no network
            route.continue_()
        elif urlparse(url).hostname != "127.0.0.1":
            blocked.append(url)
            route.abort()
        else:
            route.continue_()

    page.route("**/*", guard)
    page.on("request", lambda request: requests.append(request.url))
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text))
    page.on("response", lambda r: glyph_responses.append((r.url, r.status)) if r.url.endswith(".pbf") else None)

    page.goto(server.url)
    wait_for_app(page)
    canvas = page.locator(".maplibregl-canvas")
    canvas.wait_for(timeout=60_000)

    deadline = time.monotonic() + 60
    wanted = f"/app/static/glyphs/{LABEL_FONT}/"
    while time.monotonic() < deadline:
        seen = {unquote(urlparse(u).path).rsplit("/", 1)[-1].removesuffix(".pbf") for u, _ in glyph_responses}
        if EXPECTED_RANGES <= seen:
            break
        page.wait_for_timeout(250)
    assert glyph_responses, f"no glyph request; requests seen: {requests[-20:]}"
    for url, status in glyph_responses:
        parsed = urlparse(url)
        assert parsed.hostname == "127.0.0.1" and parsed.port == server.port, url
        assert unquote(parsed.path).startswith(wanted), url
        assert status == 200, (url, status)
    seen = {unquote(urlparse(u).path).rsplit("/", 1)[-1].removesuffix(".pbf") for u, _ in glyph_responses}
    assert EXPECTED_RANGES <= seen

    # The labels are black on a white or light-blue map: once drawn, the canvas has dark pixels.
    # (MapLibre falls back to the browser's own fonts when a glyph range fails to load, so
    # dark pixels alone do not prove the local glyphs were used: the warning check below does.)
    dark = 0
    while time.monotonic() < deadline:
        dark = _dark_pixels(canvas.screenshot())
        if dark > 300:
            break
        page.wait_for_timeout(500)
    assert dark > 300, f"the map labels were not drawn ({dark} dark pixels)"

    fallback = [text for text in console if "glyph" in text.lower()]
    assert fallback == [], f"MapLibre could not use the served glyphs: {fallback}"
    assert blocked == [], f"requests tried to leave the machine: {blocked}"
    assert all(urlparse(u).hostname == "127.0.0.1" for u in requests if u.startswith(("http", "ws"))), requests
