"""Working days of state offices: Monday to Friday, less the public holidays.

Holidays are data, not code (Tết and the Hùng Kings' day move every year): one CSV of
`day,name` rows, `domain/holidays_vn.csv` unless DASHBOARD_HOLIDAYS_FILE names another.
Lines starting with # are comments.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import pandas as pd

HOLIDAYS_PATH = Path(__file__).resolve().parent / "holidays_vn.csv"
HOLIDAYS_ENV_VAR = "DASHBOARD_HOLIDAYS_FILE"
WEEKMASK = "1111100"


def holidays_path() -> Path:
    return Path(os.environ.get(HOLIDAYS_ENV_VAR) or HOLIDAYS_PATH)


@functools.lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> np.ndarray:
    frame = pd.read_csv(path, comment="#", dtype=str, encoding="utf-8")
    days = pd.to_datetime(frame["day"].str.strip(), format="%Y-%m-%d")
    return np.unique(days.to_numpy().astype("datetime64[D]"))


def holidays() -> np.ndarray:
    """The configured holidays (datetime64[D], sorted)."""
    path = holidays_path()
    return _read(str(path), path.stat().st_mtime)


def _days(values) -> tuple[np.ndarray, np.ndarray]:
    days = pd.to_datetime(pd.Series(values)).dt.normalize().to_numpy().astype("datetime64[D]")
    missing = np.isnat(days)
    return np.where(missing, np.datetime64("2000-01-01"), days), missing


def working_days_between(start, end) -> pd.Series:
    """Working days in [start's day, end's day): 0 when both fall on the same day; NaN where
    either is missing; negative when end is before start."""
    a, missing_a = _days(start)
    b, missing_b = _days(end)
    counts = np.busday_count(a, b, weekmask=WEEKMASK, holidays=holidays()).astype("float64")
    counts[missing_a | missing_b] = np.nan
    index = start.index if isinstance(start, pd.Series) else None
    return pd.Series(counts, index=index)


def calendar_frame(first: str = "2000-01-01", last: str = "2040-12-31") -> pd.DataFrame:
    """Every day with the number of working days before it since `first`: the table the SQL
    spelling of the rules counts working days with (data_access/work_calendar.py)."""
    days = np.arange(np.datetime64(first, "D"), np.datetime64(last, "D") + 1)
    working = np.is_busday(days, weekmask=WEEKMASK, holidays=holidays())
    before = np.concatenate([[0], np.cumsum(working)[:-1]])
    return pd.DataFrame({"day": days, "working": working, "working_before": before.astype("int64")})
