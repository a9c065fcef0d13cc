"""python -m demo (also python -m data_access.demo): fill an empty database with demo data."""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from demo.generate import generate
from demo.model import DEFAULT_START, DemoDataError, SIZES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fill an empty dashboard database with demo data.")
    parser.add_argument("--size", choices=list(SIZES), default="default")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--start", type=date.fromisoformat, default=DEFAULT_START)
    parser.add_argument("--end", type=date.fromisoformat, default=None)
    parser.add_argument("--url", default=None, help="database URL (default: the app's database_url())")
    parser.add_argument("--migrate", action="store_true", help="bring the database to the current schema first")
    parser.add_argument("--no-refresh", action="store_true", help="leave the summary tables empty (refresh later)")
    parser.add_argument(
        # argparse passes a string default through `type` too: "size" must survive it.
        "--step-months",
        type=lambda v: v if v == "size" else (None if v == "all" else int(v)),
        default="size",
        help="months of dossiers that get processing steps besides the open ones: a number, or all (default: 3 for default, all otherwise)",
    )
    args = parser.parse_args(argv)
    from data_access.db import make_engine

    engine = make_engine(args.url)
    started = time.perf_counter()
    if args.migrate:
        from data_access import migrate

        migrate.upgrade(engine)

    def progress(fraction: float, message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {fraction:5.0%} {message}", file=sys.stderr)

    try:
        # The summaries are counted from the rows in hand, in the same transaction (reading
        # millions of rows back cost as much as writing them).
        counts = generate(
            engine, size=args.size, seed=args.seed, start=args.start, end=args.end, progress=progress, step_months=args.step_months, refresh=not args.no_refresh
        )
    except DemoDataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for table, rows in counts.items():
        print(f"{table:14s} {rows:>12,}")
    done = "generated, loaded and summarised" if not args.no_refresh else "generated and loaded (summaries left empty)"
    print(f"{done} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
