"""Processing steps: their configurable names, and step durations as buckets whose sums give
medians and 90th percentiles for any group of units and months."""

from __future__ import annotations

import functools
import os
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
from i18n.text import pick

STEPS_PATH = Path(__file__).resolve().parent / "steps.toml"
STEPS_ENV_VAR = "DASHBOARD_STEPS_FILE"
# Upper edges (hours) of the duration buckets; the last bucket is open-ended.
BUCKET_HOURS = np.array([1, 2, 4, 8, 16, 24, 36, 48, 72, 96, 120, 168, 240, 360, 480, 720, 1440, 2160], dtype=float)


@functools.lru_cache(maxsize=4)
def _load(path: str) -> dict[str, tuple[str, str]]:
    with open(path, "rb") as handle:
        raw = tomllib.load(handle)
    return {code: (names["vi"], names.get("en", names["vi"])) for code, names in raw["steps"].items()}


def step_names() -> dict[str, tuple[str, str]]:
    """code -> (Vietnamese name, English name), in the usual order."""
    return _load(os.environ.get(STEPS_ENV_VAR) or str(STEPS_PATH))


def step_label(code: str, lang: str = "vi") -> str:
    vi, en = step_names().get(code, (code, code))
    return pick(lang, vi, en)


def bucket_of(hours) -> np.ndarray:
    return np.searchsorted(BUCKET_HOURS, np.asarray(hours, dtype=float), side="left").astype(np.int64)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    low = 0.0 if bucket == 0 else float(BUCKET_HOURS[bucket - 1])
    high = float(BUCKET_HOURS[bucket]) if bucket < len(BUCKET_HOURS) else low * 1.5
    return low, high


def quantile_from_buckets(counts: pd.Series, q: float) -> float:
    """The q-quantile (hours) of durations given as counts per bucket (index = bucket),
    linear inside the bucket that holds it. NaN when there is nothing."""
    counts = counts[counts > 0].sort_index()
    total = counts.sum()
    if total <= 0:
        return float("nan")
    target = q * total
    cumulative = 0.0
    for bucket, count in counts.items():
        if cumulative + count >= target:
            low, high = bucket_bounds(int(bucket))
            return low + (high - low) * (target - cumulative) / count
        cumulative += count
    return bucket_bounds(int(counts.index[-1]))[1]
