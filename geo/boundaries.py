"""Unit boundaries as drawn: the shipped default layers, the former units' derived shapes,
and the best boundary of each unit at read time, over the rows of data_access/boundaries.py.

Which boundary a unit is drawn with (`load_boundaries`), first found wins:
1. one imported from an official file (`python -m geo import`, approximate false);
2. a shipped default layer (`SHIPPED_LAYERS`: HCMC's 168 units of 1 July 2025) for a unit
   whose official code, province and validity match it;
3. for a former unit (ended, with a crosswalk), an approximate polygon cut from the real
   polygons (1 or 2) of the units it went into (`geo.former`);
4. a generated approximate one stored by `python -m geo generate`.
The shipped layer is matched when read, not copied into the table: the database needs no
build step for it, and a later import of official boundaries simply wins.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
from sqlalchemy.engine import Engine

from data_access import boundaries as boundary_rows
from data_access.boundaries import COLUMNS
from geo.former import SOURCE_LABEL as FORMER_SOURCE
from geo.former import former_boundaries
from geo.simplify import geometry_to_geojson


@dataclass(frozen=True)
class ShippedLayer:
    """A boundary file shipped with the app: the units of one province in one layout."""

    path: Path
    province: str  # official code of the province its units lie directly under
    valid_from: dt.date  # the layout's first day: a unit ended before it is another unit
    source: str


SHIPPED_LAYERS = (
    ShippedLayer(
        Path(__file__).resolve().parent / "data" / "hcmc_wards_2025" / "hcmc_wards_2025.geojson",
        "79",
        dt.date(2025, 7, 1),
        "shipped:hcmc_wards_2025 (MIT, thanglequoc/vietnamese-provinces-database)",
    ),
)


def save_boundaries(engine: Engine, gdf_simplified: gpd.GeoDataFrame, source: str, approximate: bool) -> int:
    """Replace the boundaries of the frame's units (column `code`) in one transaction, as
    GeoJSON rounded to about 1 m (geo.simplify).

    Rows of other units are kept. Nothing is written if a code is not a unit
    (data_access.boundaries.UnknownUnits). Returns the number of rows written.
    """
    gdf = gdf_simplified
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    shapes = [
        (str(code), None if geom is None or geom.is_empty else json.dumps(geometry_to_geojson(geom), separators=(",", ":")))
        for code, geom in zip(gdf["code"], gdf.geometry)
    ]
    return boundary_rows.replace_boundaries(engine, shapes, source, approximate)


def _stored(engine: Engine, codes=None) -> gpd.GeoDataFrame:
    """Stored boundaries with unit info: code, level, parent_code, name, source, approximate, geometry."""
    rows = boundary_rows.stored_boundaries(engine, codes)
    geoms = [shapely.geometry.shape(json.loads(text)) for text in rows["geojson"]]
    return gpd.GeoDataFrame(rows[COLUMNS], geometry=geoms, crs="EPSG:4326")


@functools.lru_cache(maxsize=len(SHIPPED_LAYERS) + 1)
def shipped_shapes(path: Path) -> dict:
    """A shipped layer's polygons by official code (read once per process)."""
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    return {str(f["properties"].get("code", f.get("id"))): shapely.geometry.shape(f["geometry"]) for f in collection["features"]}


def _shipped(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """Shipped polygons of the units (rows from data_access unit_rows) that a shipped layer
    covers: same official code, directly under the layer's province, not ended before the layout."""
    found = []
    for layer in SHIPPED_LAYERS:
        if rows.empty or not layer.path.exists():
            continue
        shapes = shipped_shapes(layer.path)
        ended = pd.to_datetime(rows["valid_to"])
        match = rows[
            rows["gso_code"].astype(str).isin(shapes.keys())
            & (rows["parent_gso"] == layer.province)
            & (rows["level"] == "ward")
            & (ended.isna() | (ended >= pd.Timestamp(layer.valid_from)))
        ]
        found += [(*r[COLUMNS[:4]], layer.source, False, shapes[str(r["gso_code"])]) for _, r in match.iterrows()]
        rows = rows[~rows["code"].isin(match["code"])]
    return gpd.GeoDataFrame(found, columns=[*COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326")


# The derived former layer, per database, kept while the units, crosswalk and boundaries stay the same.
_former_cache: dict = {}
_former_lock = threading.Lock()


def former_layer(engine: Engine) -> gpd.GeoDataFrame:
    """Approximate polygons of every former unit with a crosswalk into units with real
    boundaries (geo.former): [code, geometry]. Cached per database until its units, crosswalk
    or boundaries change."""
    key = (str(engine.url), boundary_rows.fingerprint(engine))
    with _former_lock:
        if key in _former_cache:
            return _former_cache[key]
    frame, lineage = boundary_rows.former_units_and_crosswalk(engine)
    if frame.empty:
        result = gpd.GeoDataFrame({"code": []}, geometry=[], crs="EPSG:4326")
    else:
        targets = sorted(set(lineage["new_code"].astype(str)))
        real = _real(engine, targets)
        result = former_boundaries(frame, lineage, real)
    with _former_lock:
        _former_cache.clear()  # one database state per process is enough; a new one replaces it
        _former_cache[key] = result
    return result


def _real(engine: Engine, codes) -> gpd.GeoDataFrame:
    """Official or shipped polygons of the units (never approximate ones)."""
    stored = _stored(engine, codes)
    official = stored[~stored["approximate"].astype(bool)]
    rest = [c for c in codes if c not in set(official["code"])]
    shipped = _shipped(boundary_rows.unit_rows(engine, rest)) if rest else None
    parts = [official] + ([shipped] if shipped is not None and len(shipped) else [])
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326")


def load_boundaries(engine: Engine, codes=None) -> gpd.GeoDataFrame:
    """The best boundary of each unit (all units when codes is None), see the module's doc:
    code, level, parent_code, name, source, approximate, geometry."""
    codes = None if codes is None else [str(c) for c in codes]
    stored = _stored(engine, codes)
    official = stored[~stored["approximate"].astype(bool)]
    rows = boundary_rows.unit_rows(engine, codes)
    rows = rows[~rows["code"].isin(official["code"])]
    parts = [official]
    if not rows.empty:
        shipped = _shipped(rows)
        parts.append(shipped)
        rows = rows[~rows["code"].isin(shipped["code"])]
    if not rows.empty and rows["valid_to"].notna().any():
        former = former_layer(engine)
        found = rows.merge(former, on="code")
        if len(found):
            parts.append(gpd.GeoDataFrame(found.assign(source=FORMER_SOURCE, approximate=True)[[*COLUMNS, "geometry"]], geometry="geometry", crs="EPSG:4326"))
            rows = rows[~rows["code"].isin(found["code"])]
    parts.append(stored[stored["approximate"].astype(bool) & stored["code"].isin(rows["code"])])
    parts = [p for p in parts if len(p)]
    if not parts:
        return gpd.GeoDataFrame([], columns=[*COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326")
    result = pd.concat(parts, ignore_index=True).sort_values("code").reset_index(drop=True)
    return gpd.GeoDataFrame(result[[*COLUMNS, "geometry"]], geometry="geometry", crs="EPSG:4326")
