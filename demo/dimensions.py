"""Dimension rows: units, fields, procedures, officers and targets."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from domain import vocab
from demo.catalogue import FAMILY_NAMES, FIELDS, GIVEN_FEMALE, GIVEN_MALE, GROUPS, MIDDLE_FEMALE, MIDDLE_MALE, PROCEDURES, TITLES
from demo.model import DEFAULT_START, LEVEL_PREFIX
from demo.plan import _Plan

# --- dimensions -----------------------------------------------------------------------


def _dimension_frames(plan: _Plan, start: date, end: date, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    valid_from = min(DEFAULT_START, start)
    units = plan.units[["code", "name", "level", "parent_code", "lat", "lon"]].copy()
    units["valid_from"] = pd.Timestamp(valid_from)
    units["valid_to"] = pd.NaT
    fields = pd.DataFrame([(c, vi, en) for c, vi, en, *_ in FIELDS], columns=["code", "name", "name_en"])
    counters: dict[tuple[str, str], int] = {}
    proc_rows = []
    for name, field, days, level, *_ in PROCEDURES:
        key = (level, field)
        counters[key] = counters.get(key, 0) + 1
        proc_rows.append((f"{LEVEL_PREFIX[level]}.{field}.{counters[key]:02d}", name, field, days, level))
    procedures = pd.DataFrame(proc_rows, columns=["code", "name", "field_code", "legal_days", "level"])

    # Officers: 3-20 per unit depending on its size; groups cover every field family.
    weight = plan.units["weight"].to_numpy()
    level = plan.units["level"].to_numpy()
    rel = np.zeros(len(weight))
    for lev in (vocab.WARD, vocab.DISTRICT, vocab.DEPARTMENT):
        mask = level == lev
        rel[mask] = weight[mask] / weight[mask].max()
    n_officers = np.clip(np.round(3 + 17 * np.sqrt(rel)), 3, 20).astype(int)
    n_officers = np.where(level == vocab.DISTRICT, np.maximum(n_officers, 8), n_officers)
    n_officers = np.where(level == vocab.DEPARTMENT, np.maximum(n_officers, 6), n_officers)
    n_officers = np.where(level == vocab.CITY, 0, n_officers)
    family_names = [f for f, _ in FAMILY_NAMES]
    family_p = np.array([w for _, w in FAMILY_NAMES], dtype=float)
    family_p /= family_p.sum()
    rows = []
    codes = plan.units["code"].to_numpy()
    for u in np.flatnonzero(n_officers):
        lev = level[u]
        groups = ("tp", "dc", "xh") if lev == vocab.WARD else GROUPS
        for k in range(n_officers[u]):
            group = groups[k % len(groups)] if k < 2 * len(groups) else groups[int(rng.integers(len(groups)))]
            female = rng.random() < 0.55
            family = family_names[rng.choice(len(family_names), p=family_p)]
            middle = (MIDDLE_FEMALE if female else MIDDLE_MALE)[rng.integers(12)]
            given_list = GIVEN_FEMALE if female else GIVEN_MALE
            given = given_list[rng.integers(len(given_list))]
            title = TITLES[(lev, group)]
            if lev == vocab.WARD and k == 0:
                title = "Phó Chủ tịch UBND " + ("xã" if plan.units["name"].iat[u].startswith("Xã") else
                                                "thị trấn" if plan.units["name"].iat[u].startswith("Thị trấn") else "phường")
            rows.append((f"{codes[u]}.CB{k + 1:02d}", f"{family} {middle} {given}", codes[u], title, group, u))
    officers = pd.DataFrame(rows, columns=["code", "full_name", "unit_code", "title", "group", "unit_pos"])

    target_rows = []
    online_targets = {2019: 0.20, 2020: 0.25, 2021: 0.30, 2022: 0.40, 2023: 0.50, 2024: 0.60,
                      2025: 0.70, 2026: 0.80, 2027: 0.85, 2028: 0.90}
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
    return {"units": units, "fields": fields, "procedures": procedures, "officers": officers, "targets": targets}
