from datetime import date

import pandas as pd
import pytest

from metrics import periods as P
from metrics.periods import (
    Period,
    bucket_of,
    is_whole_months,
    latest_complete_month,
    parse_period,
    previous_period,
    same_period_last_year,
    trend_buckets,
)

KEYS = [
    "2025-09",
    "2025-Q3",
    "2025-H1",
    "2025-H2",
    "2025-9M",
    "2025",
    "R2025-09",
    "R2026-01",
    "2025-03-01..2025-04-15",
    "2025-W37",
    "2025-09-14",
    "2024-02-01..2024-02-29",
]


@pytest.mark.parametrize("key", KEYS)
def test_key_round_trips(key):
    p = parse_period(key)
    assert p.key == key
    assert parse_period(p.key) == p


def test_bounds():
    assert parse_period("2025-09") == Period(date(2025, 9, 1), date(2025, 9, 30), "month", "2025-09")
    assert parse_period("2024-02").end == date(2024, 2, 29)
    assert (parse_period("2025-Q3").start, parse_period("2025-Q3").end) == (date(2025, 7, 1), date(2025, 9, 30))
    assert (parse_period("2025-H1").start, parse_period("2025-H1").end) == (date(2025, 1, 1), date(2025, 6, 30))
    assert (parse_period("2025-H2").start, parse_period("2025-H2").end) == (date(2025, 7, 1), date(2025, 12, 31))
    assert (parse_period("2025-9M").start, parse_period("2025-9M").end) == (date(2025, 1, 1), date(2025, 9, 30))
    assert parse_period("2025").days == 365
    r = parse_period("R2025-10")
    assert (r.start, r.end, r.kind) == (date(2025, 9, 15), date(2025, 10, 14), "reporting_month")
    c = parse_period("2026-03-01..2026-04-15")
    assert (c.start, c.end, c.kind, c.days) == (date(2026, 3, 1), date(2026, 4, 15), "custom", 46)
    w = parse_period("2025-W01")
    assert (w.start, w.end) == (date(2024, 12, 30), date(2025, 1, 5))


def test_reporting_month_across_january():
    r = parse_period("R2026-01")
    assert (r.start, r.end) == (date(2025, 12, 15), date(2026, 1, 14))
    assert previous_period(r).key == "R2025-12"
    assert (previous_period(r).start, previous_period(r).end) == (date(2025, 11, 15), date(2025, 12, 14))
    assert same_period_last_year(r).key == "R2025-01"
    assert same_period_last_year(r).start == date(2024, 12, 15)
    assert r.label("vi") == "15/12/2025–14/01/2026 (kỳ báo cáo)"


def test_labels():
    assert parse_period("2026-10").label("vi") == "Tháng 10/2026"
    assert parse_period("2026-10").label("en") == "October 2026"
    assert parse_period("2026-Q3").label("vi") == "Quý 3/2026"
    assert parse_period("2026-Q3").label("en") == "Q3 2026"
    assert parse_period("2026-H1").label("vi") == "6 tháng đầu năm 2026"
    assert parse_period("2026-H2").label("vi") == "6 tháng cuối năm 2026"
    assert parse_period("2026-9M").label("vi") == "9 tháng 2026"
    assert parse_period("2025").label("vi") == "Năm 2025"
    assert parse_period("2025").label("en") == "Year 2025"
    assert parse_period("R2026-10").label("vi") == "15/09–14/10/2026 (kỳ báo cáo)"
    assert parse_period("R2026-10").label("en") == "15/09–14/10/2026 (reporting month)"
    assert parse_period("2026-03-01..2026-04-15").label("vi") == "01/03/2026–15/04/2026"
    assert parse_period("2026-03-01..2026-04-15").label("en") == "01/03/2026–15/04/2026"


@pytest.mark.parametrize(
    "key, prev",
    [
        ("2026-01", "2025-12"),
        ("2026-03", "2026-02"),
        ("2026-Q1", "2025-Q4"),
        ("2026-Q3", "2026-Q2"),
        ("2026-H1", "2025-H2"),
        ("2026-H2", "2026-H1"),
        ("2026", "2025"),
        ("R2026-03", "R2026-02"),
        ("2026-W01", "2025-W52"),
        ("2026-01-01", "2025-12-31"),
        ("2026-9M", "2025-04-01..2025-12-31"),
        ("2026-03-01..2026-04-15", "2026-01-14..2026-02-28"),  # same number of days (46)
        ("2026-01-01..2026-02-28", "2025-11-01..2025-12-31"),  # whole months: same number of months
    ],
)
def test_previous_period(key, prev):
    p, q = parse_period(key), previous_period(parse_period(key))
    assert q.key == prev
    assert q.end == date.fromordinal(p.start.toordinal() - 1)  # immediately before


@pytest.mark.parametrize(
    "key, last_year",
    [
        ("2026-01", "2025-01"),
        ("2026-Q4", "2025-Q4"),
        ("2026-H1", "2025-H1"),
        ("2026-9M", "2025-9M"),
        ("2026", "2025"),
        ("R2026-01", "R2025-01"),
        ("2024-02-29", "2023-02-28"),
        ("2024-02-01..2024-02-29", "2023-02-01..2023-02-28"),
        ("2026-03-05..2026-04-15", "2025-03-05..2025-04-15"),
    ],
)
def test_same_period_last_year(key, last_year):
    assert same_period_last_year(parse_period(key)).key == last_year


