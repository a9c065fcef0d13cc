"""Issue 14: imports that keep up. The daily dossier summary has no field (day x unit x
channel); a cut by field of part of a month is counted from the facts; two imports at once
on PostgreSQL each keep the other's counts (the refresh is serialised)."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import func, select, text

from data_access import ingest, queries, refresh, schema
from domain.access import SYSTEM
from data_access.db import make_engine
from data_access.migrate import upgrade
from tests import tiny_dataset
from tests.test_ingest import DOSSIER_HEADER, GOOD_DOSSIERS, TODAY, csv_bytes

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def tiny(engine):
    tiny_dataset.load(engine)
    refresh.refresh_summaries(engine, today=TODAY)
    return engine


def _received_by_field(engine, start: date, end: date) -> dict[str, int]:
    """Received dossiers per field counted straight from the facts table (not 1 or 3)."""
    d = schema.dossiers.c
    query = (
        select(d.field_code, func.count())
        .where(d.received_at >= start, d.received_at < date.fromordinal(end.toordinal() + 1), d.status.not_in([1, 3]))
        .group_by(d.field_code)
    )
    with engine.connect() as connection:
        return dict(connection.execute(query).all())


def test_the_daily_dossier_summary_has_no_field(engine):
    assert "field_code" not in schema.dossier_daily.c
    assert "field_code" in schema.dossier_monthly.c


def test_part_of_a_month_by_field_is_counted_from_the_facts(tiny):
    ingest.import_file(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS), "e.csv", actor="test", lang="en")
    start, end = date(2026, 10, 1), date(2026, 10, 15)
    by_field = queries.dossier_counts(tiny, start, end, by=("field_code",), viewer=SYSTEM).set_index("field_code")
    expected = _received_by_field(tiny, start, end)
    assert expected and {k: int(v) for k, v in by_field["received"].items() if v} == expected
    # Summed over fields, every count is the daily summary's (a different path).
    total = queries.dossier_counts(tiny, start, end, viewer=SYSTEM).iloc[0]
    for name in schema.DOSSIER_COUNTS:
        assert by_field[name].sum() == total[name], name
    # By day and field over the whole month: the same as the monthly summary by field.
    daily = queries.dossier_counts(tiny, *OCTOBER, by=("field_code",), period_grain="day", viewer=SYSTEM)
    monthly = queries.dossier_counts(tiny, *OCTOBER, by=("field_code",), viewer=SYSTEM).set_index("field_code")
    summed = daily.drop(columns="period").groupby("field_code").sum()
    for name in schema.DOSSIER_COUNTS:
        assert summed[name].to_dict() == {k: v for k, v in monthly[name].items() if k in summed.index}, name
        assert monthly[name].sum() == summed[name].sum(), name


@pytest.mark.postgres
def test_two_imports_at_once_on_postgresql_keep_each_others_counts(pg_url, monkeypatch):
    engine = make_engine(pg_url)
    upgrade(engine)
    tiny_dataset.load(engine)
    refresh.refresh_summaries(engine, today=TODAY)

    def received_on(day: str, unit: str) -> int:
        d = schema.dossier_daily.c
        with engine.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.sum(d.received), 0)).where(d.day == date.fromisoformat(day), d.unit_code == unit)).scalar())

    def monthly_received(unit: str) -> int:
        m = schema.dossier_monthly.c
        with engine.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.sum(m.received), 0)).where(m.month == date(2026, 10, 1), m.unit_code == unit)).scalar())

    day_before, month_before = received_on("2026-10-05", "26734"), monthly_received("26734")
    first = [f"A{i},26734,P1,1,05/10/2026 08:0{i},09/10/2026 17:00,,4" for i in range(3)]
    second = [f"B{i},26734,P1,1,05/10/2026 09:0{i},09/10/2026 17:00,,4" for i in range(2)]

    # The first import stops just before its commit (at its audit row) until the second one
    # is waiting; without a serialised refresh the second counts without the first's rows.
    release, errors, results = threading.Event(), [], {}
    original = ingest.record_audit
    calls = []

    def audit(connection, *args, **kwargs):
        calls.append(args)
        if len(calls) == 1:
            release.wait(30)
        return original(connection, *args, **kwargs)

    monkeypatch.setattr(ingest, "record_audit", audit)

    def run(name, rows):
        try:
            checked, result = ingest.import_file(engine, "dossiers", csv_bytes(DOSSIER_HEADER, rows), f"{name}.csv", actor=name, lang="en")
            results[name] = (checked.ok, result and result.added)
        except Exception as error:  # noqa: BLE001 - the test reports it
            errors.append(error)

    a = threading.Thread(target=run, args=("a", first))
    a.start()
    deadline = time.monotonic() + 30
    while not calls and time.monotonic() < deadline:
        time.sleep(0.05)
    b = threading.Thread(target=run, args=("b", second))
    b.start()
    # Wait until the second import is blocked on the refresh lock (or 5 s), then let the first commit.
    with engine.connect() as connection:
        for _ in range(100):
            waiting = connection.execute(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")).scalar()
            if waiting:
                break
            time.sleep(0.05)
    release.set()
    a.join(60)
    b.join(60)
    assert not errors, errors
    assert results == {"a": (True, 3), "b": (True, 2)}
    assert received_on("2026-10-05", "26734") == day_before + 5
    assert monthly_received("26734") == month_before + 5
    engine.dispose()
