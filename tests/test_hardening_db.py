"""Production hardening against a real PostgreSQL server.

- The database stops while the app runs: the real app (scripts/serve.py, headless Chromium)
  shows the clear Vietnamese message and no traceback, and shows data again once the server
  is back, after "Thử lại", without restarting the app. The same at AppTest level.
- docs/postgresql.md: its SQL blocks, run exactly as written, give the app's role read
  rights plus writes on commitments only, and the importer what an import needs; the app
  renders as `dashboard_app` (it never migrates a PostgreSQL database).

The `pg_server` fixture is shared by the whole session: every test that stops it starts it
again in a `finally`.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import ProgrammingError

import demo
from data_access import ingest, refresh
from data_access.db import make_engine
from data_access.migrate import current_revision, head_revision, upgrade
from tests.support.app_server import REPO_ROOT
from tests.support.browser import EXCEPTION, wait_for_app
from tests.test_app_smoke import run_app
from playwright.sync_api import expect

pytestmark = pytest.mark.postgres

ENV = "DASHBOARD_DATABASE_URL"
UNREACHABLE = "Không kết nối được cơ sở dữ liệu"
DOC = REPO_ROOT / "docs" / "postgresql.md"

# A few months of the small demo keep the set-up to seconds. The demo ends with the last
# complete month; the views below ask for a period no earlier run has cached.
END = demo.default_end()
# From the start of the latest quarter that ends by END (three to five months): that quarter
# is then complete in the data whatever the day the tests run (a start three months back
# fell inside a quarter in some months, and the quarter below was not offered).
_QUARTER_LAST_MONTH = END.month - END.month % 3
START = date(END.year if _QUARTER_LAST_MONTH else END.year - 1, (_QUARTER_LAST_MONTH or 12) - 2, 1)
QUARTER = f"{START.year}-Q{(START.month - 1) // 3 + 1}"
SECOND_MONTH = (START + timedelta(days=40)).strftime("%Y-%m")


def _fill(url: str) -> None:
    engine = make_engine(url)
    try:
        upgrade(engine)
        demo.generate(engine, size="small", seed=7, start=START, end=END)
        refresh.refresh_summaries(engine)
    finally:
        engine.dispose()


def _ensure_running(server) -> None:
    if not server.running:
        server.start()


@pytest.fixture(scope="module")
def demo_pg(pg_server):
    """A PostgreSQL database (superuser-owned) with a few months of small demo data."""
    _ensure_running(pg_server)
    name = pg_server.create_database()
    _fill(pg_server.url(name))
    yield pg_server.url(name)
    _ensure_running(pg_server)
    pg_server.drop_database(name)


def _check_offered(period: str) -> list[str]:
    """Guards the test itself: the period asked for is one the filter bar offers."""
    from metrics import periods

    parsed = periods.parse_period(period)
    assert START <= parsed.start and parsed.end <= END, (period, START, END)
    return [period]


# --- the database stops and comes back while the app runs ------------------------------------
@pytest.mark.browser
def test_real_app_survives_a_postgresql_restart(pg_server, demo_pg, streamlit_server, page):
    _check_offered(QUARTER)
    _check_offered(SECOND_MONTH)
    server = streamlit_server(REPO_ROOT / "app.py", env={ENV: demo_pg}, cwd=REPO_ROOT)
    pid = server.process.pid
    metric = page.get_by_test_id("stMetric")
    unreachable = page.get_by_text(UNREACHABLE)

    page.goto(f"{server.url}/")
    wait_for_app(page)
    metric.first.wait_for(timeout=30_000)  # a loaded machine may show the idle frame before the cards
    assert metric.count() >= 2, server.log_tail()
    assert unreachable.count() == 0

    try:
        pg_server.stop()
        # A new session on a view whose data no cache holds yet: the loader must reach the database.
        page.goto(f"{server.url}/?period={QUARTER}")
        wait_for_app(page, allow_exceptions=True)
        unreachable.first.wait_for(timeout=45_000)
        assert page.locator(EXCEPTION).count() == 0, page.locator(EXCEPTION).first.inner_text()
        assert metric.count() == 0
        expect(page.get_by_role("button", name="Thử lại")).to_be_visible()

        # Another page and period while the server is still down: the same message.
        page.goto(f"{server.url}/trends?period={SECOND_MONTH}")
        wait_for_app(page, allow_exceptions=True)
        unreachable.first.wait_for(timeout=45_000)
        assert page.locator(EXCEPTION).count() == 0

        # Still down: "Thử lại" gives the message again, not a traceback.
        page.get_by_role("button", name="Thử lại").click()
        page.wait_for_timeout(500)
        wait_for_app(page, allow_exceptions=True)
        unreachable.first.wait_for(timeout=45_000)
        assert page.locator(EXCEPTION).count() == 0
    finally:
        _ensure_running(pg_server)

    # Back: "Thử lại" (clears the data caches, runs again) shows data; the app never restarted.
    page.goto(f"{server.url}/?period={QUARTER}")
    wait_for_app(page, allow_exceptions=True)
    if unreachable.count():  # the reload above may still have met the stale pool: try again
        page.get_by_role("button", name="Thử lại").click()
    metric.first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert unreachable.count() == 0
    assert metric.count() >= 2
    assert server.process is not None and server.process.pid == pid and server.process.poll() is None


@pytest.mark.browser
def test_retry_button_recovers_the_same_session(pg_server, demo_pg, streamlit_server, page):
    """The message's own button, in the session that saw the outage, brings the data back."""
    server = streamlit_server(REPO_ROOT / "app.py", env={ENV: demo_pg}, cwd=REPO_ROOT)
    metric = page.get_by_test_id("stMetric")
    unreachable = page.get_by_text(UNREACHABLE)
    page.goto(f"{server.url}/")
    wait_for_app(page)
    metric.first.wait_for(timeout=60_000)  # on a loaded machine the cards come a moment after the heading
    assert metric.count() >= 2
    try:
        pg_server.stop()
        page.goto(f"{server.url}/?period={SECOND_MONTH}")
        wait_for_app(page, allow_exceptions=True)
        unreachable.first.wait_for(timeout=45_000)
        assert page.locator(EXCEPTION).count() == 0
    finally:
        _ensure_running(pg_server)
    page.get_by_role("button", name="Thử lại").click()
    metric.first.wait_for(timeout=60_000)
    wait_for_app(page)
    assert unreachable.count() == 0
    assert page.locator(EXCEPTION).count() == 0


