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


def _locked_message_page():
    from ui.imports import not_written

    not_written({"db_error": "database is locked", "locked": True})


def _survey_job(sqlite_url: str, tmp_path) -> dict:
    from tests.test_surveys import GOOD, csv_bytes

    path = tmp_path / "khao-sat.csv"
    path.write_bytes(csv_bytes(GOOD))
    return dict(url=sqlite_url, source="surveys", path=str(path), name=path.name, lang="en", actor="t", write=True)


def test_a_database_still_locked_after_the_busy_timeout_is_said_as_such(sqlite_url, tmp_path, monkeypatch):
    """Another writer holds the lock past the busy timeout (0.5 s here, 30 s in the app): the
    import waits that long, then says "database is locked", never a missing grant; a lock
    released within the timeout is simply waited for."""
    import threading
    import time

    from sqlalchemy import create_engine, func, select
    from streamlit.testing.v1 import AppTest

    from data_access import db, ingest_worker, schema
    from tests import tiny_dataset

    tiny_dataset.database(sqlite_url).dispose()
    monkeypatch.setattr(db, "make_engine", lambda url: create_engine(url, connect_args={"timeout": 0.5}))
    holder = sqlite3.connect(sqlite_url.removeprefix("sqlite:///"), isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another import, writing
    started = time.perf_counter()
    outcome = ingest_worker._work(_survey_job(sqlite_url, tmp_path))
    assert outcome.get("locked") and "database is locked" in outcome["db_error"], outcome
    assert time.perf_counter() - started >= 0.5  # it waited for the busy timeout first

    page = AppTest.from_function(_locked_message_page).run()
    shown = " ".join(e.value for e in page.error)
    assert "database is locked" in shown and "quyền ghi" not in shown, shown

    monkeypatch.setattr(db, "make_engine", lambda url: create_engine(url, connect_args={"timeout": 10}))
    threading.Timer(1.0, holder.execute, ["ROLLBACK"]).start()  # the other import ends within the timeout
    outcome = ingest_worker._work(_survey_job(sqlite_url, tmp_path))
    holder.close()
    assert "result" in outcome, outcome
    engine = create_engine(sqlite_url)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(schema.surveys)).scalar() == 5
    engine.dispose()
