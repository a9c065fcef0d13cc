"""Boundaries served as static files, so a map names its GeoJSON by URL.

A map of 168 wards carries about 300 KB of boundaries. Inlined in the figure, every map view
deep-copied them twice inside plotly and sent them again over the websocket: the largest
share of a map view's server time (issue 14, py-spy). Written once as a file under the app's
`static/maps/` (Streamlit serves `static/` at `/app/static/`, as for the map's glyphs), the
figure holds only the URL; plotly.js fetches a URL once per browser tab and keeps it.

The name is the hash of the content: a new set of boundaries gets a new file and a new URL,
so no browser keeps an outdated copy, and several app processes write the same file.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

MAPS_URL = "/app/static/maps/"


def publish_geojson(geojson: dict, static_dir: Path) -> str | None:
    """Write `geojson` to `static_dir/maps/<hash>.geojson` (once) and return its URL, or None
    when the folder cannot be written (a read-only install): the map then inlines it."""
    text = json.dumps(geojson, separators=(",", ":"), ensure_ascii=False)
    name = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest() + ".geojson"
    folder = static_dir / "maps"
    path = folder / name
    try:
        if not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            work = folder / f".{name}.{os.getpid()}.tmp"
            work.write_text(text, encoding="utf-8")
            os.replace(work, path)  # whole or not at all, whichever process writes it
    except OSError:
        return None
    return MAPS_URL + name


def published_path(url: str, static_dir: Path) -> Path:
    """The file behind a URL publish_geojson returned."""
    return static_dir / "maps" / url.removeprefix(MAPS_URL)