HOSTILE = [
    "",
    " ",
    "2025-13",
    "2025-00",
    "2025-Q5",
    "2025-Q0",
    "2025-H3",
    "2025-8M",
    "R2025-13",
    "2025-09-31",
    "2025-02-29..2025-03-01",
    "2025-04-15..2025-03-01",
    "0000",
    "9999",
    "1899",
    "2025-09; DROP TABLE dossiers;--",
    "2025' OR '1'='1",
    "2025-09\n",
    " 2025-09",
    "2025-9",
    "२०२५-०९",  # Devanagari digits must not pass as [0-9]
    "２０２５",  # full-width digits
    "2025-W54",
    "2025-W53",
    "2026-W00",
    "2025-09-14..",
    "..2025-09-14",
    "2025-09-14...2025-09-15",
    "x" * 10_000,
    "2025" * 2500,
    "<script>alert(1)</script>",
    "2025-09\x00",
    "%27",
    "../../etc/passwd",
]


@pytest.mark.parametrize("key", HOSTILE)
def test_hostile_keys_raise_valueerror(key):
    with pytest.raises(ValueError):
        parse_period(key)


@pytest.mark.parametrize("key", [None, 2025, b"2025-09", ["2025"]])
def test_non_string_raises_valueerror(key):
    with pytest.raises(ValueError):
        parse_period(key)


def test_latest_complete_month():
    assert latest_complete_month(date(2026, 1, 3)).key == "2025-12"
    assert latest_complete_month(date(2026, 3, 31)).key == "2026-02"
    assert latest_complete_month(date(2026, 3, 1)).key == "2026-02"
    assert P.latest_complete_reporting_month(date(2026, 1, 14)).key == "R2025-12"
    assert P.latest_complete_reporting_month(date(2026, 1, 15)).key == "R2026-01"


def test_trend_buckets():
    keys = [p.key for p in trend_buckets(date(2026, 2, 10), "month", 3)]
    assert keys == ["2025-12", "2026-01", "2026-02"]
    keys = [p.key for p in trend_buckets(date(2026, 1, 20), "reporting_month", 3)]
    assert keys == ["R2025-12", "R2026-01", "R2026-02"]  # 20/01 belongs to R2026-02
    keys = [p.key for p in trend_buckets(parse_period("2026-Q1"), "quarter", 5)]
    assert keys == ["2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]
    assert [p.key for p in trend_buckets(date(2026, 1, 1), "year", 2)] == ["2025", "2026"]
    assert [p.key for p in trend_buckets(date(2026, 1, 1), "week", 2)] == ["2025-W52", "2026-W01"]
    with pytest.raises(ValueError):
        trend_buckets(date(2026, 1, 1), "fortnight", 2)


def test_bucket_of():
    days = pd.Series(pd.to_datetime(["2026-01-14", "2026-01-15", "2025-12-31", "2026-02-01"]))
    assert bucket_of(days, "month").tolist() == [date(2026, 1, 1), date(2026, 1, 1), date(2025, 12, 1), date(2026, 2, 1)]
    assert bucket_of(days, "quarter").tolist() == [date(2026, 1, 1)] * 2 + [date(2025, 10, 1), date(2026, 1, 1)]
    assert bucket_of(days, "year").tolist() == [date(2026, 1, 1)] * 2 + [date(2025, 1, 1), date(2026, 1, 1)]
    assert bucket_of(days, "half").tolist() == [date(2026, 1, 1)] * 2 + [date(2025, 7, 1), date(2026, 1, 1)]
    # Monday-start weeks: 14/01/2026 is a Wednesday
    assert bucket_of(days, "week").tolist()[:3] == [date(2026, 1, 12), date(2026, 1, 12), date(2025, 12, 29)]
    assert bucket_of(days, "reporting_month").tolist() == [date(2025, 12, 15), date(2026, 1, 15), date(2025, 12, 15), date(2026, 1, 15)]
    assert bucket_of(days, "day").tolist()[0] == date(2026, 1, 14)
    # python date objects in (as read from a SQL Date column) work too
    assert bucket_of(pd.Series([date(2026, 1, 14)]), "reporting_month").tolist() == [date(2025, 12, 15)]
    # the bucket start is the start of the period containing the day
    for g in ("week", "month", "quarter", "half", "year", "reporting_month"):
        for d, b in zip(days, bucket_of(days, g)):
            assert P.period_of(d.date(), g).start == b
    # rolling daily counts up
    daily = pd.DataFrame({"day": days, "ratings": [1, 2, 3, 4]})
    rolled = daily.groupby(bucket_of(daily["day"], "month"))["ratings"].sum()
    assert rolled.to_dict() == {date(2025, 12, 1): 3, date(2026, 1, 1): 3, date(2026, 2, 1): 4}


def test_is_whole_months():
    assert is_whole_months(parse_period("2026-02"))
    assert is_whole_months(parse_period("2026-9M"))
    assert is_whole_months(parse_period("2026-01-01..2026-02-28"))
    assert not is_whole_months(parse_period("2026-01-01..2026-02-27"))
    assert not is_whole_months(parse_period("R2026-02"))
    assert not is_whole_months(parse_period("2026-W05"))
