"""The service index scoreboard of every unit (departments, districts, communes/wards) for a
week, month, quarter or year: score out of 100, named band, change since the previous period
and the weakest components, in the style of the city's weekly publication (Decision 766).

Pure pandas over the per-unit count frames of data_access.queries.kpi_counts(by_unit=True):
each unit's OWN counts (not its subtree), as the city scores each receiving office.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from i18n.text import pick

from metrics import kpis, periods
from metrics import service_index as si

LEVELS = ("department", "district", "ward")  # the units the city scores (not the city itself)
TARGET_KPIS = ("satisfaction_rate", "on_time_rate", "online_share")  # the city's 2026 targets
WEAKEST = 2


def supported_groups(version=None) -> list[si.Group]:
    return [g for g in si.get_version(version).groups if g.supported]


def scoreboard(now: pd.DataFrame, before: pd.DataFrame, units: pd.DataFrame, version=None, lang: str = "vi", levels=LEVELS) -> pd.DataFrame:
    """One row per unit of `levels`, best first: unit_code, name, level, score, band, band_label,
    previous, change (NaN when either score is missing), max_possible (the weights of the groups
    the unit's data could compute), complete (every supported group computed), rank (1 = best,
    ties share; only complete units are ranked), weakest
    (labels of the groups furthest below full points), <group>_points and <group>_max, and the
    target KPIs' values. Units with no data are listed last with no score."""
    v = si.get_version(version)
    listed = units[units["level"].isin(levels)][["code", "name", "level"]].rename(columns={"code": "unit_code"})
    current = si.compute_index(listed[["unit_code"]].merge(now, on="unit_code", how="left").fillna(0), v)
    previous = si.compute_index(listed[["unit_code"]].merge(before, on="unit_code", how="left").fillna(0), v)
    out = listed.reset_index(drop=True)
    out["score"] = current["score_100"].to_numpy()
    out["max_possible"] = current["max_possible"].to_numpy()
    out["previous"] = previous["score_100"].to_numpy()
    out["change"] = out["score"] - out["previous"]
    bands = [v.band_of(s) for s in out["score"]]
    out["band"] = [b.id if b else None for b in bands]
    out["band_label"] = [b.label(lang) if b else None for b in bands]
    groups = supported_groups(v)
    for g in groups:
        out[f"{g.id}_points"] = current[f"{g.id}_points"].to_numpy()
        out[f"{g.id}_max"] = current[f"{g.id}_max"].to_numpy()
    out["weakest"] = [weakest_groups(row, groups, lang) for row in out.to_dict("records")]
    counts = listed[["unit_code"]].merge(now, on="unit_code", how="left").fillna(0)
    for kpi_id in TARGET_KPIS:
        out[kpi_id] = kpis.value(counts, kpi_id).to_numpy()
    out["received"], out["ratings"] = counts["received"].to_numpy(), counts["ratings"].to_numpy()
    # Ranked only against the full computable maximum: a unit scored on one group out of
    # five (no ratings and no finished dossiers that week) is shown, not ranked.
    full = sum(g.weight for g in groups)
    out["complete"] = out["max_possible"] >= full - 1e-9
    out["rank"] = out["score"].where(out["complete"]).rank(ascending=False, method="min")
    return out.sort_values(["complete", "score", "name"], ascending=[False, False, True], na_position="last", kind="mergesort").reset_index(drop=True)


def weakest_groups(row: dict, groups: list[si.Group], lang: str = "vi", n: int = WEAKEST) -> str:
    """The n groups with the smallest share of their points, among those short of full points."""
    shares = []
    for g in groups:
        top = row.get(f"{g.id}_max")
        if top is None or pd.isna(top) or top <= 0:
            continue
        share = row[f"{g.id}_points"] / top
        if share < 0.999:
            shares.append((share, g.label(lang)))
    return ", ".join(label for _, label in sorted(shares)[:n])


def overall(now_total: pd.DataFrame, version=None) -> tuple[float, si.Band | None]:
    """The score of a whole scope (one row of summed counts) and its band."""
    v = si.get_version(version)
    score = float(si.compute_index(now_total, v)["score_100"].iloc[0]) if len(now_total) else np.nan
    return score, v.band_of(score)


def band_counts(board: pd.DataFrame, version=None, lang: str = "vi") -> list[tuple[str, int]]:
    """(band label, number of units) in band order, plus units without a score."""
    v = si.get_version(version)
    out = [(b.label(lang), int((board["band"] == b.id).sum())) for b in v.bands]
    missing = int(board["band"].isna().sum())
    if missing:
        out.append((pick(lang, "Chưa có số liệu", "No data"), missing))
    return out


def scoreboard_week(period: periods.Period) -> periods.Period:
    """The week a pack shows: the period itself when it is a week, else the last whole ISO
    week that ends inside it."""
    if period.kind == "week":
        return period
    week = periods.period_of(period.end, "week")
    return week if week.end <= period.end else periods.previous_period(week)
