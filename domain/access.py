"""Who may read what: the access rules every query in data_access applies before building SQL.

Pure Python over the unit tree (a DataFrame with code, level, parent_code); no SQL, no
Streamlit. The rules, exactly:

* A `Viewer` is a signed-in person (or `SYSTEM`, the command line and scheduled reports).
  Roles: city_leader, area_leader, ward_chair, department_head, admin (and "system"); the
  district_chair of a city still on three tiers (after a reform it is carried over to
  area_leader by migration 0011).
* Full access (`own_codes` is None): city_leader, admin, system. Everything, in full.
* Restricted: ward_chair (their phường/xã in force), district_chair (their district),
  department_head (their department): their *own* units are their unit and everything below
  it. area_leader: their account's unit is a former district or province, an *area* of
  today's units (domain.units.area_members: the units in force that mostly came from it);
  their own units are those units and everything below them. An account with no unit, a unit
  that does not fit the role (`role_unit_problem`), or an unknown role owns nothing (secure
  default).
* Detail reads - officers, dossier lists, dissatisfied reasons, the breakdown by procedure,
  commitments - read only own units: `detail_codes` intersects the requested codes with
  the own ones, and raises `OutOfScope` when nothing is left (None = "all I may see").
* Counts from the summary tables (`summary_scope`) may also cover units outside the own
  subtree, but only as *aggregates*: the units right under the city (districts and
  departments) - each counted as a whole - and the city as a whole. A request for part of
  another district (one of its wards) is dropped, and `OutOfScope` is raised when nothing
  of the request is left. Rows per unit outside the own subtree are summed into the
  district (or department) they belong to (`fold_rows`), so a district chair sees other
  districts in the city's ranking and map, never their wards.
* Former units (unit versions, the crosswalk `lineage`: old_code -> new_code): a viewer's own
  units also include their own former units, so the history of a unit reaches back across
  a reform: a former unit with nothing under it (a former ward, a former department) that
  went wholly or in part into an own unit, and any former unit all of whose links go into
  own units. A former district only partly in one's unit is not one's own: its other wards
  went elsewhere. Other former units are like any unit outside one's scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd

from domain import units as unit_tree
from domain.errors import UserFacingError
from i18n.text import pick

CITY_LEADER = "city_leader"
AREA_LEADER = "area_leader"
WARD_CHAIR = "ward_chair"
DISTRICT_CHAIR = "district_chair"
DEPARTMENT_HEAD = "department_head"
ADMIN = "admin"
SYSTEM_ROLE = "system"

ROLES = {
    CITY_LEADER: ("Lãnh đạo thành phố", "City leader"),
    AREA_LEADER: ("Lãnh đạo phụ trách khu vực", "Area leader"),
    WARD_CHAIR: ("Chủ tịch UBND phường/xã", "Ward/commune chair"),
    DEPARTMENT_HEAD: ("Thủ trưởng sở, ban, ngành", "Department head"),
    ADMIN: ("Quản trị viên", "Administrator"),
    # A city still on three tiers (no reform in its crosswalk); after July 2025: area_leader.
    DISTRICT_CHAIR: ("Chủ tịch quận/huyện", "District chair"),
}
FULL_ACCESS_ROLES = frozenset({CITY_LEADER, ADMIN, SYSTEM_ROLE})
# The levels of the unit an account of the role must be attached to (None: no unit);
# `role_unit_problem` adds what a level alone cannot say (in force, an area).
UNIT_LEVEL_OF_ROLE = {
    CITY_LEADER: None,
    AREA_LEADER: ("district", "city"),  # a former district or former province
    WARD_CHAIR: ("ward",),
    DISTRICT_CHAIR: ("district",),
    DEPARTMENT_HEAD: ("department",),
    ADMIN: None,
}


@dataclass(frozen=True)
class Viewer:
    username: str
    role: str
    unit_code: str | None = None
    display_name: str = ""

    @property
    def full_access(self) -> bool:
        return self.role in FULL_ACCESS_ROLES

    @property
    def can_admin(self) -> bool:
        """Loads data and manages accounts."""
        return self.role in (ADMIN, SYSTEM_ROLE)

    def scope_key(self) -> tuple[str, str | None]:
        """What the access rules depend on (and what caches of query results are keyed by):
        every full-access viewer shares one key; a restricted one is its role and unit."""
        return ("all", None) if self.full_access else (self.role, self.unit_code)

    def role_label(self, lang: str = "vi") -> str:
        vi, en = ROLES.get(self.role, (self.role, self.role))
        return pick(lang, vi, en)


SYSTEM = Viewer("system", SYSTEM_ROLE, None, "System")


def viewer_for_scope(scope_key: tuple[str, str | None]) -> Viewer:
    """A viewer with exactly the access of `scope_key` (for cached loaders keyed by it)."""
    role, unit = scope_key
    return SYSTEM if role == "all" else Viewer("scope", role, unit, "")


class OutOfScope(UserFacingError, PermissionError):
    """The request names units outside the viewer's scope; nothing was read."""

    vi = "Đơn vị này nằm ngoài phạm vi của bạn: không có số liệu nào được hiển thị."
    en = "This unit is outside your scope: no figures are shown."
    icon = ":material/lock:"
    hint = (
        "Phạm vi của bạn do quản trị viên cấp; hãy chọn đơn vị trong phạm vi ở thanh bên.",
        "Your scope is set by an administrator; pick a unit within it in the sidebar.",
    )


