"""Unit versions and the crosswalk between them: what a city looked like on a date, and how
its former units became today's.

    units_in_force(engine, day, root=None)  -> the units in force on `day` under `root`
    former_units(engine, code)              -> the units that went into `code` (whole/part, weight)
    current_units(engine, code, day=None)   -> the unit(s) a former unit went into, in force on `day`
    lineage_links(engine)                   -> every crosswalk link (old_code, new_code, whole, weight)

A unit is in force on a day when valid_from (null: since before the data) is on or before it
and valid_to (null: still in force) on or after it. Trees are walked through parent links
among the units in force (domain/units.py); nothing counts levels, so a city with districts
in between (before July 2025) and one with wards directly under it (after) read the same.
These are dimensions (names, codes, validity): open to every signed-in viewer, like
queries.load_units.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from data_access.frames import rows_frame
from sqlalchemy import select
from sqlalchemy.engine import Engine

from data_access.schema import unit_lineage, units
from domain import units as unit_tree

UNIT_FIELDS = ["code", "gso_code", "name", "level", "parent_code", "lat", "lon", "area_km2", "valid_from", "valid_to"]
LINK_FIELDS = ["old_code", "new_code", "effective_date", "kind", "whole", "weight"]


def _units(connection) -> pd.DataFrame:
    return rows_frame(connection.execute(select(*[units.c[n] for n in UNIT_FIELDS])), columns=UNIT_FIELDS)


def _links(connection) -> pd.DataFrame:
    frame = rows_frame(connection.execute(select(*[unit_lineage.c[n] for n in LINK_FIELDS])), columns=LINK_FIELDS)
    frame["whole"] = frame["whole"].astype(bool)
    return frame


def lineage_links(engine: Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        return _links(connection)


def units_in_force(engine: Engine, day: date, root: str | None = None) -> pd.DataFrame:
    """The units in force on `day` (UNIT_FIELDS), ordered by name; with `root`, only those
    below it (walking parent links among the units in force; the root itself excluded)."""
    with engine.connect() as connection:
        frame = _units(connection)
    frame = frame[unit_tree.in_force(frame, day)].reset_index(drop=True)
    if root is not None:
        below = set(unit_tree.subtree_codes(frame, root)) - {root}
        frame = frame[frame["code"].isin(below)]
    return frame.sort_values(["level", "name", "code"], ignore_index=True)


def former_units(engine: Engine, code: str) -> pd.DataFrame:
    """The units that went into `code`, directly: code, name, level, valid_to, effective_date,
    kind, whole (the whole former unit went into it) and weight (its share, when known)."""
    with engine.connect() as connection:
        links = _links(connection)
        frame = _units(connection)
    found = links[links["new_code"] == code].merge(frame, left_on="old_code", right_on="code")
    return found[["code", "name", "level", "valid_to", "effective_date", "kind", "whole", "weight"]].sort_values(["level", "name"], ignore_index=True)


def current_units(engine: Engine, code: str, day: date | None = None) -> pd.DataFrame:
    """The unit(s) `code` went into, following the crosswalk forward until the units in force
    on `day` (default today): code, name, level, whole, weight (the share of `code` that went
    there: 1 for a whole link, None when a part link carries no weight). A unit in force is
    its own current unit. A former ward split in three gives three rows, each whole=False."""
    day = day or date.today()
    with engine.connect() as connection:
        links = _links(connection)
        frame = _units(connection)
    alive = set(frame.loc[unit_tree.in_force(frame, day), "code"])
    reached: dict[str, tuple[bool, float | None]] = {}
    frontier = [(code, True, 1.0)]
    seen = set()
    while frontier:
        unit, whole, weight = frontier.pop()
        if unit in alive:
            before = reached.get(unit)
            reached[unit] = (
                whole or (before is not None and before[0]),
                weight if before is None or weight is None or before[1] is None else before[1] + weight,
            )
            continue
        if unit in seen:  # a crosswalk loop: stop rather than walk forever
            continue
        seen.add(unit)
        for link in links[links["old_code"] == unit].itertuples():
            link_weight = 1.0 if pd.isna(link.weight) and link.whole else link.weight
            share = None if weight is None or pd.isna(link_weight) else weight * float(link_weight)
            frontier.append((link.new_code, whole and bool(link.whole), share))
    out = frame[frame["code"].isin(reached)].copy()
    out["whole"] = out["code"].map(lambda c: reached[c][0])
    out["weight"] = out["code"].map(lambda c: reached[c][1])
    return out[["code", "name", "level", "whole", "weight"]].sort_values("name", ignore_index=True)
