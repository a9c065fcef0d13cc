"""Unit boundaries in the database (table `unit_boundaries`): the only SQL of the geo path."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import shapely
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from data_access.schema import unit_boundaries, units
from geo.simplify import geometry_to_geojson


class UnknownUnits(ValueError):
    """Boundaries were given for codes that are not in the units table."""


def save_boundaries(engine: Engine, gdf_simplified: gpd.GeoDataFrame, source: str, approximate: bool) -> int:
    """Replace the boundaries of the frame's units (column `code`) in one transaction.

    Rows of other units are kept. Nothing is written if a code is not a unit. Returns the
    number of rows written.
    """
    gdf = gdf_simplified
    if gdf.crs is not None and gdf.crs.to_epsg() != 4326:
        gdf = gdf.to_crs(4326)
    codes = [str(c) for c in gdf["code"]]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = [
        {
            "unit_code": code,
            "geojson": json.dumps(geometry_to_geojson(geom), separators=(",", ":")),
            "source": source[:200],
            "approximate": bool(approximate),
            "imported_at": now,
        }
        for code, geom in zip(codes, gdf.geometry)
        if geom is not None and not geom.is_empty
    ]
    with engine.begin() as conn:
        known = set()
        for start in range(0, len(codes), 500):
            chunk = codes[start : start + 500]
            known |= set(conn.execute(select(units.c.code).where(units.c.code.in_(chunk))).scalars())
        unknown = sorted(set(codes) - known)
        if unknown:
            raise UnknownUnits(f"{len(unknown)} code(s) are not units: {', '.join(unknown[:10])}")
        for start in range(0, len(codes), 500):
            conn.execute(delete(unit_boundaries).where(unit_boundaries.c.unit_code.in_(codes[start : start + 500])))
        if rows:
            conn.execute(insert(unit_boundaries), rows)
    return len(rows)


def load_boundaries(engine: Engine, codes=None) -> gpd.GeoDataFrame:
    """Boundaries with unit info: code, level, parent_code, name, source, approximate, geometry."""
    query = (
        select(
            unit_boundaries.c.unit_code.label("code"),
            units.c.level,
            units.c.parent_code,
            units.c.name,
            unit_boundaries.c.source,
            unit_boundaries.c.approximate,
            unit_boundaries.c.geojson,
        )
        .join(units, units.c.code == unit_boundaries.c.unit_code)
        .order_by(unit_boundaries.c.unit_code)
    )
    rows = []
    with engine.connect() as conn:
        if codes is None:
            rows = conn.execute(query).mappings().all()
        else:
            codes = [str(c) for c in codes]
            for start in range(0, len(codes), 500):
                rows += conn.execute(query.where(unit_boundaries.c.unit_code.in_(codes[start : start + 500]))).mappings().all()
    records = [dict(r) for r in rows]
    geoms = [shapely.geometry.shape(json.loads(r.pop("geojson"))) for r in records]
    columns = ["code", "level", "parent_code", "name", "source", "approximate"]
    return gpd.GeoDataFrame(records, columns=columns, geometry=geoms, crs="EPSG:4326")


def has_boundaries(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(unit_boundaries)).scalar())
