"""The plan, from the seed alone: units of both eras and their volume weights, the crosswalk,
weak wards and incidents (the truth the tests compare the dashboard with).

Units come from the packaged reference data (ingest.admin_units.province_layout("79")):
until 30 June 2025 the former layout (old HCMC's 22 districts and 273 wards, and the former
provinces Bình Dương and Bà Rịa–Vũng Tàu with their own districts and wards: 442 former
commune-level units), from 1 July 2025 the 168 units directly under the city. City
departments of both eras come from the catalogue (departments, departments_current).

A former unit's service continues in its "successor": the new unit of its main crosswalk
link (the only one for a whole link; for a ward split between units, the largest of them
by official area). A new unit's volume is what its former wards, and its share of their
districts' one-stop shops, handled; officers and planted weaknesses follow the same links.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from domain import vocab
from domain.units import unit_key
from demo.days import _months, default_end, last_complete_month
from demo.catalogue import DEPARTMENTS, DEPARTMENTS_CURRENT, PROCEDURES, PROCEDURES_ENDED
from demo.model import Anomaly, CITY_CODE, CURRENT, DEFAULT_START, DemoDataError, FORMER, N_INCIDENTS, N_WEAK_WARDS
from ingest.admin_units import FORMER_UNTIL, REFORM_DATE, UNIT_COLUMNS, province_layout

# --- plan: units, weights, anomalies (depends on the seed only, plus months for incidents) --

# Share of the former provinces' commune-level volume (about their population shares).
PROVINCE_SHARE = {"79": 0.70, "74": 0.20, "77": 0.10}


@functools.lru_cache(maxsize=1)
def _layout():
    try:
        return province_layout(CITY_CODE)
    except Exception as error:  # the package missing or unreadable: the demo cannot start
        raise DemoDataError(f"the HCMC reference layout cannot be read: {error}") from error


@dataclass
class _Plan:
    # UNIT_COLUMNS, plus: weight_former / weight_current (share of the era's dossiers, 0 when
    # the unit receives none then), pool (procedure pool: "ward", "district" or a department
    # suffix), commune (a former commune-level unit: wards and Côn Đảo).
    units: pd.DataFrame
    lineage: pd.DataFrame  # LINEAGE_COLUMNS, in unit keys
    successor: np.ndarray  # per unit position: where its service continues from the reform, -1
    weak: np.ndarray  # former unit positions
    incident_units: np.ndarray  # former unit positions, in incident order
    seed: int

    def weights(self, era: str) -> np.ndarray:
        return self.units[f"weight_{era}"].to_numpy()


def era_of(day: date) -> str:
    return FORMER if day < REFORM_DATE else CURRENT


def _departments(taken: set[str]) -> tuple[list[tuple], list[tuple]]:
    """Department unit rows of both eras and their links. A department whose only
    predecessor is itself, under the same name, is one unit in force in both eras."""
    former_names = {code: name for code, name, _ in DEPARTMENTS}
    unchanged = {code for code, name, sources in DEPARTMENTS_CURRENT if sources == (code,) and former_names.get(code) == name}
    rows, new_keys = [], {}
    for code, name, _sources in DEPARTMENTS_CURRENT:  # today's first: they keep the bare codes
        gso = f"{CITY_CODE}.{code}"
        valid_from = None if code in unchanged else REFORM_DATE
        key = unit_key(gso, valid_from, None, taken)
        taken.add(key)
        new_keys[code] = key
        rows.append((key, gso, name, vocab.DEPARTMENT, CITY_CODE, None, None, None, valid_from, None))
    old_keys = {}
    for code, name, _share in DEPARTMENTS:
        if code in unchanged:
            old_keys[code] = new_keys[code]
            continue
        gso = f"{CITY_CODE}.{code}"
        key = unit_key(gso, None, FORMER_UNTIL, taken)
        taken.add(key)
        old_keys[code] = key
        rows.append((key, gso, name, vocab.DEPARTMENT, CITY_CODE, None, None, None, None, FORMER_UNTIL))
    links = []
    for code, _name, sources in DEPARTMENTS_CURRENT:
        if code in unchanged:
            continue
        kind = "merge" if len(sources) > 1 else "rename"
        links += [(old_keys[s], new_keys[code], REFORM_DATE, kind, True, None) for s in sources]
    return rows, links


@functools.lru_cache(maxsize=8)
def _plan(seed: int) -> _Plan:
    layout = _layout()
    taken = set(layout.units["code"])
    dept_rows, dept_links = _departments(taken)
    units = pd.concat([layout.units, pd.DataFrame(dept_rows, columns=UNIT_COLUMNS)], ignore_index=True)
    lineage = pd.concat([layout.lineage, pd.DataFrame(dept_links, columns=layout.lineage.columns)], ignore_index=True)
    n = len(units)
    codes = units["code"].to_numpy()
    pos = {code: i for i, code in enumerate(codes)}
    level = units["level"].to_numpy()
    parent = units["parent_code"].to_numpy()
    former = units["valid_to"].notna().to_numpy()
    current = units["valid_to"].isna().to_numpy()
    has_children = np.isin(codes, parent[pd.notna(parent)])
    commune = former & ((level == vocab.WARD) | ((level == vocab.DISTRICT) & ~has_children))  # Côn Đảo: no wards
    district = former & (level == vocab.DISTRICT) & has_children
    province_of = {}  # former unit key -> its former province's code
    for i in np.flatnonzero(former & (level != vocab.CITY) & (level != vocab.DEPARTMENT)):
        up = parent[i]
        while pd.notna(parent[pos[up]]):
            up = parent[pos[up]]
        province_of[i] = up

    # Former commune-level units: lognormal sizes over two orders of magnitude; rural
    # outskirts, Cần Giờ and the islands small; each former province its share.
    rng = np.random.default_rng([seed, 1])
    commune_idx = np.flatnonzero(commune)
    w = rng.lognormal(0.0, 0.8, len(commune_idx))
    up = parent[commune_idx]
    w *= np.where(up == "787", 0.12, 1.0)  # Huyện Cần Giờ
    w *= np.where(np.isin(up, ["783", "785", "786"]), 0.8, 1.0)
    names = units["name"].to_numpy()[commune_idx]
    w *= np.where(np.isin(names, ["Xã Thạnh An", "Huyện Côn Đảo"]), 0.3, 1.0)  # island communes
    province = np.array([province_of[i] for i in commune_idx])
    for code, share in PROVINCE_SHARE.items():
        mask = province == code
        w[mask] = share * w[mask] / w[mask].sum()
    weight_former = np.zeros(n)
    weight_former[commune_idx] = 0.55 * w
    district_idx = np.flatnonzero(district)
    dw = np.array([weight_former[parent == codes[i]].sum() for i in district_idx]) ** 0.9
    dw *= rng.lognormal(0, 0.25, len(district_idx))
    weight_former[district_idx] = 0.30 * dw / dw.sum()
    former_dept = {code: share for code, _, share in DEPARTMENTS}
    dept_former_idx = np.array([pos[k] for k in codes[(level == vocab.DEPARTMENT) & (former | units["valid_from"].isna().to_numpy())]])
    shares = np.array([former_dept[units["gso_code"].iat[i].split(".", 1)[1]] for i in dept_former_idx], dtype=float)
    weight_former[dept_former_idx] = 0.15 * shares / shares.sum()

    # Successors: the main crosswalk link of every former unit (and a department its new one).
    area = units["area_km2"].to_numpy(dtype=float)
    successor = np.full(n, -1)
    links = lineage[lineage["new_code"].map(pos).map(lambda j: current[j]) & lineage["old_code"].map(pos).map(lambda i: former[i])]
    for old, group in links.groupby("old_code", sort=False):
        targets = group["new_code"].map(pos).to_numpy()
        successor[pos[old]] = targets[np.argmax(np.nan_to_num(area[targets], nan=0.0))] if len(targets) > 1 else targets[0]
    # Unchanged departments continue in themselves.
    both = (level == vocab.DEPARTMENT) & units["valid_from"].isna().to_numpy() & current
    successor[both] = np.flatnonzero(both)

    # Today's units: the volume of what they took over. A split ward's volume is shared
    # evenly by its new units; a district's one-stop shop's goes where its wards went.
    weight_current = np.zeros(n)
    ward_links = links[links["old_code"].map(pos).isin(commune_idx)]
    n_targets = ward_links.groupby("old_code")["new_code"].transform("size").to_numpy()
    old_pos, new_pos = ward_links["old_code"].map(pos).to_numpy(), ward_links["new_code"].map(pos).to_numpy()
    np.add.at(weight_current, new_pos, weight_former[old_pos] / n_targets)
    ward_district = np.array([pos.get(p, -1) if pd.notna(p) else -1 for p in parent[old_pos]])
    for d in district_idx:
        mask = ward_district == d
        share = weight_former[old_pos[mask]] / n_targets[mask]
        np.add.at(weight_current, new_pos[mask], weight_former[d] * share / share.sum())
    ended = {p[7] for p in PROCEDURES if p[0] in PROCEDURES_ENDED}
    ended_share = {
        dept: sum(p[4] for p in PROCEDURES if p[7] == dept and p[0] in PROCEDURES_ENDED) / sum(p[4] for p in PROCEDURES if p[7] == dept) for dept in ended
    }
    for i in dept_former_idx:
        suffix = units["gso_code"].iat[i].split(".", 1)[1]
        weight_current[successor[i]] += weight_former[i] * (1 - ended_share.get(suffix, 0.0))
    weight_current /= weight_current.sum()
    units["weight_former"], units["weight_current"] = weight_former, weight_current
    units["pool"] = np.where(level == vocab.DEPARTMENT, units["gso_code"].str.split(".").str[-1], np.where(commune, vocab.WARD, level))
    units["commune"] = commune

    # Anomalies among the larger former wards of old HCMC (top 35 % by volume), so they show
    # in the data; no two share a successor, so each continues in a unit of its own.
    rng_a = np.random.default_rng([seed, 2])
    hcmc = commune_idx[(province == CITY_CODE) & (level[commune_idx] == vocab.WARD)]
    order = hcmc[np.argsort(-weight_former[hcmc], kind="stable")]
    candidates = rng_a.permutation(np.sort(order[: int(len(order) * 0.35)]))
    picked, seen = [], set()
    for i in candidates:
        if successor[i] >= 0 and successor[i] not in seen:
            picked.append(i)
            seen.add(successor[i])
        if len(picked) == N_WEAK_WARDS + N_INCIDENTS:
            break
    picked = np.array(picked)
    return _Plan(units, lineage, successor, picked[:N_WEAK_WARDS], picked[N_WEAK_WARDS:], seed)


def ward_weights(seed: int = 42, era: str = CURRENT) -> pd.Series:
    """Relative dossier volume of each ward in force in `era` (its share of the era's
    dossiers), indexed by unit key."""
    plan = _plan(seed)
    units = plan.units
    wards = units[(units["level"] == vocab.WARD) & (units[f"weight_{era}"] > 0)]
    return pd.Series(wards[f"weight_{era}"].to_numpy(), index=wards["code"].to_numpy(), name="weight")


def incidents(seed: int = 42, start: date = DEFAULT_START, end: date | None = None) -> list[Anomaly]:
    """The weak wards and incidents `generate` plants for this seed and range (the truth for tests).

    Weak wards: satisfaction clearly lower (about 95-97 % before the reform; since, with the
    city at about 99.7 %, a point or two below it) and on-time lower, every month.
    Incidents: a ward whose service drops for 1-2 months, then recovers: satisfaction falls
    several points ("satisfaction_drop"), on-time falls to about 85 % with a growing overdue
    backlog ("timeliness_drop"), or both. The first incident always covers the latest
    complete month of the range.

    The planted wards are former wards; from 1 July 2025 their service continues in their
    successor (today's unit of their main crosswalk link): a weak ward is weak there too,
    and an incident in a month since the reform is the successor's. So each entry names the
    unit in force in its months: a weak ward of a range across the reform gives two entries
    (the former ward until June 2025, its successor from July), weak entries first.
    """
    end = end or default_end()
    plan = _plan(seed)
    units = plan.units
    months = _months(start, end)
    latest = last_complete_month(end)
    latest_idx = months.index(latest) if latest in months else len(months) - 1
    rng = np.random.default_rng([seed, 3, len(months), months[0].toordinal()])

    def entries(unit: int, kind: str, chosen) -> list[Anomaly]:
        out = []
        for era, position in ((FORMER, unit), (CURRENT, plan.successor[unit])):
            in_era = tuple(m for m in chosen if era_of(m) == era)
            if in_era:
                out.append(Anomaly(units["code"].iat[position], units["name"].iat[position], kind, in_era))
        return out

    out = [a for i in plan.weak for a in entries(i, "weak_ward", months)]
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
        out += entries(unit, kinds[k % len(kinds)], chosen)
    return out
