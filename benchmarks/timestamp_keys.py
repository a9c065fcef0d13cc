"""What integer timestamps would save the import's index rebuild, in plain sqlite3.

    python -m benchmarks.timestamp_keys [--rows 1000000] [--runs 2]

The import of a large file drops the secondary indexes of `dossiers` and builds them again
(docs/ingest.md): about 6 s of a 1 M-row import, SQLite sorting the keys. This builds the same
four indexes (unit + received, received, finished, unit + finished) over synthetic dossiers
(random received times over five years, finished within 30 days for 95 %, 600 units) with the
times stored as ISO text, as the schema does, and as integer seconds, and prints each.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta

INDEXES = {"unit_received": "unit_code, received_at", "received": "received_at", "finished": "finished_at", "unit_finished": "unit_code, finished_at"}


def synthetic_dossiers(rows: int, seed: int = 1) -> list[tuple]:
    rng = random.Random(seed)
    units = [f"{code:05d}" for code in rng.sample(range(20000, 28000), 600)]
    start, span = datetime(2021, 11, 1), 5 * 365 * 86400
    dossiers = []
    for number in range(rows):
        received = start + timedelta(seconds=rng.randrange(span))
        finished = received + timedelta(seconds=rng.randrange(30 * 86400)) if rng.random() < 0.95 else None
        dossiers.append((f"HS-{number:08d}", rng.choice(units), received, finished))
    return dossiers


def rebuild_seconds(dossiers: list[tuple], as_text: bool) -> tuple[dict[str, float], int]:
    """Seconds to build each index, and the file's size in bytes."""
    stored = (lambda t: t.strftime("%Y-%m-%d %H:%M:%S.%f")) if as_text else (lambda t: int(t.timestamp()))
    kind = "TEXT" if as_text else "INTEGER"
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "dossiers.sqlite")
        db = sqlite3.connect(path)
        try:
            db.execute(f"CREATE TABLE dossiers (id INTEGER PRIMARY KEY, code TEXT UNIQUE, unit_code TEXT, received_at {kind}, finished_at {kind})")
            rows = [(code, unit, stored(received), stored(finished) if finished else None) for code, unit, received, finished in dossiers]
            db.executemany("INSERT INTO dossiers (code, unit_code, received_at, finished_at) VALUES (?, ?, ?, ?)", rows)
            db.commit()
            seconds = {}
            for name, columns in INDEXES.items():
                started = time.perf_counter()
                db.execute(f"CREATE INDEX ix_{name} ON dossiers ({columns})")
                seconds[name] = time.perf_counter() - started
            db.commit()
        finally:
            db.close()
        return seconds, os.path.getsize(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    dossiers = synthetic_dossiers(args.rows)
    for _ in range(args.runs):
        for as_text in (True, False):
            seconds, size = rebuild_seconds(dossiers, as_text)
            each = ", ".join(f"{name} {s:.2f}" for name, s in seconds.items())
            print(f"{'ISO text' if as_text else 'integer '}: {sum(seconds.values()):.2f} s ({each}); file {size / 1e6:.0f} MB", flush=True)


if __name__ == "__main__":
    main()
