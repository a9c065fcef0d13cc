"""Shared fixtures. The helpers behind them live in `tests/support/`.

Databases
- `pg_server` (session): a running `tests.support.postgres.PostgresServer` (real PostgreSQL
  on 127.0.0.1, trust auth, user postgres). `.stop()` / `.start()` / `.restart()` stop and
  bring back the same server on the same port; `.url(dbname)`, `.create_database()`.
  No server binaries: skipped, or failed under CI=true.
- `pg_url` (function): "postgresql+psycopg://postgres@127.0.0.1:PORT/test_xxxx", a fresh
  empty database, dropped afterwards.
- `sqlite_url` (function): "sqlite:///<tmp_path>/test.sqlite", a fresh (not yet created) file.
- `db_url` (function, parametrised, ids "sqlite" and "postgresql"): one of the two above.
- `engine` (function): `make_engine(db_url)` migrated with `data_access.migrate.upgrade`;
  disposed afterwards. Tests using it run on both backends.
- `engine_at_0009` (function): like `engine`, a database made before unit versions
  (revision 0009, old-style units and a few facts: tests/test_reference_init.py old_database),
  then upgraded.
- `generated_boundaries` (session): the approximate boundaries of the demo geography
  (GeoDataFrame of wards, districts and the city), built once.
- `demo_db_url` (session): "sqlite:///<session tmp>/demo.sqlite", migrated and filled with
  the small demo data (seed 7), its summaries and the approximate boundaries. Read-only.
- `demo_db_env` (function): sets DASHBOARD_DATABASE_URL=demo_db_url for the test (AppTest)
  and yields the URL.

Servers and browser (mark browser tests with `@pytest.mark.browser`)
- `app_server` (session): base URL "http://127.0.0.1:PORT" of `streamlit run app.py` on the
  demo database.
- `streamlit_server` (function): a factory `start(script, env=None, cwd=None, extra_args=())`
  -> a started `tests.support.app_server.StreamlitServer` (`.url`, `.log_tail()`,
  `.stop()`); every server it started is stopped after the test.
- `browser` (session): a Playwright `Browser` (Debian Chromium, headless).
- `page` (function): a fresh Playwright `Page` (own context, 1400x900). On failure a
  screenshot is saved and its path printed in the report.
- `wait_for_app(page)` (import from `tests.support.browser`): waits for the script run to end.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support import in_ci, missing_tool
from tests.support.app_server import StreamlitServer, dashboard_server
from tests.support.postgres import PostgresServer

DATABASE_ENV_VAR = "DASHBOARD_DATABASE_URL"


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: a real-browser test (Playwright + Debian Chromium)")
    config.addinivalue_line("markers", "postgres: needs the real PostgreSQL server")


# --- PostgreSQL ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def pg_server():
    server = PostgresServer.find()
    if server is None:
        missing_tool("PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin (Debian package postgresql)")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        missing_tool("runuser not found (needed to run PostgreSQL as the postgres user)")
    try:
        server.start()
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def pg_url(pg_server):
    if not pg_server.running:  # a test that stopped the server and failed before restarting it
        pg_server.start()
    name = pg_server.create_database()
    yield pg_server.url(name)
    try:
        pg_server.drop_database(name)
    except Exception:  # noqa: BLE001 - the whole cluster is removed at the end anyway
        pass


@pytest.fixture
def sqlite_url(tmp_path):
    return f"sqlite:///{tmp_path / 'test.sqlite'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request):
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


def _engine_made_by(db_url, prepare):
    """An engine on db_url, `prepare(engine)` done first; disposed after the test (yield from it)."""
    from data_access.db import make_engine

    eng = make_engine(db_url)
    try:
        prepare(eng)
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def engine(db_url):
    from data_access.migrate import upgrade

    yield from _engine_made_by(db_url, upgrade)


@pytest.fixture
def engine_at_0009(db_url):
    from tests.test_reference_init import old_database

    yield from _engine_made_by(db_url, old_database)


@pytest.fixture(scope="session")
def generated_boundaries():
    """The approximate boundaries of the demo geography (built once: it takes seconds)."""
    from geo.generated import build_generated_boundaries

    return build_generated_boundaries()


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory, generated_boundaries):
    import demo
    from data_access import refresh
    from data_access.db import make_engine
    from data_access.migrate import upgrade
    from geo.boundaries import save_boundaries
    from geo.generated import SOURCE_LABEL
    from geo.simplify import simplify_levels

    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite'}"
    eng = make_engine(url)
    try:
        upgrade(eng)
        demo.generate(eng, size="small", seed=7)
        refresh.refresh_summaries(eng)
        save_boundaries(eng, simplify_levels(generated_boundaries), source=SOURCE_LABEL, approximate=True)
    finally:
        eng.dispose()
    return url


@pytest.fixture
def demo_db_env(demo_db_url, monkeypatch):
    monkeypatch.setenv(DATABASE_ENV_VAR, demo_db_url)
    return demo_db_url


# --- Streamlit servers --------------------------------------------------------------------
@pytest.fixture(scope="session")
def app_server(demo_db_url):
    with dashboard_server(demo_db_url) as server:
        yield server.url


@pytest.fixture
def streamlit_server():
    started: list[StreamlitServer] = []

    def start(script, env=None, cwd=None, extra_args=(), address="127.0.0.1"):
        server = StreamlitServer(script, env=env, cwd=cwd, extra_args=extra_args, address=address)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.stop()


# --- Browser ------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _playwright():
    from tests.support.browser import CHROMIUM

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing_tool("Python package playwright not installed (requirements-dev.txt)")
    if not CHROMIUM.exists():
        missing_tool(f"{CHROMIUM} not found (Debian package chromium)")
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(_playwright):
    from tests.support.browser import launch_chromium

    chromium = launch_chromium(_playwright)
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")
    context.set_default_timeout(30_000)
    pg = context.new_page()
    try:
        yield pg
    finally:
        context.close()


def _screenshot_dir(config) -> Path:
    configured = os.environ.get("TEST_SCREENSHOT_DIR")
    if configured:
        return Path(configured)
    return Path(config._tmp_path_factory.getbasetemp()) / "screenshots"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when != "call" or not report.failed:
        return
    page_ = getattr(item, "funcargs", {}).get("page")
    if page_ is None or page_.is_closed():
        return
    try:
        folder = _screenshot_dir(item.config)
        folder.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in item.nodeid)[-150:]
        path = folder / f"{safe}.png"
        page_.screenshot(path=str(path), full_page=True)
        report.sections.append(("browser screenshot", f"saved to {path}"))
    except Exception as error:  # noqa: BLE001 - a failed screenshot must not hide the failure
        report.sections.append(("browser screenshot", f"could not be taken: {error}"))


def pytest_report_header(config):
    return f"CI={in_ci()} (missing PostgreSQL/Chromium {'fail' if in_ci() else 'skip'} their tests)"
