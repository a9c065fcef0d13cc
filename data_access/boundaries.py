"""Unit boundaries: the table `unit_boundaries`, the shipped default layers, and the best
boundary of each unit at read time. The only SQL of the geo path.

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
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from data_access.schema import unit_boundaries, unit_lineage, units
from geo.simplify import geometry_to_geojson
from domain.errors import UserFacingError

COLUMNS = ["code", "level", "parent_code", "name", "source", "approximate"]


@dataclass(frozen=True)
class ShippedLayer:
    """A boundary file shipped with the app: the units of one province in one layout."""

    path: Path
    province: str  # official code of the province its units lie directly under
    valid_from: dt.date  # the layout's first day: a unit ended before it is another unit
    source: str


SHIPPED_LAYERS = (
    ShippedLayer(
        Path(__file__).resolve().parents[1] / "geo" / "data" / "hcmc_wards_2025" / "hcmc_wards_2025.geojson",
        "79",
        dt.date(2025, 7, 1),
        "shipped:hcmc_wards_2025 (MIT, thanglequoc/vietnamese-provinces-database)",
    ),
)


class UnknownUnits(UserFacingError, ValueError):
    """Boundaries were given for codes that are not in the units table."""

    vi = "Tệp ranh giới có mã không thuộc danh mục đơn vị; không có gì được ghi."
    en = "The boundary file names codes that are not units; nothing was written."
    hint = (
        "Nạp danh mục đơn vị trước (python -m data_access.reference), rồi nạp lại ranh giới.",
        "Load the unit list first (python -m data_access.reference), then the boundaries again.",
    )


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


def _stored(engine: Engine, codes=None) -> gpd.GeoDataFrame:
    """Rows of `unit_boundaries` with unit info: code, level, parent_code, name, source, approximate, geometry."""
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
    return gpd.GeoDataFrame(records, columns=COLUMNS, geometry=geoms, crs="EPSG:4326")


def has_boundaries(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(unit_boundaries)).scalar())


def _in_chunks(conn, query, column, codes):
    if codes is None:
        return list(conn.execute(query).mappings())
    rows = []
    for start in range(0, len(codes), 500):
        rows += conn.execute(query.where(column.in_(codes[start : start + 500]))).mappings().all()
    return rows


def _unit_rows(engine: Engine, codes=None) -> pd.DataFrame:
    """code, gso_code, level, parent_code, name, valid_from, valid_to, parent_gso of units."""
    parent = units.alias("parent")
    query = select(
        units.c.code,
        units.c.gso_code,
        units.c.level,
        units.c.parent_code,
        units.c.name,
        units.c.valid_from,
        units.c.valid_to,
        parent.c.gso_code.label("parent_gso"),
    ).select_from(units.outerjoin(parent, parent.c.code == units.c.parent_code))
    with engine.connect() as conn:
        rows = _in_chunks(conn, query, units.c.code, codes)
    return pd.DataFrame([dict(r) for r in rows], columns=["code", "gso_code", "level", "parent_code", "name", "valid_from", "valid_to", "parent_gso"])


@functools.lru_cache(maxsize=len(SHIPPED_LAYERS) + 1)
def shipped_shapes(path: Path) -> dict:
    """A shipped layer's polygons by official code (read once per process)."""
    collection = json.loads(Path(path).read_text(encoding="utf-8"))
    return {str(f["properties"].get("code", f.get("id"))): shapely.geometry.shape(f["geometry"]) for f in collection["features"]}


def _shipped(rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """Shipped polygons of the units (rows from _unit_rows) that a shipped layer covers:
    same official code, directly under the layer's province, not ended before the layout."""
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


def _fingerprint(engine: Engine) -> tuple:
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count(), func.max(units.c.valid_to))).one()[:],
            conn.execute(select(func.count()).select_from(unit_lineage)).scalar(),
            conn.execute(select(func.count(), func.max(unit_boundaries.c.imported_at))).one()[:],
        )


def former_layer(engine: Engine) -> gpd.GeoDataFrame:
    """Approximate polygons of every former unit with a crosswalk into units with real
    boundaries (geo.former): [code, geometry]. Cached per database until its units, crosswalk
    or boundaries change."""
    key = (str(engine.url), _fingerprint(engine))
    with _former_lock:
        if key in _former_cache:
            return _former_cache[key]
    from geo.former import former_boundaries

    with engine.connect() as conn:
        has_ended = conn.execute(select(func.count()).select_from(units).where(units.c.valid_to.is_not(None))).scalar()
        lineage = pd.DataFrame(conn.execute(select(unit_lineage.c.old_code, unit_lineage.c.new_code)).all(), columns=["old_code", "new_code"])
        frame = (
            pd.DataFrame(
                conn.execute(select(units.c.code, units.c.parent_code, units.c.lat, units.c.lon, units.c.valid_to)).all(),
                columns=["code", "parent_code", "lat", "lon", "valid_to"],
            )
            if has_ended and len(lineage)
            else pd.DataFrame()
        )
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
    shipped = _shipped(_unit_rows(engine, rest)) if rest else None
    parts = [official] + ([shipped] if shipped is not None and len(shipped) else [])
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326")


def load_boundaries(engine: Engine, codes=None) -> gpd.GeoDataFrame:
    """The best boundary of each unit (all units when codes is None), see the module's doc:
    code, level, parent_code, name, source, approximate, geometry."""
    codes = None if codes is None else [str(c) for c in codes]
    stored = _stored(engine, codes)
    official = stored[~stored["approximate"].astype(bool)]
    rows = _unit_rows(engine, codes)
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
            parts.append(
                gpd.GeoDataFrame(found.assign(source=_former_source(), approximate=True)[[*COLUMNS, "geometry"]], geometry="geometry", crs="EPSG:4326")
            )
            rows = rows[~rows["code"].isin(found["code"])]
    parts.append(stored[stored["approximate"].astype(bool) & stored["code"].isin(rows["code"])])
    parts = [p for p in parts if len(p)]
    if not parts:
        return gpd.GeoDataFrame([], columns=[*COLUMNS, "geometry"], geometry="geometry", crs="EPSG:4326")
    result = pd.concat(parts, ignore_index=True).sort_values("code").reset_index(drop=True)
    return gpd.GeoDataFrame(result[[*COLUMNS, "geometry"]], geometry="geometry", crs="EPSG:4326")


def _former_source() -> str:
    from geo.former import SOURCE_LABEL

    return SOURCE_LABEL
