"""Demo processing steps for demo dossiers (demo/generate.py calls `make_steps` per chunk).

Each dossier's steps cover its processing time, one after the other, in the order of
domain/steps.toml; land and construction dossiers go through an inter-agency check. Slow
steps sit where they really are: appraisal of land dossiers, waiting for the signature,
inter-agency checks. An open dossier has steps up to the one it is in now (unfinished); an
open overdue one is stuck in a slow step that started long ago.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SLOTS = ("tiep_nhan", "phan_cong", "tham_dinh", "lien_thong", "trinh_ky", "ky_duyet", "tra_ket_qua")
BASE = np.array([0.03, 0.07, 0.42, 0.18, 0.10, 0.15, 0.05])
DEPARTMENTS = ("Bộ phận một cửa", "Lãnh đạo phòng", "Công chức chuyên môn", "Cơ quan phối hợp", "Công chức chuyên môn", "Lãnh đạo UBND", "Bộ phận một cửa")
INTER_AGENCY_FIELDS = ("DD", "XD")
TAM, LIEN, KY = 2, 3, 5  # slots of appraisal, inter-agency check, signature
STEP_DUE_MISSING = 0.1  # units whose internal procedure sets no time for a step


def make_steps(
    rng: np.random.Generator, *, codes, unit_codes, field_codes, received, due_at, finished_at, is_open, late, officer, leader, other_officer, snapshot
) -> pd.DataFrame:
    """Steps of the given dossiers (arrays of equal length; times datetime64[us])."""
    n = len(codes)
    if n == 0:
        return pd.DataFrame()
    fields = np.asarray(field_codes).astype(str)
    has = np.ones((n, len(SLOTS)), dtype=bool)
    has[:, LIEN] = np.isin(fields, INTER_AGENCY_FIELDS)
    weights = BASE * rng.gamma(4.0, 0.25, (n, len(SLOTS)))
    land = fields == "DD"
    weights[:, TAM] *= np.where(land, 1.8, 1.0)
    # A late dossier lost its time somewhere: mostly waiting for the signature, the land
    # appraisal or the other agency.
    slow = rng.choice([TAM, LIEN, KY], size=n, p=[0.35, 0.25, 0.40])
    slow = np.where((slow == LIEN) & ~has[:, LIEN], KY, slow)
    weights[np.arange(n), slow] *= np.where(late, 6.0, 1.0)
    weights = np.where(has, weights, 0.0)
    weights /= weights.sum(1, keepdims=True)

    start = received.astype("datetime64[us]").astype(np.int64)
    planned = np.maximum(due_at.astype("datetime64[us]").astype(np.int64) - start, 3_600_000_000)
    now = np.int64(np.datetime64(snapshot, "us").astype(np.int64))
    end = np.where(is_open, now, finished_at.astype("datetime64[us]").astype(np.int64))
    span = np.maximum(end - start, 60_000_000)
    bounds = start[:, None] + np.round(np.cumsum(np.concatenate([np.zeros((n, 1)), weights], 1), 1) * span[:, None]).astype(np.int64)

    # Open dossiers: in time, somewhere along the planned path; overdue, stuck in the slow step.
    overdue = is_open & (now > start + planned)
    progress = np.where(overdue, 0.0, rng.random(n) * 0.95)
    cut = np.full(n, len(SLOTS), dtype=np.int64)
    cumulative = np.cumsum(weights, 1)
    cut = np.where(is_open & ~overdue, (cumulative < progress[:, None]).sum(1), cut)
    cut = np.where(overdue, slow, cut)
    # The stuck step started after the earlier ones took a planned share of the time.
    plan_bounds = start[:, None] + np.round(np.cumsum(np.concatenate([np.zeros((n, 1)), weights], 1), 1) * planned[:, None] * 0.7).astype(np.int64)
    bounds = np.where(overdue[:, None], plan_bounds, bounds)

    slot = np.arange(len(SLOTS))[None, :]
    exists = has & (~is_open[:, None] | (slot <= cut[:, None]))
    unfinished = is_open[:, None] & (slot == cut[:, None])
    # The internal procedure gives each step its share of the legal time.
    step_due = bounds[:, :-1] + np.round(BASE[None, :] * planned[:, None]).astype(np.int64)
    no_due = rng.random((n, len(SLOTS))) < STEP_DUE_MISSING

    rows, cols = np.nonzero(exists)
    order = (np.cumsum(exists, 1) - 1)[rows, cols] + 1
    started = bounds[rows, cols]
    finished = np.where(unfinished[rows, cols], np.iinfo(np.int64).min, bounds[rows, cols + 1])
    due = np.where(no_due[rows, cols], np.iinfo(np.int64).min, step_due[rows, cols])
    who = np.where(cols == TAM, officer[rows], np.where(cols == KY, leader[rows], other_officer[rows]))
    who = np.where(cols == LIEN, None, who)  # another agency's officer: not in the officer list
    return pd.DataFrame(
        {
            "dossier_code": np.asarray(codes, dtype=object)[rows],
            "step_order": order.astype(np.int64),
            "step": np.array(SLOTS, dtype=object)[cols],
            "unit_code": np.asarray(unit_codes, dtype=object)[rows],
            "department": np.array(DEPARTMENTS, dtype=object)[cols],
            "officer_code": who,
            "started_at": started.astype("datetime64[us]"),
            "finished_at": _as_time(finished),
            "due_at": _as_time(due),
        }
    )


def _as_time(values: np.ndarray) -> np.ndarray:
    """int64 microseconds to datetime64[us], the int64 minimum (no value) to NaT."""
    return np.where(values == np.iinfo(np.int64).min, np.datetime64("NaT", "us"), values.astype("datetime64[us]"))