def require_viewer(viewer) -> Viewer:
    """The viewer itself; TypeError when a caller passed anything else (or forgot it)."""
    if not isinstance(viewer, Viewer):
        raise TypeError(f"a domain.access.Viewer is required, not {type(viewer).__name__}")
    return viewer


# --- the unit tree (one walker: domain/units.py) -------------------------------------------


def subtree(units: pd.DataFrame, code: str) -> frozenset:
    return frozenset(unit_tree.subtree_codes(units, code))


def aggregate_groups(units: pd.DataFrame) -> dict[str, str]:
    """For every unit, the aggregate it is shown as outside one's scope: the unit right under
    the root it belongs to (its district or department); the root stands for itself."""
    parent_of = unit_tree.parent_links(units)
    groups = {}
    for code in parent_of:
        chain = unit_tree.ancestors(units, code, parent_of)  # from the root down
        groups[code] = chain[1] if len(chain) >= 2 else chain[0]
    return groups


# --- the rules ---------------------------------------------------------------------------------


def with_former_units(own: frozenset, units: pd.DataFrame, lineage: pd.DataFrame | None) -> frozenset:
    """`own` and the former units that are the viewer's too (module docstring), across any
    number of reforms."""
    if lineage is None or lineage.empty or not own:
        return own
    has_children = set(units["parent_code"].dropna().astype(str))
    targets: dict[str, set] = {}
    for old, new in zip(lineage["old_code"].astype(str), lineage["new_code"].astype(str)):
        targets.setdefault(old, set()).add(new)
    result = set(own)
    grew = True
    while grew:
        grew = False
        for old, new in targets.items():
            if old not in result and new & result and (old not in has_children or new <= result):
                result.add(old)
                grew = True
    return frozenset(result)


def areas_of(units: pd.DataFrame, lineage: pd.DataFrame | None) -> dict[str, tuple[str, ...]]:
    """Former district or province -> the units with no end (today's) that mostly came from it
    (domain.units.area_members); empty without a crosswalk."""
    if lineage is None or lineage.empty:
        return {}
    links = lineage
    for column, default in (("whole", True), ("weight", None)):  # a bare old->new crosswalk
        if column not in links:
            links = links.assign(**{column: default})
    unit_columns = [c for c in ("code", "level", "parent_code", "valid_to", "area_km2") if c in units]
    link_columns = ["old_code", "new_code", "whole", "weight"]
    # Every restricted query asks again (area leaders' scope); the geography rarely changes.
    key = (
        int(pd.util.hash_pandas_object(units[unit_columns].astype(str), index=False).sum()),
        int(pd.util.hash_pandas_object(links[link_columns].astype(str), index=False).sum()),
        len(units),
        len(links),
    )
    if key not in _areas_cache:
        today = units["code"] if "valid_to" not in units else units.loc[units["valid_to"].isna(), "code"]
        if len(_areas_cache) >= 8:
            _areas_cache.clear()
        _areas_cache[key] = unit_tree.area_members(units, links, set(today.astype(str)))
    return _areas_cache[key]


_areas_cache: dict = {}


def role_unit_problem(role: str, unit_code: str | None, units: pd.DataFrame, lineage: pd.DataFrame | None = None, *, new_account: bool = True) -> str | None:
    """Why `unit_code` cannot be the unit of a `role` account (None: it fits). A new account
    needs a unit in force (an area leader: a former district or province that is an area of
    today's units, `areas_of`); `new_account=False` (reading an existing account's scope)
    checks the level and the area only, so an account is not locked out when its unit ends."""
    if role not in UNIT_LEVEL_OF_ROLE:
        return f"unknown role {role!r}; one of: {', '.join(ROLES)}"
    levels = UNIT_LEVEL_OF_ROLE[role]
    if levels is None:
        return f"a {role} account has no unit" if unit_code else None
    wanted = " or ".join(levels)
    if not unit_code:
        return f"a {role} account needs a unit: the code of a {wanted}"
    row = units[units["code"].astype(str) == str(unit_code)]
    if row.empty:
        return f"there is no unit with code {unit_code!r}"
    level = str(row["level"].iloc[0])
    if level not in levels:
        return f"unit {unit_code} is a {level}; a {role} account needs a {wanted}"
    if role == AREA_LEADER:
        if unit_code not in areas_of(units, lineage):
            return (
                f"unit {unit_code} is not an area of today's units (a former district or province that today's units came from); "
                "load the crosswalk first: python -m data_access.reference init --province CODE"
            )
        return None
    ended = row["valid_to"].iloc[0] if "valid_to" in row else None
    if new_account and ended is not None and not pd.isna(ended):
        hint = f"; its leader is an {AREA_LEADER}" if role == DISTRICT_CHAIR else ""
        return f"unit {unit_code} ended on {pd.Timestamp(ended).date().isoformat()}; a {role} account needs a unit in force{hint}"
    return None


