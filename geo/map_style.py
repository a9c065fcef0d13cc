"""An offline MapLibre style for plotly maps that can draw text (unit names) on the map.

plotly's `map_style="white-bg"` makes no tile request, but its `glyphs` URL points to the
internet, so any map text stays blank on a closed network. `offline_style()` is the same
white background with `glyphs` pointing at the files `geo.glyphs.ensure_glyphs` writes into
the app's `static/` folder (served by Streamlit at `/app/static/...` when
`server.enableStaticServing = true`).

    from geo.glyphs import ensure_glyphs
    from geo.map_style import LABEL_FONT, offline_style

    ensure_glyphs(Path(<folder of the main script>) / "static")   # once; fast when present
    fig.add_trace(go.Scattermap(lon=..., lat=..., mode="text", text=names,
                                textfont={"family": LABEL_FONT, "size": 16}))
    fig.update_layout(map={"style": offline_style(), "center": ..., "zoom": ...})

Rules checked in Chromium with plotly 7.1 (MapLibre inside plotly.js):
- `layout.map.style` accepts a style object (valType "any").
- plotly passes `textfont.family` unchanged as MapLibre's `text-font` (split on ", "), so
  MapLibre requests `<glyphs URL with {fontstack}=family>`; a family without glyph files
  gives no text at all. Always set `textfont.family` to LABEL_FONT or LABEL_FONT_BOLD: the
  default family is "Open Sans Regular", which has no local files. Use `textfont.family`
  for bold, not `textfont.weight` (plotly would ask for "... Bold" variants only of the
  Open Sans / Metropolis / Noto families).
- A root-relative glyphs URL ("/app/static/...") works: MapLibre loads glyphs on the page's
  thread and the browser resolves it against the page. Behind `server.baseUrlPath`, pass
  `glyphs_url=glyphs_url_for(base_url_path)`.
- Text should be Unicode NFC (precomposed): MapLibre does no mark positioning, so a
  decomposed "ệ" (e + two combining marks) would draw badly. `label_text` normalises.
"""

from __future__ import annotations

import unicodedata

LABEL_FONT = "DejaVu Sans Book"
LABEL_FONT_BOLD = "DejaVu Sans Bold"
DEFAULT_GLYPHS_URL = "/app/static/glyphs/{fontstack}/{range}.pbf"


def glyphs_url_for(base_url_path: str = "") -> str:
    """The glyphs URL when Streamlit runs under `server.baseUrlPath` (e.g. "dashboard")."""
    base = base_url_path.strip("/")
    return f"/{base}{DEFAULT_GLYPHS_URL}" if base else DEFAULT_GLYPHS_URL


def offline_style(glyphs_url: str = DEFAULT_GLYPHS_URL, background: str = "#ffffff") -> dict:
    """A complete MapLibre style (version 8) with no source: a background layer and local glyphs."""
    if "{fontstack}" not in glyphs_url or "{range}" not in glyphs_url:
        raise ValueError("glyphs_url needs the {fontstack} and {range} placeholders")
    return {
        "version": 8,
        "name": "offline-white",
        # Not an empty {}: that is dropped on its way into plotly.js, and a style without
        # `sources` leaves plotly's map half-updated (no hover, no click). An empty inline
        # GeoJSON source keeps the key and requests nothing.
        "sources": {"empty": {"type": "geojson", "data": {"type": "FeatureCollection", "features": []}}},
        "glyphs": glyphs_url,
        "layers": [
            {"id": "background", "type": "background", "paint": {"background-color": background}},
        ],
    }


def label_text(text: str) -> str:
    """A label as MapLibre can draw it: NFC-normalised (precomposed Vietnamese letters)."""
    return unicodedata.normalize("NFC", str(text))
