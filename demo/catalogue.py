"""The demo city's catalogue, read from catalogue.toml into the shapes the simulation uses."""

from __future__ import annotations

import tomllib
from pathlib import Path

with (Path(__file__).resolve().parent / "catalogue.toml").open("rb") as _handle:
    _raw = tomllib.load(_handle)


def _keyed_by_year(table: dict) -> dict[int, float]:
    return {int(year): value for year, value in table.items()}


TET = {int(year): day for year, day in _raw["calendar"]["tet"].items()}
FIXED_HOLIDAYS = tuple(_raw["calendar"]["fixed_holidays"])
COVID_LOCKDOWN = tuple(_raw["calendar"]["covid_lockdown"])

_shares = _raw["shares"]
ONLINE_SHARE = _keyed_by_year(_shares["online"])
DIGITISED_SHARE = _keyed_by_year(_shares["digitised"])
PAID_ONLINE_SHARE = _keyed_by_year(_shares["paid_online"])
ELECTRONIC_RETURN_SHARE = _keyed_by_year(_shares["electronic_return"])
ACCEPTED_LATE_SHARE = _keyed_by_year(_shares["accepted_late"])

CALIBRATION = {kind: tuple(shares) for kind, shares in _raw["ratings"]["calibration"].items()}
CALIBRATION_SINCE_REFORM = {kind: tuple(shares) for kind, shares in _raw["ratings"]["calibration_since_reform"].items()}
VERY_SATISFIED_SHARE = dict(_raw["ratings"]["very_satisfied_share"])
COUNTER_CHANNELS = tuple(_raw["ratings"]["counter_channels"])

_catalogue = _raw["catalogue"]
# (code suffix, name, share of department volume)
DEPARTMENTS = [(d["code"], d["name"], d["share"]) for d in _catalogue["departments"]]
# (code, Vietnamese, English, late probability, P(one supplement), P(two or more), officer group)
FIELDS = [(f["code"], f["vi"], f["en"], f["late"], f["one_supplement"], f["two_or_more"], f["group"]) for f in _catalogue["fields"]]
# (name, field, legal working days, level, volume weight, online affinity, has fee, department)
PROCEDURES = [
    (p["name"], p["field"], p["days"], p["level"], p["weight"], p["online_affinity"], p["fee"], p.get("department")) for p in _catalogue["procedures"]
]

GROUPS = ("tp", "dc", "xh", "kt")
TITLES = {(level, group): title for level, by_group in _raw["titles"].items() for group, title in by_group.items()}

_names = _raw["names"]
FAMILY_NAMES = [(name, weight) for name, weight in _names["family"]]
MIDDLE_MALE, MIDDLE_FEMALE = _names["middle_male"], _names["middle_female"]
GIVEN_MALE, GIVEN_FEMALE = _names["given_male"], _names["given_female"]

REASONS = _raw["reasons"]["all"]
LATE_REASON = _raw["reasons"]["late"]
# Departments from 1 July 2025: (code suffix, name, former departments it took over).
DEPARTMENTS_CURRENT = [(d["code"], d["name"], tuple(d["from"])) for d in _catalogue["departments_current"]]
PROCEDURES_ENDED = frozenset(_catalogue["procedures_ended"])
