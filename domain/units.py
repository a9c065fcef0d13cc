"""The unit tree: children, subtrees, ancestors and roll-ups, walking parent links.

No code here counts levels: a city may have districts and wards below it (before July
2025) or wards directly (after), and the same functions serve both.
"""

from __future__ import annotations

import functools
import re
from datetime import date

import numpy as np
import pandas as pd


def unit_key(gso_code: str, valid_from: date | None, valid_to: date | None, taken: set[str] | frozenset = frozenset()) -> str:
    """The key of one version of a unit: its official code while no other version holds it.

    Codes are reused across reforms, so a second version of a code is keyed "code@date" with
    a date it was in force: its last day if it has ended (a former ward: "26740@2025-06-30"),
    else its first ("26740@2025-07-01", a new unit added beside a former one already keyed
    26740). A key, once given, never changes: facts and links refer to it.
    """
    if gso_code not in taken:
        return gso_code
    day = valid_to if valid_to is not None else valid_from
    if day is None:
        raise ValueError(f"two versions of unit {gso_code} without dates to tell them apart")
    key = f"{gso_code}@{day.isoformat()}"
    if key in taken:
        raise ValueError(f"two versions of unit {gso_code} in force on {day.isoformat()}")
    return key


def _days(values) -> np.ndarray:
    if isinstance(values, np.ndarray) and np.issubdtype(values.dtype, np.datetime64):
        return values.astype("datetime64[D]")
    return pd.to_datetime(pd.Series(values, dtype=object)).to_numpy(dtype="datetime64[D]")


def in_force(units: pd.DataFrame, day: date) -> pd.Series:
    """Which units (rows with valid_from, valid_to; null = open) are in force on `day`."""
    start, end = _days(units["valid_from"]), _days(units["valid_to"])
    on = np.datetime64(day, "D")
    mask = (np.isnat(start) | (start <= on)) & (np.isnat(end) | (end >= on))
    return pd.Series(mask, index=units.index)


def resolve_unit_codes(values: pd.Series, days, versions: pd.DataFrame) -> tuple[pd.Series, np.ndarray]:
    """The unit key each record's unit code stands for on the record's day.

    A source writes official codes, and codes are reused across reforms: 26740 on a 2024
    record is the former Phường Bến Nghé, on a 2026 one Phường Sài Gòn. `versions` holds
    code (the key), gso_code, valid_from, valid_to (versions of one code do not overlap). A
    value that is an official code goes to the version in force on its day; a value that is
    only a key (26740@2025-06-30) is that unit. Returns (keys, None where nothing matched;
    mask of official codes with no version in force on the day).
    """
    values = pd.Series(values).reset_index(drop=True).astype(object)
    official = pd.Index(versions["gso_code"].astype(str).unique())
    code_of_row = official.get_indexer(values)
    is_official = code_of_row >= 0
    # One sorted array of (official code, first day) for the versions; each record finds the
    # last version of its code that started on or before its day (numpy, no join).
    span = np.int64(1) << 42
    never = -(np.int64(1) << 40)
    starts = _days(versions["valid_from"]).astype("int64")
    starts = np.where(np.isnat(_days(versions["valid_from"])), never, starts)
    ends_nat = np.isnat(_days(versions["valid_to"]))
    ends = np.where(ends_nat, np.int64(1) << 40, _days(versions["valid_to"]).astype("int64"))
    version_code = official.get_indexer(versions["gso_code"].astype(str))
    order = np.lexsort((starts, version_code))
    sorted_keys = version_code[order].astype("int64") * span + starts[order]
    row_days_raw = _days(days)
    bad_day = np.isnat(row_days_raw)
    row_days = np.where(bad_day, 0, row_days_raw.astype("int64"))
    wanted = code_of_row.astype("int64") * span + row_days
    at = np.searchsorted(sorted_keys, wanted, side="right") - 1
    at_clipped = np.clip(at, 0, max(len(order) - 1, 0))
    chosen = order[at_clipped] if len(order) else np.zeros(len(values), dtype=int)
    hit = is_official & ~bad_day & (at >= 0)
    if len(order):
        hit &= (version_code[chosen] == code_of_row) & (row_days <= ends[chosen])
    keys_array = versions["code"].astype(str).to_numpy(dtype=object)
    found = np.where(hit, keys_array[chosen] if len(order) else None, None)
    only_key = ~is_official & values.isin(set(keys_array)).to_numpy()
    out = pd.Series(np.where(only_key, values.to_numpy(dtype=object), found), dtype=object)
    not_in_force = is_official & ~hit
    return out, not_in_force


