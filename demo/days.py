"""The demo calendar: Tết, public holidays, the 2021 lockdown, busy days, and counter and online
hours."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import numpy as np

from demo.catalogue import COVID_LOCKDOWN, FIXED_HOLIDAYS, TET
from demo.model import US_PER_HOUR, US_PER_MIN

# --- calendar ---------------------------------------------------------------------------


def default_end(today: date | None = None) -> date:
    """The last day of the last complete month before today."""
    today = today or date.today()
    return today.replace(day=1) - timedelta(days=1)


def _months(start: date, end: date) -> list[date]:
    first = date(start.year, start.month, 1)
    months = []
    while first <= end:
        months.append(first)
        first = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return months


def last_complete_month(end: date) -> date:
    """The month the overview calls "latest": end's month if end is its last day, else the one before."""
    if end.day == calendar.monthrange(end.year, end.month)[1]:
        return date(end.year, end.month, 1)
    previous = date(end.year, end.month, 1) - timedelta(days=1)
    return date(previous.year, previous.month, 1)


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday = 0 ... Sunday = 6."""
    return (days.astype("datetime64[D]").astype(np.int64) + 3) % 7


def tet_days(year: int) -> np.ndarray:
    """The public holiday around Tết: the eve before to the 5th day."""
    first = np.datetime64(TET[year], "D")
    return first + np.arange(-1, 5)


def holidays(start: date, end: date) -> np.ndarray:
    days = []
    for year in range(start.year - 1, end.year + 2):
        if year in TET:
            days.extend(tet_days(year))
        days.extend(np.datetime64(f"{year}-{md}", "D") for md in FIXED_HOLIDAYS)
    return np.unique(np.array(days, dtype="datetime64[D]"))


def _by_year(table: dict[int, float], days: np.ndarray) -> np.ndarray:
    """Yearly anchors (at mid-year) interpolated over days."""
    years = np.array(sorted(table), dtype=float)
    values = np.array([table[int(y)] for y in years])
    frac_year = 1970 + days.astype("datetime64[D]").astype(np.int64) / 365.2425
    return np.interp(frac_year, years + 0.5, values)


def _day_factors(days: np.ndarray, hol: np.ndarray, rng: np.random.Generator):
    """Expected relative dossier volume per day for counter channels and for online."""
    n = len(days)
    weekday = _weekday(days)
    is_hol = np.isin(days, hol)
    years = days.astype("datetime64[Y]").astype(np.int64) + 1970
    months = days.astype("datetime64[M]").astype(np.int64) % 12
    season = np.array([1.05, 0.92, 1.0, 0.98, 1.0, 1.02, 1.06, 1.05, 0.98, 1.0, 1.02, 1.10])[months]
    base = (1 + 0.06 * (years - 2021)) * season * rng.gamma(60, 1 / 60, n)
    tet_factor = np.ones(n)
    for year in np.unique(years):
        for y in (year, year + 1):
            if y not in TET:
                continue
            first = np.datetime64(TET[int(y)], "D")
            offset = (days - first).astype(np.int64)
            tet_factor = np.where((offset >= -21) & (offset <= -3), 1.35, tet_factor)
            tet_factor = np.where((offset >= -2) & (offset <= 6), np.where(offset < -1, 0.5, 0.15), tet_factor)
            tet_factor = np.where((offset >= 7) & (offset <= 13), 0.85, tet_factor)
    covid = np.where((days >= np.datetime64(COVID_LOCKDOWN[0])) & (days <= np.datetime64(COVID_LOCKDOWN[1])), 0.3, 1.0)
    counter_wd = np.array([1.15, 1.05, 1.0, 1.0, 0.95, 0.45, 0.0])[weekday]
    online_wd = np.array([1.1, 1.05, 1.0, 1.0, 0.95, 0.45, 0.3])[weekday]
    counter = base * tet_factor * covid * counter_wd * np.where(is_hol, 0.0, 1.0)
    online = base * tet_factor * covid * online_wd * np.where(is_hol, 0.3, 1.0)
    return counter, online


def _seconds(values_us: np.ndarray) -> np.ndarray:
    """Round int64 microseconds down to whole seconds."""
    return values_us - values_us % 1_000_000


def _counter_times(rng: np.random.Generator, days: np.ndarray, margin_min: float = 10.0) -> np.ndarray:
    """Times during counter hours on the given (working) days; Saturday: morning only.

    `margin_min` keeps the time that far before the end of the session (a rating on the
    kiosk a few minutes later stays within office hours)."""
    n = len(days)
    morning = (_weekday(days) == 5) | (rng.random(n) < 0.6)
    minutes = rng.uniform(0, 240 - margin_min, n)
    start = np.where(morning, 7 * 60 + 30, 13 * 60)
    offset = _seconds(((start + minutes) * US_PER_MIN).astype(np.int64))
    return days.astype("datetime64[D]").astype("datetime64[us]") + offset.astype("timedelta64[us]")


_ONLINE_HOURS = np.array([0.6, 0.3, 0.2, 0.2, 0.3, 0.8, 2, 4, 7, 9, 9, 8, 5, 5, 8, 8, 7, 6, 5, 6, 7, 6, 4, 2])


def _online_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    n = len(days)
    hours = rng.choice(24, size=n, p=_ONLINE_HOURS / _ONLINE_HOURS.sum())
    offset = _seconds((hours * US_PER_HOUR + rng.uniform(0, US_PER_HOUR, n)).astype(np.int64))
    return days.astype("datetime64[D]").astype("datetime64[us]") + offset.astype("timedelta64[us]")
