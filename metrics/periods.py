"""Reporting periods: month, quarter, 6 months, 9 months, year, custom, reporting month.

A Period is an inclusive range of calendar days with a kind and a key. The key is what
goes into URLs (`?period=2025-Q3`); `parse_period(p.key) == p` always.

Keys (the only accepted forms; anything else raises ValueError):
    "2025-09"                  month
    "2025-Q3"                  quarter
    "2025-H1", "2025-H2"       half year (H1 = Jan-Jun: Vietnamese "6 tháng" reports
                               usually mean the first 6 months, "6 tháng đầu năm")
    "2025-9M"                  nine months, Jan-Sep ("9 tháng")
    "2025"                     year
    "R2025-10"                 reporting month of Decree 09/2019/NĐ-CP: 15/09/2025-14/10/2025
                               (15th of the previous month to the 14th of the report month)
    "2025-W37"                 ISO week (Monday-Sunday), used by weekly trends
    "2025-09-14"               a single day, used by daily trends
    "2025-03-01..2025-04-15"   custom inclusive range
Years 1900-2199 only.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from i18n.text import pick

PeriodKind = Literal["day", "week", "month", "quarter", "half", "nine_months", "year", "custom", "reporting_month"]
GRAINS = ("day", "week", "month", "quarter", "half", "year", "reporting_month")
MIN_YEAR, MAX_YEAR = 1900, 2199
_MAX_KEY_LEN = 32  # the longest valid key is 22 characters

_EN_MONTHS = [
    "",
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: str
    key: str

    def label(self, lang: str = "vi") -> str:
        """Short label: "Tháng 10/2026", "Quý 3/2026", "6 tháng đầu năm 2026", ..."""
        s, e = self.start, self.end
        if self.kind == "month":
            return pick(lang, f"Tháng {s.month}/{s.year}", f"{_EN_MONTHS[s.month]} {s.year}")
        if self.kind == "quarter":
            q = (s.month - 1) // 3 + 1
            return pick(lang, f"Quý {q}/{s.year}", f"Q{q} {s.year}")
        if self.kind == "half":
            if s.month == 1:
                return pick(lang, f"6 tháng đầu năm {s.year}", f"H1 {s.year} (Jan–Jun)")
            return pick(lang, f"6 tháng cuối năm {s.year}", f"H2 {s.year} (Jul–Dec)")
        if self.kind == "nine_months":
            return pick(lang, f"9 tháng {s.year}", f"9 months {s.year} (Jan–Sep)")
        if self.kind == "year":
            return pick(lang, f"Năm {s.year}", f"Year {s.year}")
        if self.kind == "reporting_month":
            if s.year == e.year:
                span = f"{s.day:02d}/{s.month:02d}–{e.day:02d}/{e.month:02d}/{e.year}"
            else:
                span = f"{_dmy(s)}–{_dmy(e)}"
            return pick(lang, f"{span} (kỳ báo cáo)", f"{span} (reporting month)")
        if self.kind == "week":
            iso = s.isocalendar()
            return pick(lang, f"Tuần {iso.week}/{iso.year}", f"Week {iso.week}/{iso.year}")
        if self.kind == "day":
            return _dmy(s)
        return f"{_dmy(s)}–{_dmy(e)}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, d: date) -> bool:
        return self.start <= _as_date(d) <= self.end

    @property
    def start_ts(self) -> pd.Timestamp:
        return pd.Timestamp(self.start)

    @property
    def end_exclusive(self) -> date:
        """The day after the end: for half-open SQL ranges `ts >= start AND ts < end_exclusive`."""
        return self.end + timedelta(days=1)


# --- constructors ------------------------------------------------------------------------


def _dmy(d: date) -> str:
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def _as_date(d) -> date:
    if isinstance(d, pd.Timestamp):
        return d.date()
    if hasattr(d, "date") and callable(d.date):  # datetime
        return d.date()
    return d


def _check_year(y: int) -> None:
    if not MIN_YEAR <= y <= MAX_YEAR:
        raise ValueError(f"Year {y} is outside {MIN_YEAR}-{MAX_YEAR}")


def _last_day(y: int, m: int) -> date:
    return date(y, m, calendar.monthrange(y, m)[1])


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    idx = y * 12 + (m - 1) + k
    return idx // 12, idx % 12 + 1


def month(y: int, m: int) -> Period:
    _check_year(y)
    if not 1 <= m <= 12:
        raise ValueError(f"Month {m} is not 1-12")
    return Period(date(y, m, 1), _last_day(y, m), "month", f"{y:04d}-{m:02d}")


def quarter(y: int, q: int) -> Period:
    _check_year(y)
    if not 1 <= q <= 4:
        raise ValueError(f"Quarter {q} is not 1-4")
    return Period(date(y, 3 * q - 2, 1), _last_day(y, 3 * q), "quarter", f"{y:04d}-Q{q}")


def half(y: int, h: int) -> Period:
    _check_year(y)
    if h not in (1, 2):
        raise ValueError(f"Half {h} is not 1 or 2")
    return Period(date(y, 6 * h - 5, 1), _last_day(y, 6 * h), "half", f"{y:04d}-H{h}")


def nine_months(y: int) -> Period:
    _check_year(y)
    return Period(date(y, 1, 1), date(y, 9, 30), "nine_months", f"{y:04d}-9M")


def year(y: int) -> Period:
    _check_year(y)
    return Period(date(y, 1, 1), date(y, 12, 31), "year", f"{y:04d}")


def reporting_month(y: int, m: int) -> Period:
    """Decree 09/2019/NĐ-CP: from the 15th of the previous month to the 14th of month m."""
    _check_year(y)
    if not 1 <= m <= 12:
        raise ValueError(f"Month {m} is not 1-12")
    py, pm = _add_months(y, m, -1)
    return Period(date(py, pm, 15), date(y, m, 14), "reporting_month", f"R{y:04d}-{m:02d}")


def week(iso_year: int, iso_week: int) -> Period:
    _check_year(iso_year)
    try:
        start = date.fromisocalendar(iso_year, iso_week, 1)
    except ValueError:
        raise ValueError(f"Week {iso_week} does not exist in ISO year {iso_year}") from None
    return Period(start, start + timedelta(days=6), "week", f"{iso_year:04d}-W{iso_week:02d}")


def day(d: date) -> Period:
    d = _as_date(d)
    _check_year(d.year)
    return Period(d, d, "day", d.isoformat())


def custom(start: date, end: date) -> Period:
    start, end = _as_date(start), _as_date(end)
    _check_year(start.year)
    _check_year(end.year)
    if end < start:
        raise ValueError(f"Custom period ends ({end}) before it starts ({start})")
    return Period(start, end, "custom", f"{start.isoformat()}..{end.isoformat()}")


# --- parsing -------------------------------------------------------------------------------

_D = r"([0-9]{4})-([0-9]{2})-([0-9]{2})"
_PATTERNS = [
    (re.compile(r"([0-9]{4})-([0-9]{2})"), lambda g: month(int(g[0]), int(g[1]))),
    (re.compile(r"([0-9]{4})-Q([1-4])"), lambda g: quarter(int(g[0]), int(g[1]))),
    (re.compile(r"([0-9]{4})-H([12])"), lambda g: half(int(g[0]), int(g[1]))),
    (re.compile(r"([0-9]{4})-9M"), lambda g: nine_months(int(g[0]))),
    (re.compile(r"([0-9]{4})"), lambda g: year(int(g[0]))),
    (re.compile(r"R([0-9]{4})-([0-9]{2})"), lambda g: reporting_month(int(g[0]), int(g[1]))),
    (re.compile(r"([0-9]{4})-W([0-9]{2})"), lambda g: week(int(g[0]), int(g[1]))),
    (re.compile(_D), lambda g: day(_mk_date(g))),
    (re.compile(_D + r"\.\." + _D), lambda g: custom(_mk_date(g[:3]), _mk_date(g[3:]))),
]


def _mk_date(g) -> date:
    y, m, d = (int(x) for x in g)
    _check_year(y)
    try:
        return date(y, m, d)
    except ValueError as exc:
        raise ValueError(f"Invalid date {y:04d}-{m:02d}-{d:02d}: {exc}") from None


def parse_period(key) -> Period:
    """Parse a period key (see the module docstring). Anything else raises ValueError.

    Meant for URL parameters: input is untrusted; only the exact ASCII forms are accepted.
    """
    if not isinstance(key, str):
        raise ValueError(f"Period key must be a string, got {type(key).__name__}")
    if len(key) > _MAX_KEY_LEN:
        raise ValueError(f"Period key too long ({len(key)} characters)")
    for pattern, build in _PATTERNS:
        m = pattern.fullmatch(key)
        if m:
            try:
                return build(m.groups())
            except ValueError as exc:
                raise ValueError(f"Invalid period key {key!r}: {exc}") from None
    raise ValueError(
        f"Invalid period key {key!r}; expected e.g. 2025-09, 2025-Q3, 2025-H1, 2025-9M, 2025, R2025-09, 2025-W37, 2025-09-14 or 2025-03-01..2025-04-15"
    )


# --- navigation ---------------------------------------------------------------------------


def is_whole_months(p: Period) -> bool:
    """True when the period is a run of whole calendar months (monthly summaries suffice)."""
    return p.start.day == 1 and p.end == _last_day(p.end.year, p.end.month)


def _months_between(p: Period) -> int:
    return (p.end.year - p.start.year) * 12 + p.end.month - p.start.month + 1


def latest_complete_month(today: date) -> Period:
    """The last calendar month that has fully ended before `today` (i.e. the previous month)."""
    y, m = _add_months(today.year, today.month, -1)
    return month(y, m)


def latest_complete_reporting_month(today: date) -> Period:
    """The last reporting month (15th-14th) that has fully ended before `today`."""
    y, m = (today.year, today.month) if today.day >= 15 else _add_months(today.year, today.month, -1)
    return reporting_month(y, m)


def previous_period(p: Period) -> Period:
    """The period of the same length immediately before.

    month/quarter/half/year/reporting month/week/day: the previous one of the same kind.
    nine_months: the 9 months before (April-December of the previous year, a custom period);
        the usual comparison for "9 tháng" is `same_period_last_year`.
    custom: if it is a run of whole months, the same number of months before; otherwise
        the same number of days before.
    """
    s = p.start
    if p.kind == "month":
        return month(*_add_months(s.year, s.month, -1))
    if p.kind == "quarter":
        y, m = _add_months(s.year, s.month, -3)
        return quarter(y, (m - 1) // 3 + 1)
    if p.kind == "half":
        return half(s.year - 1, 2) if s.month == 1 else half(s.year, 1)
    if p.kind == "year":
        return year(s.year - 1)
    if p.kind == "reporting_month":
        return reporting_month(*_add_months(p.end.year, p.end.month, -1))
    if p.kind == "week":
        return _week_of(s - timedelta(days=7))
    if p.kind == "day":
        return day(s - timedelta(days=1))
    if p.kind in ("nine_months", "custom") and is_whole_months(p):
        n = _months_between(p)
        ys, ms = _add_months(s.year, s.month, -n)
        ye, me = _add_months(s.year, s.month, -1)
        return custom(date(ys, ms, 1), _last_day(ye, me))
    n = p.days
    return custom(s - timedelta(days=n), s - timedelta(days=1))


def _shift_year(d: date, k: int) -> date:
    y = d.year + k
    return date(y, d.month, min(d.day, calendar.monthrange(y, d.month)[1]))


def same_period_last_year(p: Period) -> Period:
    """The same period one year earlier (29 February becomes 28 February)."""
    s, e = p.start, p.end
    if p.kind == "month":
        return month(s.year - 1, s.month)
    if p.kind == "quarter":
        return quarter(s.year - 1, (s.month - 1) // 3 + 1)
    if p.kind == "half":
        return half(s.year - 1, 1 if s.month == 1 else 2)
    if p.kind == "nine_months":
        return nine_months(s.year - 1)
    if p.kind == "year":
        return year(s.year - 1)
    if p.kind == "reporting_month":
        return reporting_month(e.year - 1, e.month)
    if p.kind == "week":
        iso = s.isocalendar()
        w = min(iso.week, date(iso.year - 1, 12, 28).isocalendar().week)
        return week(iso.year - 1, w)
    if p.kind == "day":
        return day(_shift_year(s, -1))
    if is_whole_months(p):  # keep whole months whole (end of February)
        return custom(_shift_year(s, -1), _last_day(e.year - 1, e.month))
    return custom(_shift_year(s, -1), _shift_year(e, -1))


def _week_of(d: date) -> Period:
    iso = d.isocalendar()
    return week(iso.year, iso.week)


def period_of(d: date, grain: str) -> Period:
    """The period of a grain that contains day d."""
    d = _as_date(d)
    if grain == "day":
        return day(d)
    if grain == "week":
        return _week_of(d)
    if grain == "month":
        return month(d.year, d.month)
    if grain == "quarter":
        return quarter(d.year, (d.month - 1) // 3 + 1)
    if grain == "half":
        return half(d.year, 1 if d.month <= 6 else 2)
    if grain == "year":
        return year(d.year)
    if grain == "reporting_month":
        if d.day >= 15:
            return reporting_month(*_add_months(d.year, d.month, 1))
        return reporting_month(d.year, d.month)
    raise ValueError(f"Unknown grain {grain!r}; expected one of {GRAINS}")


def trend_buckets(p_end, grain: str, n: int) -> list[Period]:
    """The last n periods of a grain, oldest first, ending with the one containing p_end.

    p_end: a date, or a Period (its end day is used).
    """
    if n < 1:
        raise ValueError("n must be at least 1")
    d = p_end.end if isinstance(p_end, Period) else _as_date(p_end)
    out = [period_of(d, grain)]
    for _ in range(n - 1):
        out.append(previous_period(out[-1]))
    return out[::-1]


def bucket_of(dates: pd.Series, grain: str) -> pd.Series:
    """Map each day to the start date of its bucket (datetime.date objects, same index).

    Grains: day, week (Monday), month, quarter, half, year, reporting_month (the 15th that
    starts it: 14/10 -> 15/09, 15/10 -> 15/10). Missing dates stay missing (None).
    Use it to roll daily counts up: frame.groupby(bucket_of(frame["day"], "month")).sum().
    """
    if grain not in GRAINS:
        raise ValueError(f"Unknown grain {grain!r}; expected one of {GRAINS}")
    ts = pd.to_datetime(pd.Series(dates)).dt.normalize()
    if grain == "day":
        start = ts
    elif grain == "week":
        start = ts - pd.to_timedelta(ts.dt.day_of_week, unit="D")
    elif grain == "month":
        start = ts.dt.to_period("M").dt.start_time
    elif grain == "quarter":
        start = ts.dt.to_period("Q").dt.start_time
    elif grain == "half":
        yr = ts.dt.year
        mo = np.where(ts.dt.month <= 6, 1, 7)
        start = pd.to_datetime(pd.DataFrame({"year": yr, "month": mo, "day": 1}), errors="coerce")
    elif grain == "year":
        start = ts.dt.to_period("Y").dt.start_time
    else:  # reporting_month
        month_start = ts.dt.to_period("M").dt.start_time
        fifteenth = month_start + pd.Timedelta(days=14)
        prev_fifteenth = (ts.dt.to_period("M") - 1).dt.start_time + pd.Timedelta(days=14)
        start = fifteenth.where(ts.dt.day >= 15, prev_fifteenth)
    start = pd.Series(start, index=ts.index)
    return start.map(lambda t: None if pd.isna(t) else t.date()).rename(getattr(dates, "name", None) or "bucket")
