"""Dimension rows: units, fields, procedures, officers and targets."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from domain import vocab
from demo.catalogue import FAMILY_NAMES, FIELDS, GIVEN_FEMALE, GIVEN_MALE, GROUPS, MIDDLE_FEMALE, MIDDLE_MALE, PROCEDURES, TITLES
from demo.model import CURRENT, FORMER, LEVEL_PREFIX
from ingest.admin_units import UNIT_COLUMNS
from demo.plan import _Plan

# --- dimensions -----------------------------------------------------------------------


def _dimension_frames(plan: _Plan, start: date, end: date, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    units = plan.units[UNIT_COLUMNS].copy()
    for column in ("valid_from", "valid_to"):
        units[column] = pd.to_datetime(units[column])
    fields = pd.DataFrame([(c, vi, en) for c, vi, en, *_ in FIELDS], columns=["code", "name", "name_en"])
    counters: dict[tuple[str, str], int] = {}
    proc_rows = []
    for name, field, days, level, *_ in PROCEDURES:
        key = (level, field)
        counters[key] = counters.get(key, 0) + 1
        proc_rows.append((f"{LEVEL_PREFIX[level]}.{field}.{counters[key]:02d}", name, field, days, level))
    procedures = pd.DataFrame(proc_rows, columns=["code", "name", "field_code", "legal_days", "level"])
    officers = _officers(plan, rng)
    target_rows = []
    online_targets = {2019: 0.20, 2020: 0.25, 2021: 0.30, 2022: 0.40, 2023: 0.50, 2024: 0.60, 2025: 0.70, 2026: 0.80, 2027: 0.85, 2028: 0.90}
    for year in range(start.year, end.year + 1):
        y0, y1 = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        target_rows += [
            # The city's 2026 targets: satisfaction >= 96 %, on time >= 98 %, >= 80 % online.
            ("satisfaction_rate", None, y0, y1, 0.96 if year >= 2026 else 0.98, 0.01),
            ("on_time_rate", None, y0, y1, 0.98, 0.01),
            ("online_share", None, y0, y1, online_targets.get(year, 0.9), 0.05),
            ("apology_compliance", None, y0, y1, 1.0, 0.05),
            ("dissatisfaction_rate", None, y0, y1, 0.005, 0.0025),  # a ceiling: lower is better
        ]
    targets = pd.DataFrame(target_rows, columns=["kpi_id", "unit_code", "valid_from", "valid_to", "value", "amber_margin"])
    lineage = plan.lineage.assign(effective_date=pd.to_datetime(plan.lineage["effective_date"]), weight=plan.lineage["weight"].astype(float))
    return {"units": units, "unit_lineage": lineage, "fields": fields, "procedures": procedures, "officers": officers, "targets": targets}


def _new_officer(rng, family_names, family_p, code: str, unit_pos: int, title: str, group: str) -> tuple:
    female = rng.random() < 0.55
    family = family_names[rng.choice(len(family_names), p=family_p)]
    middle = (MIDDLE_FEMALE if female else MIDDLE_MALE)[rng.integers(12)]
    given_list = GIVEN_FEMALE if female else GIVEN_MALE
    return code, f"{family} {middle} {given_list[rng.integers(len(given_list))]}", title, group, unit_pos


def _vice_chair(name: str) -> str:
    kind = "xã" if name.startswith("Xã") else "thị trấn" if name.startswith("Thị trấn") else "đặc khu" if name.startswith("Đặc khu") else "phường"
    return f"Phó Chủ tịch UBND {kind}"


def _officers(plan: _Plan, rng: np.random.Generator) -> pd.DataFrame:
    """The officer roster of both eras: code, full_name, unit_code (where they work today, or
    their last unit if they left at the reform), title, group, and the unit positions they
    handle dossiers in before (pos_former) and since (pos_current) the reform, -1 if none.

    Codes stay with the person: a former ward's officers keep their codes and continue in
    the ward's successor from 1 July 2025 (unit_code is that unit: the roster as of today);
    a former district's one-stop shop staff go to the new units that took its wards; a few
    officers (about 4 %) left at the reform, and each new unit hired one or two (".CM").
    """
    units = plan.units
    codes, gso = units["code"].to_numpy(), units["gso_code"].to_numpy()
    level, names = units["level"].to_numpy(), units["name"].to_numpy()
    family_names = [f for f, _ in FAMILY_NAMES]
    family_p = np.array([w for _, w in FAMILY_NAMES], dtype=float)
    family_p /= family_p.sum()

    # Before the reform: 3-20 per unit depending on its size (wards: three working groups).
    weight = plan.weights(FORMER)
    rel = np.zeros(len(weight))
    for lev in (vocab.WARD, vocab.DISTRICT, vocab.DEPARTMENT):
        mask = (level == lev) & (weight > 0)
        rel[mask] = weight[mask] / weight[mask].max()
    commune = units["commune"].to_numpy()
    n_officers = np.clip(np.round(3 + 17 * np.sqrt(rel)), 3, 20).astype(int)
    n_officers = np.where((level == vocab.DISTRICT) & ~commune, np.maximum(n_officers, 8), n_officers)
    n_officers = np.where(level == vocab.DEPARTMENT, np.maximum(n_officers, 6), n_officers)
    n_officers = np.where(weight > 0, n_officers, 0)
    rows = []
    for u in np.flatnonzero(n_officers):
        lev = level[u]
        groups = ("tp", "dc", "xh") if commune[u] else GROUPS
        for k in range(n_officers[u]):
            group = groups[k % len(groups)] if k < 2 * len(groups) else groups[int(rng.integers(len(groups)))]
            title = TITLES[(vocab.WARD if commune[u] else lev, group)]
            if commune[u] and k == 0:
                title = _vice_chair(names[u])
            rows.append(_new_officer(rng, family_names, family_p, f"{gso[u]}.CB{k + 1:02d}", u, title, group))
    officers = pd.DataFrame(rows, columns=["code", "full_name", "title", "group", "pos_former"])

    # Since the reform: with the ward (its successor); district staff to the units that took
    # the district's wards, in turn; a few leave.
    successor = plan.successor
    district_targets = {}
    for d, group in plan.lineage.groupby("old_code", sort=False):
        district_targets[d] = [t for t in group["new_code"] if t in set(codes[plan.weights(CURRENT) > 0])]
    pos = {code: i for i, code in enumerate(codes)}
    pos_current = successor[officers["pos_former"].to_numpy()].copy()
    turn: dict[int, int] = {}
    for j, u in enumerate(officers["pos_former"].to_numpy()):
        if level[u] == vocab.DISTRICT and not commune[u]:
            targets = district_targets.get(codes[u], [])
            k = turn.get(u, 0)
            turn[u] = k + 1
            pos_current[j] = pos[targets[k % len(targets)]] if targets else -1
    leaves = rng.random(len(officers)) < 0.04
    pos_current = np.where(leaves | (officers["pos_former"].to_numpy() < 0), -1, pos_current)
    officers["pos_current"] = pos_current
    moved = (pos_current >= 0) & (pos_current != officers["pos_former"].to_numpy())
    new_level = np.where(pos_current >= 0, level[np.maximum(pos_current, 0)], "")
    officers.loc[moved & (new_level == vocab.WARD), "title"] = [TITLES[(vocab.WARD, g)] for g in officers.loc[moved & (new_level == vocab.WARD), "group"]]
    hires = []
    for u in np.flatnonzero(plan.weights(CURRENT) > 0):
        if units["valid_from"].iat[u] is None:  # in force in both eras: its staff stayed
            continue
        groups = ("tp", "dc", "xh", "kt") if level[u] == vocab.WARD else GROUPS
        for k in range(1 + int(rng.integers(2))):
            group = groups[int(rng.integers(len(groups)))]
            title = _vice_chair(names[u]) if (level[u] == vocab.WARD and k == 0) else TITLES[(level[u], group)]
            hires.append(_new_officer(rng, family_names, family_p, f"{gso[u]}.CM{k + 1:02d}", -1, title, group) + (u,))
    hires = pd.DataFrame(hires, columns=["code", "full_name", "title", "group", "pos_former", "pos_current"])
    officers = pd.concat([officers, hires], ignore_index=True)
    home = np.where(officers["pos_current"] >= 0, officers["pos_current"], officers["pos_former"])
    officers.insert(2, "unit_code", codes[home])
    return officers
