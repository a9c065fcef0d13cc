"""Steps at scale: the "Khâu nào chậm" page's render times and the steps import speed.

    python -m benchmarks.steps --url sqlite:////path/to/demo.sqlite   # a demo database with steps
    python -m benchmarks.steps --size city                            # the city demo (built once)

Pages: the steps page for the city, a district and a ward, and the unit profile (which
reads the step summary), cold and warm as benchmarks/pages.py times them. Import: the steps
of the latest N dossiers with steps are written to a CSV and imported again with
`python -m data_access.ingest steps` (it replaces them: the database ends as it began).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import pandas as pd
from sqlalchemy import select

from benchmarks.common import demo_db_url, render_times

VIEWS = [
    ("steps: city", "pages/analysis/steps.py", {"unit": "79"}),
    ("steps: district 760", "pages/analysis/steps.py", {"unit": "760"}),
    ("steps: ward 26734", "pages/analysis/steps.py", {"unit": "26734"}),
    ("profile: ward 26734", "pages/analysis/unit_profile.py", {"unit": "26734"}),
]


def import_speed(url: str, dossiers: int) -> tuple[int, float]:
    from data_access import ingest
    from data_access.db import make_engine
    from data_access.schema import dossier_steps

    engine = make_engine(url)
    s = dossier_steps.c
    with engine.connect() as connection:
        codes = [r[0] for r in connection.execute(select(s.dossier_code).where(s.step_order == 1).order_by(s.id.desc()).limit(dossiers))]
        rows = pd.DataFrame(
            connection.execute(
                select(s.dossier_code, s.step_order, s.step, s.department, s.officer_code, s.started_at, s.finished_at, s.due_at).where(
                    s.dossier_code.in_(codes[:900])
                )
            ).all()
        )
        for start in range(900, len(codes), 900):
            more = connection.execute(
                select(s.dossier_code, s.step_order, s.step, s.department, s.officer_code, s.started_at, s.finished_at, s.due_at).where(
                    s.dossier_code.in_(codes[start : start + 900])
                )
            ).all()
            rows = pd.concat([rows, pd.DataFrame(more)], ignore_index=True)
    rows.columns = ["dossier_code", "step_order", "step", "department", "officer_code", "started_at", "finished_at", "due_at"]
    for name in ("started_at", "finished_at", "due_at"):
        rows[name] = pd.to_datetime(rows[name], format="ISO8601").dt.strftime("%Y-%m-%d %H:%M:%S").fillna("")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "steps.csv"
        rows.to_csv(path, index=False)
        started = time.perf_counter()
        code = ingest.main(["steps", str(path), "--url", url, "--quiet", "--actor", "benchmark"])
        seconds = time.perf_counter() - started
    assert code == 0, f"import failed with exit code {code}"
    return len(rows), seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="city", choices=["small", "default", "city"])
    parser.add_argument("--url", default=None, help="a database URL instead of the demo of --size")
    parser.add_argument("--dossiers", type=int, default=20_000, help="dossiers whose steps are re-imported")
    args = parser.parse_args(argv)
    url = args.url or demo_db_url(args.size)
    os.environ["DASHBOARD_DATABASE_URL"] = url
    print(f"database: {url}")
    print(f"{'view':32s} {'cold ms':>9s} {'warm ms':>9s}")
    for name, page, params in VIEWS:
        cold, warm = render_times(url, page, params)
        print(f"{name:32s} {cold:9.0f} {warm:9.0f}", flush=True)
    rows, seconds = import_speed(url, args.dossiers)
    print(f"steps import: {rows:,} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s, end to end with the CLI)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
