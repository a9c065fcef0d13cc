"""Simplify a boundary coverage once, keeping shared borders, and turn it into GeoJSON.

The map figure embeds the GeoJSON in every message to the browser, so it must be small:
`simplify_to_budget` picks the smallest tolerance whose GeoJSON fits the byte budget
(default 300 KB), simplifies with `simplify_coverage` (neighbours keep a common border),
rounds coordinates to 5 decimals (about 1 m) and keeps only the unit code as feature id.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import shapely

DEFAULT_BUDGET_BYTES = 300_000
PRECISION = 5
# Tolerances tried, in degrees (1e-4 degree is about 11 m).
TOLERANCES = (0.0, 0.00005, 0.0001, 0.0002, 0.0003, 0.0005, 0.0008, 0.0012, 0.002, 0.003, 0.005)


def _round_coords(coords, precision: int):
    if isinstance(coords, (float, int)):
        return round(float(coords), precision)
    return [_round_coords(c, precision) for c in coords]


def geometry_to_geojson(geom, precision: int = PRECISION) -> dict:
    """A shapely geometry as a GeoJSON geometry dict with rounded coordinates."""
    mapping = shapely.geometry.mapping(geom)
    return {"type": mapping["type"], "coordinates": _round_coords(mapping["coordinates"], precision)}


def to_feature_collection(gdf: gpd.GeoDataFrame, code_column: str = "code", precision: int = PRECISION) -> dict:
    """FeatureCollection whose features carry only `id` = unit code (EPSG:4326)."""
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    features = []
    for code, geom in zip(gdf[code_column].astype(str), gdf.geometry):
        if geom is None or geom.is_empty:
            continue
        features.append({"type": "Feature", "id": code, "properties": {}, "geometry": geometry_to_geojson(geom, precision)})
    return {"type": "FeatureCollection", "features": features}


def geojson_bytes(feature_collection: dict) -> int:
    """Size of the compact JSON text, as sent to the browser."""
    return len(json.dumps(feature_collection, separators=(",", ":")).encode("utf-8"))


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """The same frame with its geometry simplified as a coverage (shared borders kept)."""
    out = gdf.copy()
    if tolerance > 0:
        out["geometry"] = gdf.geometry.simplify_coverage(tolerance)
        out["geometry"] = out.geometry.make_valid() if not out.geometry.is_valid.all() else out.geometry
    return out


def simplify_to_budget(
    gdf: gpd.GeoDataFrame,
    budget_bytes: int = DEFAULT_BUDGET_BYTES,
    code_column: str = "code",
    tolerances=TOLERANCES,
) -> tuple[gpd.GeoDataFrame, float]:
    """Simplify one level of units (one coverage) to fit the byte budget.

    Returns (simplified frame, tolerance used, in degrees). Each level (wards, districts)
    must be simplified separately: a coverage is one layer with no overlaps.
    """
    gdf = gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    result, used = gdf, 0.0
    for tolerance in tolerances:
        result, used = simplify_coverage(gdf, tolerance), tolerance
        if geojson_bytes(to_feature_collection(result, code_column)) <= budget_bytes:
            break
    return result, used


def simplify_levels(gdf: gpd.GeoDataFrame, budgets: dict | None = None) -> gpd.GeoDataFrame:
    """Simplify every level (ward, district, city ...) separately, each to its budget.

    budgets: level -> bytes; default 300 KB for wards and 60 KB for every other level.
    """
    budgets = budgets or {}
    parts = []
    for level, part in gdf.groupby("level", sort=False):
        budget = budgets.get(level, DEFAULT_BUDGET_BYTES if level == "ward" else 60_000)
        simplified, _ = simplify_to_budget(part, budget)
        parts.append(simplified)
    return gpd.GeoDataFrame(pd.concat(parts), geometry="geometry", crs=gdf.crs).loc[gdf.index]


def simplify_file(source, out, budget_bytes: int = 350_000, keep=("code", "name", "parent_code")) -> dict:
    """Write a simplified copy of a boundary coverage file (GeoJSON, EPSG:4326).

    Each feature keeps `id` = its code and the `keep` properties; returns what was done
    (features, tolerance, bytes) so the command can say it. Used to make the shipped
    default layer (geo/data/*/), reproducibly, from the full-detail file.
    """
    from pathlib import Path

    gdf = gpd.read_file(source)
    gdf = gdf.to_crs(4326) if gdf.crs is not None and gdf.crs.to_epsg() != 4326 else gdf
    gdf["code"] = gdf["code"].astype(str)
    simplified, tolerance = simplify_to_budget(gdf.sort_values("code").reset_index(drop=True), budget_bytes)
    collection = to_feature_collection(simplified)
    props = simplified.set_index("code", drop=False)[[k for k in keep if k in simplified.columns]]
    for feature in collection["features"]:
        feature["properties"] = {k: str(v) for k, v in props.loc[feature["id"]].items()}
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text + "\n", encoding="utf-8")
    return {"features": len(collection["features"]), "tolerance": tolerance, "bytes": len(text.encode("utf-8")) + 1}
