"""Two imports at once on SQLite: the second waits for the first (busy timeout) instead of
failing with "database is locked" (which the Data page also used to call a missing grant)."""

import sqlite3
import subprocess
import sys

from benchmarks.ingest import ratings_csv
from data_access.db import make_engine
from tests.support import copy_sqlite
from tests.support.app_server import REPO_ROOT

ROWS = 60_000


def test_two_imports_at_once_both_land(demo_db_url, tmp_path):
    database = tmp_path / "two.sqlite"
    url = copy_sqlite(demo_db_url, database)
    engine = make_engine(url)
    ratings_csv(engine, tmp_path / "all.csv", 2 * ROWS, 40)
    with sqlite3.connect(database) as connection:
        before = connection.execute("select count(*) from ratings").fetchone()[0]
    engine.dispose()
    lines = (tmp_path / "all.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    for name, part in (("a.csv", lines[1 : ROWS + 1]), ("b.csv", lines[ROWS + 1 :])):
        (tmp_path / name).write_text(lines[0] + "".join(part), encoding="utf-8")
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "data_access.ingest", "ratings", str(tmp_path / name), "--url", url, "--quiet", "--lang", "en"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("a.csv", "b.csv")
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with sqlite3.connect(database) as connection:
        assert connection.execute("select count(*) from ratings").fetchone()[0] == before + 2 * ROWS
