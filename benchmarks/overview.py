"""Time the overview page at a data size, on SQLite and PostgreSQL.

    python -m benchmarks.overview --size city            # both backends
    python -m benchmarks.overview --size default --backend sqlite

Prints the time of each query the overview runs (cold: first call; the database's own
cache warms as it goes) and the page's whole server-side render through app.py, cold
(empty data caches) and warm (the same view again). Target at city size on SQLite:
warm at most 300 ms, cold at most 1.5 s.
"""

from __future__ import annotations

import argparse

from benchmarks.common import demo_db_url, postgres_url, render_times, timed
from data_access import queries
from data_access.db import make_engine
from metrics.periods import latest_complete_month, previous_period, trend_buckets
from metrics.trend import SOURCE_GRAIN
from domain.access import SYSTEM  # a benchmark reads as the system: full access


def query_times(url: str) -> list[tuple[str, float, int]]:
    """The overview's queries, with the arguments the page passes for the latest month."""
    engine = make_engine(url)
    rows = []

    def measure(name, function, *args, **kwargs):
        milliseconds, result = timed(function, engine, *args, **kwargs)
        rows.append((name, milliseconds, len(result)))
        return result

    measure("load_units", queries.load_units)
    extent = queries.data_extent(engine)
    period = latest_complete_month(extent["last_day"])
    if period.end > extent["last_day"]:
        period = previous_period(period)
    compare = previous_period(period)
    buckets = trend_buckets(period.end, "month", 12)
    baseline = [previous_period(period)]
    while len(baseline) < 6:
        baseline.append(previous_period(baseline[-1]))
    measure("data_extent", lambda e: [queries.data_extent(e)])
    measure("kpi_counts period", queries.kpi_counts, period.start, period.end, viewer=SYSTEM)
    measure("kpi_counts compare", queries.kpi_counts, compare.start, compare.end, viewer=SYSTEM)
    measure("flow_counts 12 months", queries.flow_counts_by_period, buckets[0].start, buckets[-1].end, SOURCE_GRAIN["month"], viewer=SYSTEM)
    measure("backlog 12 month ends", queries.backlog_counts, [b.end for b in buckets], viewer=SYSTEM)
    measure("targets", queries.load_targets, period.end)
    measure("kpi_counts by unit", queries.kpi_counts, period.start, period.end, None, True, viewer=SYSTEM)
    measure("alerts baseline by unit", queries.kpi_counts, baseline[-1].start, baseline[0].end, None, True, viewer=SYSTEM)
    measure("alerts backlog by unit", queries.backlog_counts, [p.end for p in baseline], None, True, viewer=SYSTEM)
    engine.dispose()
    return rows


def report(backend: str, url: str) -> None:
    print(f"\n== {backend}: overview queries (ms, rows)")
    total = 0.0
    for name, milliseconds, count in query_times(url):
        total += milliseconds
        print(f"  {name:28s} {milliseconds:8.1f} ms  {count:7d} rows")
    print(f"  {'all queries':28s} {total:8.1f} ms")
    cold, warm = render_times(url)
    print(f"== {backend}: overview render through app.py: cold {cold:.0f} ms, warm {warm:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="city", choices=["small", "default", "city"])
    parser.add_argument("--backend", default="both", choices=["sqlite", "postgresql", "both"])
    args = parser.parse_args()
    if args.backend in ("sqlite", "both"):
        report("SQLite", demo_db_url(args.size))
    if args.backend in ("postgresql", "both"):
        with postgres_url(args.size) as url:
            report("PostgreSQL", url)


if __name__ == "__main__":
    main()
