"""What a map figure draws, read as the browser reads it."""

from __future__ import annotations

import json

from data_access.db import PROJECT_ROOT
from geo.published import published_path


def drawn_features(trace: dict) -> list[dict]:
    """The features a choroplethmap trace draws: its inline geojson, or the file its URL names
    (geo.published, served from static/) limited to the trace's `locations`, as plotly.js does."""
    geojson = trace["geojson"]
    if isinstance(geojson, str):
        geojson = json.loads(published_path(geojson, PROJECT_ROOT / "static").read_text(encoding="utf-8"))
        wanted = {str(code) for code in trace["locations"]}
        return [f for f in geojson["features"] if str(f["id"]) in wanted]
    return geojson["features"]
