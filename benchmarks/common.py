"""Shared helpers for the benchmark scripts: build or reuse a demo database of a given size.

    python -m benchmarks.common --size default   # builds benchmarks/out/default.sqlite once

A database is built into a side file and moved in place when complete, so a run that was
interrupted never leaves a half-filled file that a later run would mistake for a finished one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

OUT = Path(__file__).resolve().parent / "out"


def demo_db_url(size: str = "city", seed: int = 42, path: Path | None = None) -> str:
    """The URL of a complete demo SQLite database of this size; built first if missing."""
    import demo
    from data_access import migrate, refresh
    from data_access.db import make_engine

    path = Path(path or OUT / f"{size}.sqlite")
    if path.exists():
        engine = make_engine(f"sqlite:///{path}")
        try:
            migrate.upgrade(engine)  # built by an older version: bring it to the app's schema
        finally:
            engine.dispose()
        return f"sqlite:///{path}"
    path.parent.mkdir(parents=True, exist_ok=True)
    building = path.with_name(path.name + ".building")
    for leftover in path.parent.glob(building.name + "*"):
        leftover.unlink()
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{building}")
    try:
        migrate.upgrade(engine)
        demo.generate(engine, size=size, seed=seed, progress=lambda f, m: print(f"[{time.perf_counter() - started:7.1f}s] {f:4.0%} {m}", file=sys.stderr))
        print(f"[{time.perf_counter() - started:7.1f}s] refreshing summaries", file=sys.stderr)
        refresh.refresh_summaries(engine)
        with engine.connect() as connection:  # fold the WAL into the file before moving it
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    os.replace(building, path)
    for leftover in path.parent.glob(building.name + "*"):
        leftover.unlink()
    print(f"[{time.perf_counter() - started:7.1f}s] built {path}", file=sys.stderr)
    return f"sqlite:///{path}"


def schema_problem(url: str) -> str | None:
    """A database behind the app's schema shows "schema outdated" on every page: say so first.
    (The app upgrades its own demo file, var/demo.sqlite, by itself.)"""
    from data_access import migrate
    from data_access.db import is_default_demo, make_engine

    if is_default_demo(url):
        return None
    engine = make_engine(url)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
    finally:
        engine.dispose()
    if current == head:
        return None
    return (
        f"{url} is at schema revision {current}, the app needs {head}: every page would show the 'schema outdated' "
        f"error. Upgrade it (python -m data_access.migrate {url}) or pass another --url."
    )


@contextmanager
def postgres_url(size: str, seed: int = 42):
    """A temporary PostgreSQL server on 127.0.0.1 holding the demo data of that size.

    The server's files do not outlive the run, so the data is loaded every time.
    """
    import demo
    from data_access import migrate, refresh
    from data_access.db import make_engine
    from tests.support.postgres import PostgresServer

    server = PostgresServer.find()
    if server is None:
        raise SystemExit("No PostgreSQL server binaries: apt-get install -y postgresql")
    server.start()
    try:
        url = server.url(server.create_database("bench"))
        started = time.perf_counter()
        engine = make_engine(url)
        migrate.upgrade(engine)
        demo.generate(engine, size=size, seed=seed, progress=lambda f, m: print(f"[{time.perf_counter() - started:7.1f}s] {f:4.0%} {m}", file=sys.stderr))
        refresh.refresh_summaries(engine)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
        engine.dispose()
        print(f"[{time.perf_counter() - started:7.1f}s] loaded into PostgreSQL", file=sys.stderr)
        yield url
    finally:
        server.cleanup()


def timed(function, *args, repeat: int = 1, **kwargs) -> tuple[float, object]:
    """Best wall time in milliseconds over `repeat` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, (time.perf_counter() - started) * 1000)
    return best, result


def render_times(url: str, page: str | None = None, query_params: dict | None = None, warm_runs: int = 3) -> tuple[float, float]:
    """Server-side render time of one view through app.py: (cold ms, best warm ms).

    The app is opened in AppTest, switched to the page and given the view's URL parameters
    (AppTest clears them on a page switch); then the data caches are cleared. Cold is the
    next run, warm the best of the runs after it (the same view again). The time is what
    app.py measures around its own run, so AppTest's own overhead is not counted.
    """
    from streamlit.testing.v1 import AppTest

    from ui import data

    os.environ["DASHBOARD_DATABASE_URL"] = url
    app = AppTest.from_file(str(Path(__file__).resolve().parent.parent / "app.py"), default_timeout=900)
    app.run()  # registers the pages and prepares the engine, as a server's first visit does
    if page:
        app.switch_page(page)
        app.run()
    for key, value in (query_params or {}).items():
        app.query_params[key] = value
    data.clear_caches()
    times = []
    for _ in range(1 + warm_runs):
        app.run()
        if app.exception:
            raise RuntimeError(f"{page or 'app.py'} {query_params or ''} raised: {app.exception[0].value}")
        times.append(app.session_state["render_ms"])
    return times[0], min(times[1:])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Build (or reuse) a demo database for benchmarks.")
    parser.add_argument("--size", default="city", choices=["small", "default", "city"])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    print(demo_db_url(args.size, args.seed))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