def own_codes(viewer: Viewer, units: pd.DataFrame, lineage: pd.DataFrame | None = None) -> frozenset | None:
    """The units the viewer sees in full (None: every unit); with the crosswalk `lineage`
    (old_code, new_code), their own former units too. An area leader needs the crosswalk and
    every unit version (units with valid_to) to know their area."""
    require_viewer(viewer)
    if viewer.full_access:
        return None
    if viewer.role not in UNIT_LEVEL_OF_ROLE or role_unit_problem(viewer.role, viewer.unit_code, units, lineage, new_account=False):
        return frozenset()
    if UNIT_LEVEL_OF_ROLE[viewer.role] is None:
        return frozenset()
    tops = areas_of(units, lineage)[viewer.unit_code] if viewer.role == AREA_LEADER else (viewer.unit_code,)
    own = frozenset().union(*(subtree(units, code) for code in tops))
    return with_former_units(own, units, lineage)


def in_scope(viewer: Viewer, units: pd.DataFrame, code: str, lineage: pd.DataFrame | None = None) -> bool:
    own = own_codes(viewer, units, lineage)
    return own is None or str(code) in own


def require_unit(viewer: Viewer, units: pd.DataFrame, code: str, lineage: pd.DataFrame | None = None) -> None:
    """Raise OutOfScope unless the viewer sees `code` in full."""
    if not in_scope(viewer, units, code, lineage):
        raise OutOfScope()


def detail_codes(viewer: Viewer, units: pd.DataFrame, requested: Sequence[str] | None, lineage: pd.DataFrame | None = None) -> tuple | None:
    """The codes a detail query may read: the requested ones inside the viewer's own units
    (requested None: all of them). None means no restriction at all. OutOfScope when the
    request names units and none of them is the viewer's."""
    own = own_codes(viewer, units, lineage)
    if own is None:
        return None if requested is None else tuple(str(c) for c in requested)
    if requested is None:
        allowed = sorted(own)
    else:
        requested = [str(c) for c in requested]
        if not requested:
            return ()
        allowed = sorted({c for c in requested if c in own})
    if not allowed:
        raise OutOfScope()
    return tuple(allowed)


@dataclass(frozen=True)
class SummaryScope:
    codes: tuple | None  # what the SQL reads (None: every unit)
    fold: dict | None  # unit code -> the aggregate its rows are shown as (None: nothing folded)


def summary_scope(viewer: Viewer, units: pd.DataFrame, requested: Sequence[str] | None, lineage: pd.DataFrame | None = None) -> SummaryScope:
    """The codes a count query may read, and how its per-unit rows must be folded (see the
    module docstring). OutOfScope when the request names units and none may be read."""
    own = own_codes(viewer, units, lineage)
    if own is None:
        return SummaryScope(None if requested is None else tuple(str(c) for c in requested), None)
    groups = aggregate_groups(units)
    fold = {code: group for code, group in groups.items() if code not in own and group != code}
    if requested is None:
        return SummaryScope(None, fold)
    requested = {str(c) for c in requested}
    if not requested:
        return SummaryScope((), fold)
    members: dict[str, set] = {}
    for code, group in groups.items():
        members.setdefault(group, set()).add(code)
    allowed = {c for c in requested if c in own or (c in groups and members[groups[c]] <= requested)}
    if not allowed:
        raise OutOfScope()
    return SummaryScope(tuple(sorted(allowed)), fold)


def fold_rows(frame: pd.DataFrame, fold: dict | None, counts: Iterable[str]) -> pd.DataFrame:
    """Sum the rows of units outside the viewer's scope into their aggregate (`fold` from
    summary_scope). Frames without a unit_code column are totals already: unchanged."""
    if not fold or "unit_code" not in frame.columns or frame.empty:
        return frame
    counts = [c for c in counts if c in frame.columns]
    if not frame["unit_code"].isin(list(fold)).any():
        return frame
    keys = [c for c in frame.columns if c not in counts]
    frame = frame.assign(unit_code=frame["unit_code"].map(lambda c: fold.get(c, c)))
    out = frame.groupby(keys, as_index=False, dropna=False, sort=False)[counts].sum()
    return out[list(frame.columns)].reset_index(drop=True)