def children(units: pd.DataFrame, code: str, levels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Direct children of a unit, optionally only of the given levels, ordered by name."""
    rows = units[units["parent_code"] == code]
    if levels is not None:
        rows = rows[rows["level"].isin(levels)]
    keys = [natural_key(name) for name in rows["name"].tolist()]
    return rows.iloc[sorted(range(len(keys)), key=keys.__getitem__)]


_NUMBER = re.compile(r"\d+")


@functools.lru_cache(maxsize=8192)  # the same few hundred names, sorted on every view
def natural_key(name: str) -> str:
    """ "Quận 2" before "Quận 10": the name with its numbers padded."""
    return _NUMBER.sub(lambda m: m.group(0).zfill(4), str(name))


def parent_links(units: pd.DataFrame) -> dict:
    """Each unit code to its parent's code (None at the root)."""
    # tolist() first: iterating pandas' Arrow-backed strings one by one is slow.
    parents = [None if pd.isna(p) else str(p) for p in units["parent_code"].tolist()]
    return dict(zip((str(c) for c in units["code"].tolist()), parents))


def subtree_codes(units: pd.DataFrame, code: str) -> tuple[str, ...]:
    """The unit and every unit below it."""
    parent_of = parent_links(units)
    return tuple(sorted(c for c in parent_of if _is_under(c, code, parent_of)))


def _is_under(code: str, ancestor: str, parent_of: dict) -> bool:
    seen = set()
    while code is not None and code not in seen:
        if code == ancestor:
            return True
        seen.add(code)
        code = parent_of.get(code)
    return False


def ancestors(units: pd.DataFrame, code: str, parent_of: dict | None = None) -> list[str]:
    """Codes from the top of the tree down to the unit itself (for a breadcrumb)."""
    parent_of = parent_of if parent_of is not None else parent_links(units)
    chain = []
    while code is not None and code in parent_of and code not in chain:
        chain.append(code)
        code = parent_of[code]
    return list(reversed(chain))


def group_under(units: pd.DataFrame, parent_code: str) -> pd.Series:
    """For every unit below `parent_code`, the child of `parent_code` it belongs to.

    The parent's own office maps to the parent itself, so its dossiers still count.
    """
    parent_of = parent_links(units)
    below = (c for c in parent_of if _is_under(c, parent_code, parent_of))
    chains = {code: ancestors(units, code, parent_of) for code in below}
    mapping = {}
    for code, chain in chains.items():
        position = chain.index(parent_code)
        mapping[code] = chain[position + 1] if position + 1 < len(chain) else parent_code
    return pd.Series(mapping, name="group_code")


def roll_up(counts_by_unit: pd.DataFrame, units: pd.DataFrame, parent_code: str) -> pd.DataFrame:
    """Sum unit counts into the children of `parent_code` (districts of the city, wards of a district)."""
    groups = group_under(units, parent_code)
    frame = counts_by_unit[counts_by_unit["unit_code"].isin(groups.index)].copy()
    frame["unit_code"] = frame["unit_code"].map(groups)
    numeric = [c for c in frame.columns if c != "unit_code" and pd.api.types.is_numeric_dtype(frame[c])]
    return frame.groupby("unit_code", as_index=False)[numeric].sum()


def name_of(units: pd.DataFrame, code: str) -> str:
    match = units.loc[units["code"] == code, "name"]
    return str(match.iloc[0]) if len(match) else code


# --- versions: which units are in force, and how former units restate onto today's ------


def versions_on(units: pd.DataFrame, day: date) -> pd.DataFrame:
    """The unit versions in force on `day`: the tree of that day (a frame without validity
    columns is in force throughout)."""
    if "valid_from" not in units or "valid_to" not in units:
        return units
    return units[in_force(units, day).to_numpy()]


def layout_on(units: pd.DataFrame, lineage: pd.DataFrame, day: date) -> pd.DataFrame:
    """The tree of `day` as the dashboard walks it: the versions in force, with the provinces
    merged into the home city under it (`with_merged_provinces`)."""
    return versions_on(with_merged_provinces(units, lineage), day)


def with_merged_provinces(units: pd.DataFrame, lineage: pd.DataFrame) -> pd.DataFrame:
    """Units with every other province that later merged into the home city placed under it
    (Bình Dương and Bà Rịa–Vũng Tàu under Ho Chi Minh City), so the city's former layout covers
    today's territory, every unit has one root, and a merged province outside one's scope
    folds into one total, as a district does."""
    home = home_city(units)
    if home is None or lineage is None or lineage.empty:
        return units
    merged = set(lineage.loc[lineage["new_code"].astype(str) == home, "old_code"].astype(str))
    moved = units["parent_code"].isna() & units["code"].isin(merged) & (units["code"] != home)
    if not moved.any():
        return units
    units = units.copy()
    units.loc[moved, "parent_code"] = home
    return units


def home_city(units: pd.DataFrame) -> str | None:
    """The province the dashboard serves: the root still in force (merged provinces have ended)."""
    roots = units[units["parent_code"].isna()]
    current = roots[roots["valid_to"].isna()] if "valid_to" in roots else roots
    chosen = current if len(current) else roots
    return str(chosen["code"].iloc[0]) if len(chosen) else None


def restatement(units: pd.DataFrame, lineage: pd.DataFrame) -> pd.DataFrame:
    """How each former unit's counts move onto the units it went into.

    One row per link: old_code, new_code, weight, exact. A whole link moves everything
    (weight 1, exact). A unit split in parts moves the share the city gave as the link's
    weight, else the new unit's share of the official area of all the units it went into;
    either way the restated figure is approximate.
    """
    if lineage.empty:
        return pd.DataFrame(columns=["old_code", "new_code", "weight", "exact"])
    links = lineage[["old_code", "new_code", "whole", "weight"]].copy()
    area = dict(zip(units["code"], pd.to_numeric(units.get("area_km2", pd.Series(dtype=float)), errors="coerce")))
    links["area"] = links["new_code"].map(area).astype(float)
    links["share"] = links["area"] / links.groupby("old_code")["area"].transform("sum")
    links["parts"] = links.groupby("old_code")["new_code"].transform("count")
    given = pd.to_numeric(links["weight"], errors="coerce")
    fallback = links["share"].fillna(1.0 / links["parts"])  # no area known: equal parts
    whole = links["whole"].astype(bool) & (links["parts"] == 1)
    links["weight"] = given.where(given.notna(), fallback).where(~whole, 1.0)
    links["exact"] = whole
    return links[["old_code", "new_code", "weight", "exact"]].reset_index(drop=True)


def former_areas(units: pd.DataFrame, lineage: pd.DataFrame) -> pd.DataFrame:
    """For each unit that former units went into: the former district and former province
    most of it came from (by the restatement weights of its former wards).

    Groupings above the ward for a two-tier city ("Bình Dương cũ", "Quận 1 cũ"), derived from
    the crosswalk alone. Columns: code, district_code, province_code.
    """
    moves = restatement(units, lineage)
    parent_of = parent_links(units)
    level = dict(zip(units["code"], units["level"]))
    # The former commune-level units: leaves of the tree (a district with no wards, as Côn
    # Đảo was, is its own leaf and its own district).
    has_children = set(parent_of.values())
    leaves = moves["old_code"].map(lambda c: c not in has_children and level.get(c) in ("ward", "district"))
    wards = moves[leaves].copy()
    if wards.empty:
        return pd.DataFrame(columns=["code", "district_code", "province_code"])
    wards["district_code"] = [c if level[c] == "district" else parent_of[c] for c in wards["old_code"]]
    share = wards.groupby(["new_code", "district_code"], as_index=False)["weight"].sum()
    main = share.sort_values(["new_code", "weight", "district_code"], ascending=[True, False, True]).drop_duplicates("new_code")
    main["province_code"] = [ancestors(units, d, parent_of)[0] if d in parent_of else None for d in main["district_code"]]
    return main.rename(columns={"new_code": "code"})[["code", "district_code", "province_code"]].reset_index(drop=True)


AREA_PREFIX = "area:"  # a scope grouping today's units by where they came from: "area:74"


def area_members(units: pd.DataFrame, lineage: pd.DataFrame, in_force_codes) -> dict[str, tuple[str, ...]]:
    """Former province or district code -> the units in force that mostly came from it."""
    return members_by_area(former_areas(units, lineage), in_force_codes)


def members_by_area(found: pd.DataFrame, in_force_codes) -> dict[str, tuple[str, ...]]:
    """area_members from `former_areas` already computed (a cached frame, on a hot path)."""
    found = found[found["code"].isin(set(in_force_codes))]
    members: dict[str, tuple[str, ...]] = {}
    for column in ("province_code", "district_code"):
        for code, group in found.groupby(column)["code"]:
            members[code] = tuple(sorted(group))
    return members
