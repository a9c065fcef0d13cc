"""Unit boundaries in the app database: the table `unit_boundaries` (GeoJSON text per unit)
and the unit rows that decide which boundary a unit is drawn with. SQL only: geo/boundaries.py
serialises what is saved and composes what is drawn (imported, shipped, former, generated).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from data_access.frames import rows_frame
from sqlalchemy import delete, func, insert, select
from sqlalchemy.engine import Engine

from data_access.schema import unit_boundaries, unit_lineage, units
from domain.errors import UserFacingError

COLUMNS = ["code", "level", "parent_code", "name", "source", "approximate"]


class UnknownUnits(UserFacingError, ValueError):
    """Boundaries were given for codes that are not in the units table."""

    vi = "Tệp ranh giới có mã không thuộc danh mục đơn vị; không có gì được ghi."
    en = "The boundary file names codes that are not units; nothing was written."
    hint = (
        "Nạp danh mục đơn vị trước (python -m data_access.reference), rồi nạp lại ranh giới.",
        "Load the unit list first (python -m data_access.reference), then the boundaries again.",
    )


def replace_boundaries(engine: Engine, shapes: list[tuple[str, str | None]], source: str, approximate: bool) -> int:
    """Replace the boundaries of the units in `shapes` (unit code, GeoJSON geometry text; None
    for a unit with no geometry: its old row goes, none is written) in one transaction.

    Rows of other units are kept. Nothing is written if a code is not a unit. Returns the
    number of rows written.
    """
    codes = [code for code, _ in shapes]
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    rows = [
        {"unit_code": code, "geojson": geojson, "source": source[:200], "approximate": bool(approximate), "imported_at": now}
        for code, geojson in shapes
        if geojson is not None
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


def _in_chunks(conn, query, column, codes):
    if codes is None:
        return list(conn.execute(query).mappings())
    rows = []
    for start in range(0, len(codes), 500):
        rows += conn.execute(query.where(column.in_(codes[start : start + 500]))).mappings().all()
    return rows


def stored_boundaries(engine: Engine, codes=None) -> pd.DataFrame:
    """Rows of `unit_boundaries` with unit info (all when codes is None), by code:
    code, level, parent_code, name, source, approximate, geojson (the text as stored)."""
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
    with engine.connect() as conn:
        rows = _in_chunks(conn, query, unit_boundaries.c.unit_code, None if codes is None else [str(c) for c in codes])
    return pd.DataFrame([dict(r) for r in rows], columns=[*COLUMNS, "geojson"])


def has_boundaries(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(conn.execute(select(func.count()).select_from(unit_boundaries)).scalar())


def unit_rows(engine: Engine, codes=None) -> pd.DataFrame:
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


def fingerprint(engine: Engine) -> tuple:
    """Counts and latest changes of the units, the crosswalk and the stored boundaries: it
    changes whenever a layer derived from them (the former units' shapes) could."""
    with engine.connect() as conn:
        return (
            conn.execute(select(func.count(), func.max(units.c.valid_to))).one()[:],
            conn.execute(select(func.count()).select_from(unit_lineage)).scalar(),
            conn.execute(select(func.count(), func.max(unit_boundaries.c.imported_at))).one()[:],
        )


def former_units_and_crosswalk(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the former units' shapes are cut from: the units (code, parent_code, lat, lon,
    valid_to; empty when no unit has ended or there is no crosswalk) and the crosswalk
    (old_code, new_code)."""
    with engine.connect() as conn:
        has_ended = conn.execute(select(func.count()).select_from(units).where(units.c.valid_to.is_not(None))).scalar()
        lineage = rows_frame(conn.execute(select(unit_lineage.c.old_code, unit_lineage.c.new_code)), columns=["old_code", "new_code"])
        frame = (
            pd.DataFrame(
                conn.execute(select(units.c.code, units.c.parent_code, units.c.lat, units.c.lon, units.c.valid_to)).all(),
                columns=["code", "parent_code", "lat", "lon", "valid_to"],
            )
            if has_ended and len(lineage)
            else pd.DataFrame()
        )
    return frame, lineage
