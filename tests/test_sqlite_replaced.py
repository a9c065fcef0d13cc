"""The SQLite file replaced under a running app (a restored copy moved into place): the
engine notices and refuses with a clear message, writing into neither file (pooled
connections would write into the moved-away one; a new one would read its stale
write-ahead log over the restored file)."""

import os
import shutil
import sqlite3

import pytest
from sqlalchemy import text

from data_access.db import DatabaseUnavailable, make_engine


def _rows(path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [r[0] for r in connection.execute("select note from notes order by note")]


def test_a_replaced_file_is_noticed_and_refused(tmp_path):
    live = tmp_path / "app.sqlite"
    with sqlite3.connect(live) as connection:
        connection.execute("create table notes (note text)")
        connection.execute("insert into notes values ('before')")
    shutil.copy(live, tmp_path / "restore.sqlite")
    engine = make_engine(f"sqlite:///{live}")
    with engine.begin() as connection:  # the pool now holds a connection to this file
        connection.execute(text("insert into notes values ('in the app')"))
    with sqlite3.connect(tmp_path / "restore.sqlite") as connection:
        connection.execute("insert into notes values ('restored')")

    os.replace(live, tmp_path / "moved-away.sqlite")
    shutil.move(tmp_path / "restore.sqlite", live)  # a new file (another inode) at the same path
    with pytest.raises(DatabaseUnavailable, match="replaced while the app runs; nothing was written"):
        with engine.begin() as connection:
            connection.execute(text("insert into notes values ('commitment')"))
    engine.dispose()
    assert "commitment" not in _rows(tmp_path / "moved-away.sqlite")
    os.remove(f"{live}-wal")  # the old file's write-ahead log, left at the path (README: restoring)
    assert _rows(live) == ["before", "restored"]  # the restored file: nothing written into it
    fresh = make_engine(f"sqlite:///{live}")  # what a restart does
    with fresh.connect() as connection:
        assert sorted(connection.execute(text("select note from notes")).scalars()) == ["before", "restored"]
    fresh.dispose()


def test_a_missing_file_is_said_as_such_not_created_empty(tmp_path):
    live = tmp_path / "app.sqlite"
    engine = make_engine(f"sqlite:///{live}")
    with engine.begin() as connection:
        connection.execute(text("create table notes (note text)"))
    os.replace(live, tmp_path / "moved-away.sqlite")
    with pytest.raises(DatabaseUnavailable, match="missing"):
        with engine.connect() as connection:
            connection.execute(text("select 1"))
    assert not live.exists()
    engine.dispose()


def test_a_damaged_database_file_is_not_blamed_on_grants(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.support.app_server import REPO_ROOT

    damaged = tmp_path / "damaged.sqlite"
    damaged.write_bytes(b"this was a database before the disk filled up" * 100)
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{damaged}")
    app = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=60).run()
    assert not app.exception
    shown = " ".join(e.value for e in app.error)
    assert "bị hỏng" in shown and "sao lưu" in shown
    assert "thiếu quyền" not in shown
