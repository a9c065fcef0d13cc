"""The unit tree: children, subtrees, ancestors and roll-ups, walking parent links.

No code here counts levels: a city may have districts and wards below it (before July
2025) or wards directly (after), and the same functions serve both.
"""

from __future__ import annotations

import re
from datetime import date

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


def in_force(units: pd.DataFrame, day: date) -> pd.DataFrame:
    """The units in force on `day` (valid_from and valid_to, when given, around it).

    Frames without validity columns (older databases) are in force throughout."""
    if "valid_from" not in units or "valid_to" not in units:
        return units
    start = pd.to_datetime(units["valid_from"])
    end = pd.to_datetime(units["valid_to"])
    moment = pd.Timestamp(day)
    return units[(start.isna() | (start <= moment)) & (end.isna() | (end >= moment))]


def children(units: pd.DataFrame, code: str, levels: tuple[str, ...] | None = None) -> pd.DataFrame:
    """Direct children of a unit, optionally only of the given levels, ordered by name."""
    rows = units[units["parent_code"] == code]
    if levels is not None:
        rows = rows[rows["level"].isin(levels)]
    return rows.sort_values("name", key=_name_sort_key)


_NUMBER = re.compile(r"\d+")


def _name_sort_key(names: pd.Series) -> pd.Series:
    # "Quận 2" before "Quận 10": pad the numbers in names for a natural order.
    # A plain list, not .str.replace: a Python callable over Arrow-backed strings is slow.
    return pd.Series([_NUMBER.sub(lambda m: m.group(0).zfill(4), str(n)) for n in names.tolist()], index=names.index)


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
