"""The schema as migrations build it, and the timeliness rule in its two spellings."""

from datetime import date

import pandas as pd
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from data_access import migrate
from data_access.schema import dossiers, metadata
from data_access.timeliness_sql import is_early, is_late, is_on_time, is_overdue_at
from domain import timeliness
from tests import tiny_dataset


def test_migrations_build_exactly_the_declared_schema(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []


def test_downgrade_to_nothing_and_back(engine):
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert {"units", "ratings", "dossiers", "rating_daily", "backlog_daily"} <= set(inspect(engine).get_table_names())


def test_migrate_command_upgrades_the_named_database(tmp_path):
    """`python -m data_access.migrate --url URL` (README) creates the schema at the head
    revision; `--help` answers (operators script against it)."""
    import subprocess
    import sys
    from pathlib import Path

    from data_access.db import make_engine

    root = Path(__file__).resolve().parent.parent
    helped = subprocess.run([sys.executable, "-m", "data_access.migrate", "--help"], cwd=root, capture_output=True, text=True, timeout=60)
    assert helped.returncode == 0 and "--url" in helped.stdout
    url = f"sqlite:///{tmp_path / 'new.sqlite'}"
    done = subprocess.run([sys.executable, "-m", "data_access.migrate", "--url", url], cwd=root, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    engine = make_engine(url)
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert "dossiers" in inspect(engine).get_table_names()
    engine.dispose()


def test_vietnamese_text_round_trips(engine):
    tiny_dataset.load(engine)
    with engine.connect() as connection:
        names = set(connection.execute(select(metadata.tables["units"].c.name)).scalars())
    assert "Phường Đa Kao" in names


def test_sql_and_python_rules_agree_on_every_tiny_dossier(engine):
    tiny_dataset.load(engine)
    as_of = date(2026, 10, 31)
    query = select(
        dossiers.c.code,
        is_early().label("early"),
        is_on_time().label("on_time"),
        is_late().label("late"),
        is_overdue_at(as_of).label("overdue"),
    )
    with engine.connect() as connection:
        sql = {row.code: row for row in connection.execute(query)}
    frame = pd.DataFrame(tiny_dataset.DOSSIERS)
    frame = frame[~frame["status"].isin([3, 7, 8])]
    python = timeliness.classify(frame, pd.Timestamp("2026-10-31 23:59"))
    for code, label in zip(frame["code"], python):
        row = sql[code]
        assert bool(row.early) == (label == "early"), code
        assert bool(row.on_time) == (label == "on_time"), code
        assert bool(row.late) == (label == "late"), code
        assert bool(row.overdue) == (label == "overdue"), code


@pytest.mark.parametrize(
    "code, expected",
    [("D1", "early"), ("D2", "on_time"), ("D3", "late"), ("D4", "early"), ("D5", "late"), ("D6", "overdue"), ("D7", "in_time"), ("D9", "late")],
)
def test_python_rule_by_hand(code, expected):
    frame = pd.DataFrame(tiny_dataset.DOSSIERS).set_index("code").loc[[code]]
    assert timeliness.classify(frame, pd.Timestamp("2026-10-31 23:59")).iloc[0] == expected