def test_apptest_postgresql_restart(pg_server, demo_pg, monkeypatch):
    """AppTest level (tests/test_overview.py covers a closed port): a real server that stops
    and starts again; the engine and its pool are the same objects all along."""
    monkeypatch.setenv(ENV, demo_pg)
    app = run_app()
    assert not app.exception and not app.error
    assert len(app.metric) >= 2
    try:
        pg_server.stop()
        down = run_app(period=SECOND_MONTH)
        assert not down.exception, down.exception[0].value if down.exception else ""
        assert UNREACHABLE in down.error[0].value
        retry = next(button for button in down.button if button.label == "Thử lại")
        down = retry.click().run()
        assert not down.exception
        assert UNREACHABLE in down.error[0].value  # still down: the message again
    finally:
        _ensure_running(pg_server)
    retry = next(button for button in down.button if button.label == "Thử lại")
    back = retry.click().run()
    assert not back.exception, back.exception[0].value if back.exception else ""
    assert not back.error, [e.value for e in back.error]
    assert len(back.metric) >= 2


# --- docs/postgresql.md: roles and grants ----------------------------------------------------
def _doc_sql_blocks() -> list[str]:
    blocks = re.findall(r"```sql\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) == 2, "docs/postgresql.md: expected two ```sql blocks (roles and database, then privileges)"
    return blocks


def _statements(block: str) -> list[str]:
    lines = [line for line in block.splitlines() if not line.strip().startswith("--")]
    text = "\n".join(lines)
    assert "$$" not in text, "the splitter below does not handle dollar-quoted bodies"
    return [statement.strip() for statement in text.split(";") if statement.strip()]


def _run_block(dsn: str, block: str) -> None:
    with psycopg.connect(dsn, autocommit=True) as connection:  # CREATE DATABASE refuses a transaction
        for statement in _statements(block):
            connection.execute(statement)


def _as(pg_server, role: str, dbname: str = "dashboard") -> str:
    return f"postgresql+psycopg://{role}@{pg_server.host}:{pg_server.port}/{dbname}"


def _denied(engine, statement: str, params: dict | None = None) -> str:
    with pytest.raises(ProgrammingError) as error:
        with engine.begin() as connection:
            connection.execute(sa.text(statement), params or {})
    assert "permission denied" in str(error.value), str(error.value)
    return str(error.value)


RATING_CSV = "Mã đánh giá,Mã đơn vị,Kênh đánh giá,Mức độ hài lòng,Thời gian đánh giá\n{key},{unit},kiosk,Hài lòng,{day}\n"


@pytest.fixture(scope="module")
def documented_database(pg_server):
    """The doc's roles and database, created and migrated as the doc says; removed afterwards."""
    _ensure_running(pg_server)
    roles_block, privileges_block = _doc_sql_blocks()
    try:
        _run_block(pg_server.dsn("postgres"), roles_block)
        owner_url = _as(pg_server, "dashboard_owner")
        owner = make_engine(owner_url)
        upgrade(owner)  # what `python -m data_access.migrate URL` does, as the owner
        owner.dispose()
        _fill(owner_url)  # demo data loaded by the owner (a real city: the importer)
        _run_block(pg_server.dsn("dashboard"), privileges_block)
        _run_block(pg_server.dsn("dashboard"), privileges_block)  # safe to run again
        yield privileges_block
    finally:
        _ensure_running(pg_server)
        with psycopg.connect(pg_server.dsn("postgres"), autocommit=True) as connection:
            connection.execute("DROP DATABASE IF EXISTS dashboard WITH (FORCE)")
            for role in ("dashboard_app", "dashboard_import", "dashboard_owner"):
                connection.execute(f"DROP ROLE IF EXISTS {role}")


def test_documented_grants_on_real_postgresql(pg_server, documented_database):
    app = make_engine(_as(pg_server, "dashboard_app"))
    importer = make_engine(_as(pg_server, "dashboard_import"))
    try:
        assert current_revision(app) == head_revision()  # the app's start-up check reads alembic_version
        with app.connect() as connection:
            for table in ("rating_daily", "rating_monthly", "dossier_daily", "dossier_monthly", "backlog_daily", "units", "ratings"):
                assert connection.execute(sa.text(f"select count(*) from {table}")).scalar_one() >= 0
            assert connection.execute(sa.text("select count(*) from rating_monthly")).scalar_one() > 0
            # A ward in force on END (the rating below is dated then; former wards ended on 30 June 2025).
            ward = connection.execute(sa.text("select code from units where level = 'ward' and valid_to is null order by code limit 1")).scalar_one()

        # The app may not touch facts, summaries or dimensions, nor create tables.
        _denied(app, "insert into ratings (source_key, unit_code, channel, level, rated_at) values ('x', :u, 'kiosk', 1, now())", {"u": ward})
        _denied(app, "update dossiers set status = status")
        _denied(app, "delete from rating_daily")
        _denied(app, "update units set name = name")
        _denied(app, "delete from commitments")
        _denied(app, "update audit_log set actor = actor")
        _denied(app, "create table intruder (id int)")

        # ... but records meeting commitments (rolled back: the transaction is never committed).
        from data_access.schema import commitment_updates, commitments

        now = sa.func.now()
        with app.connect() as connection:
            transaction = connection.begin()
            new_id = connection.execute(
                sa.insert(commitments)
                .values(unit_code=ward, title="Giảm hồ sơ trễ hạn", due_date=END, status="open", meeting_date=END, created_at=now, created_by="test")
                .returning(commitments.c.id)
            ).scalar_one()
            connection.execute(sa.insert(commitment_updates).values(commitment_id=new_id, at=now, by="test", new_status="open"))
            connection.execute(sa.update(commitments).where(commitments.c.id == new_id).values(status="done", closed_at=now))
            connection.execute(sa.text("insert into audit_log (at, actor, action, what) values (now(), 'test', 'export', 'x')"))
            transaction.rollback()
        with app.connect() as connection:
            assert connection.execute(sa.text("select count(*) from commitments")).scalar_one() == 0

        # The importer: a real import (staging temp table, upsert, summary refresh, audit row).
        csv = RATING_CSV.format(key="HARDEN-1", unit=ward, day=END.strftime("%d/%m/%Y 09:00")).encode("utf-8")
        checked, result = ingest.import_file(importer, "ratings", csv, "harden.csv", actor="test", lang="en")
        assert checked.ok, checked.message
        assert result is not None and result.added == 1
        refresh.refresh_summaries(importer)
        _denied(
            importer,
            "insert into commitments (unit_code, title, due_date, status, meeting_date, created_at, created_by) "
            "values (:u, 't', now(), 'open', now(), now(), 'x')",
            {"u": ward},
        )
        _denied(importer, "delete from ratings")
        _denied(importer, "delete from audit_log")
        _denied(importer, "update units set name = name")

        # The app's role cannot import (docs/postgresql.md, "Uploads on the Data page").
        with pytest.raises(ProgrammingError, match="permission denied"):
            ingest.import_file(app, "ratings", csv.replace(b"HARDEN-1", b"HARDEN-2"), "x.csv", actor="test", lang="en")

        # A table a later migration adds is readable by the app at once (default privileges).
        owner = make_engine(_as(pg_server, "dashboard_owner"))
        with owner.begin() as connection:
            connection.execute(sa.text("create table later_table (id int)"))
        owner.dispose()
        with app.connect() as connection:
            assert connection.execute(sa.text("select count(*) from later_table")).scalar_one() == 0
    finally:
        app.dispose()
        importer.dispose()


@pytest.mark.parametrize("page_path", ["pages/overview/overview.py", "pages/meeting/meeting.py", "pages/analysis/rankings.py", "pages/admin/data.py"])
def test_app_renders_as_the_read_only_role(pg_server, documented_database, monkeypatch, page_path):
    """The app as `dashboard_app`: no migration attempted, no permission error on any read."""
    url = _as(pg_server, "dashboard_app")
    monkeypatch.setenv(ENV, url)
    app = run_app(page_path)
    assert not app.exception, app.exception[0].value if app.exception else ""
    assert not app.error, [e.value for e in app.error]
    assert app.title or app.header
    if page_path.endswith("overview.py"):
        assert len(app.metric) >= 2
