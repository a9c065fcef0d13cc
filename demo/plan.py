"""The plan, from the seed alone: units and their volume weights, weak wards and incidents
(the truth the tests compare the dashboard with)."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from domain import vocab
from demo.days import _months, default_end, last_complete_month
from demo.catalogue import DEPARTMENTS
from demo.model import Anomaly, CITY_CODE, CITY_NAME, DEFAULT_START, DemoDataError, N_INCIDENTS, N_WEAK_WARDS

# --- plan: units, weights, anomalies (depends on the seed only, plus months for incidents) --


@functools.lru_cache(maxsize=1)
def _hcmc_legacy() -> pd.DataFrame:
    """HCMC's 22 districts / 273 wards (pre-July-2025 layout) from vietnamadminunits."""
    # Locate the package's bundled SQLite file without importing it (its parsers load slowly).
    spec = importlib.util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise DemoDataError("the vietnamadminunits package is not installed")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "dataset.db"
    query = (
        "SELECT districtCode, district, districtLat, districtLon, wardCode, ward, wardLat, wardLon "
        "FROM admin_units_legacy WHERE provinceCode = ? ORDER BY districtCode, wardCode"
    )
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
        frame = pd.read_sql_query(query, connection, params=(CITY_CODE,))
    return frame


@dataclass
class _Plan:
    units: pd.DataFrame  # code, name, level, parent_code, lat, lon, weight (dossier volume share)
    ward_idx: np.ndarray  # positions of wards in units
    weak: np.ndarray  # unit positions
    incident_units: np.ndarray  # unit positions, in incident order
    seed: int


@functools.lru_cache(maxsize=8)
def _plan(seed: int) -> _Plan:
    geo = _hcmc_legacy()
    rng = np.random.default_rng([seed, 1])
    districts = geo.drop_duplicates("districtCode")[["districtCode", "district", "districtLat", "districtLon"]]
    rows = [(CITY_CODE, CITY_NAME, vocab.CITY, None, 10.7769, 106.7009)]
    rows += [(r.districtCode, r.district, vocab.DISTRICT, CITY_CODE, r.districtLat, r.districtLon) for r in districts.itertuples()]
    rows += [(r.wardCode, r.ward, vocab.WARD, r.districtCode, r.wardLat, r.wardLon) for r in geo.itertuples()]
    rows += [(f"{CITY_CODE}.{code}", name, vocab.DEPARTMENT, CITY_CODE, None, None) for code, name, _ in DEPARTMENTS]
    units = pd.DataFrame(rows, columns=["code", "name", "level", "parent_code", "lat", "lon"])
    level = units["level"].to_numpy()
    ward_idx = np.flatnonzero(level == vocab.WARD)
    district_idx = np.flatnonzero(level == vocab.DISTRICT)
    dept_idx = np.flatnonzero(level == vocab.DEPARTMENT)

    # Ward sizes: lognormal, two orders of magnitude; rural outskirts and Cần Giờ small.
    ward_w = rng.lognormal(0.0, 0.8, len(ward_idx))
    parent = units["parent_code"].to_numpy()[ward_idx]
    ward_w = ward_w * np.where(parent == "787", 0.12, 1.0)  # Huyện Cần Giờ
    ward_w = ward_w * np.where(np.isin(parent, ["783", "785", "786"]), 0.8, 1.0)
    names = units["name"].to_numpy()[ward_idx]
    ward_w = ward_w * np.where(names == "Xã Thạnh An", 0.3, 1.0)  # island commune
    ward_w = 0.55 * ward_w / ward_w.sum()
    district_codes = units["code"].to_numpy()[district_idx]
    district_w = np.array([ward_w[parent == code].sum() for code in district_codes]) ** 0.9
    district_w = district_w * rng.lognormal(0, 0.25, len(district_idx))
    district_w = 0.30 * district_w / district_w.sum()
    dept_w = np.array([share for _, _, share in DEPARTMENTS], dtype=float)
    dept_w = 0.15 * dept_w / dept_w.sum()
    weight = np.zeros(len(units))
    weight[ward_idx], weight[district_idx], weight[dept_idx] = ward_w, district_w, dept_w
    units["weight"] = weight

    # Anomalies among the larger wards (top 35 % by volume), so they show in the data.
    rng_a = np.random.default_rng([seed, 2])
    order = ward_idx[np.argsort(-ward_w, kind="stable")]
    candidates = np.sort(order[: int(len(order) * 0.35)])
    picked = rng_a.choice(candidates, size=N_WEAK_WARDS + N_INCIDENTS, replace=False)
    return _Plan(units, ward_idx, picked[:N_WEAK_WARDS], picked[N_WEAK_WARDS:], seed)


def ward_weights(seed: int = 42) -> pd.Series:
    """Relative dossier volume of each ward (share of all dossiers), indexed by ward code."""
    plan = _plan(seed)
    wards = plan.units.iloc[plan.ward_idx]
    return pd.Series(wards["weight"].to_numpy(), index=wards["code"].to_numpy(), name="weight")


def incidents(seed: int = 42, start: date = DEFAULT_START, end: date | None = None) -> list[Anomaly]:
    """The weak wards and incidents `generate` plants for this seed and range (the truth for tests).

    Weak wards: satisfaction clearly lower (about 95-97 %) and on-time lower, every month.
    Incidents: a ward whose service drops for 1-2 months, then recovers: satisfaction falls
    several points ("satisfaction_drop"), on-time falls to about 85 % with a growing overdue
    backlog ("timeliness_drop"), or both. The first incident always covers the latest
    complete month of the range.
    """
    end = end or default_end()
    plan = _plan(seed)
    units = plan.units
    months = _months(start, end)
    latest = last_complete_month(end)
    latest_idx = months.index(latest) if latest in months else len(months) - 1
    rng = np.random.default_rng([seed, 3, len(months), months[0].toordinal()])
    out = [
        Anomaly(units["code"].iat[i], units["name"].iat[i], "weak_ward", tuple(months)) for i in plan.weak
    ]
    kinds = ["both", "satisfaction_drop", "timeliness_drop", "satisfaction_drop", "timeliness_drop"]
    for k, unit in enumerate(plan.incident_units):
        duration = int(rng.integers(1, 3))
        if k == 0:
            first = max(0, latest_idx - duration + 1)
            chosen = months[first : latest_idx + 1]
        else:
            duration = min(duration, len(months))
            first = int(rng.integers(0, len(months) - duration + 1))
            chosen = months[first : first + duration]
        out.append(Anomaly(units["code"].iat[unit], units["name"].iat[unit], kinds[k % len(kinds)], tuple(chosen)))
    return out
