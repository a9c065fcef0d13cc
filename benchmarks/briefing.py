"""How long the whole-city briefing pack takes to build (target: at most 10 s at the default
demo size, 1M ratings + 1M dossiers).

    python -m benchmarks.briefing [--url DB_URL] [--scope 79] [--period 2026-10] [--repeat 3]

Prints, per format, the content step (database reads, ranking, alerts) and the whole build
(content + rendering), best of `--repeat` runs in one warm process, and the size of the file.
"""

from __future__ import annotations

import argparse
import time
from datetime import timedelta


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="database URL (default: the app's database_url())")
    parser.add_argument("--scope", default=None, help="unit code (default: the city)")
    parser.add_argument("--period", default=None, help="period key (default: the latest complete month)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    from sqlalchemy import func, select

    from data_access import queries
    from domain.access import SYSTEM
    from data_access.db import make_engine
    from data_access.schema import dossiers, ratings
    from metrics import periods
    from reports import content
    from reports.briefing import build

    engine = make_engine(args.url)
    units = queries.load_units(engine)
    scope = args.scope or str(units.loc[units["parent_code"].isna(), "code"].iloc[0])
    extent = queries.data_extent(engine)
    period = periods.parse_period(args.period) if args.period else periods.latest_complete_month(extent["last_day"] + timedelta(days=1))
    with engine.connect() as connection:
        n_ratings = connection.execute(select(func.count()).select_from(ratings)).scalar_one()
        n_dossiers = connection.execute(select(func.count()).select_from(dossiers)).scalar_one()
    print(f"database: {engine.url.render_as_string(hide_password=True)}")
    print(f"data: {n_ratings:,} ratings, {n_dossiers:,} dossiers; scope {scope}; period {period.key}")

    timings = []
    started = time.perf_counter()
    content.build_briefing(engine, scope, period, viewer=SYSTEM)
    timings.append(("content (first run, cold caches)", time.perf_counter() - started))
    best = min(_timed(lambda: content.build_briefing(engine, scope, period, viewer=SYSTEM)) for _ in range(args.repeat))
    timings.append(("content", best))
    for fmt in ("pptx", "pdf"):
        sizes = []
        best = min(_timed(lambda fmt=fmt, sizes=sizes: sizes.append(len(build(engine, scope, period, fmt, viewer=SYSTEM)[0]))) for _ in range(args.repeat))
        timings.append((f"whole {fmt} pack ({sizes[-1]:,} bytes)", best))
    for label, seconds in timings:
        print(f"{label:45s} {seconds:6.2f} s")
    engine.dispose()
    return 0


def _timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
