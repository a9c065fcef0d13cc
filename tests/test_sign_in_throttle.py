"""Password guessing is slowed per account name and per client address, in the database:
it holds across sessions (a reload), processes and both database engines; sign-ins and
failures are in the audit log; the administrator lists and clears locks."""

import subprocess
import sys
from datetime import datetime, timedelta

from sqlalchemy import select

from data_access import accounts
from data_access import sign_in_throttle as throttle
from data_access.schema import audit_log
from tests.support.app_server import REPO_ROOT
from tests.test_accounts import cli, db  # noqa: F401 - the fixture
from tests.test_auth_pages import CHAIR, PASSWORD, _app, _sign_in, signed_db  # noqa: F401 - the fixture

NOW = datetime(2026, 11, 25, 9, 0, 0)


def test_five_failures_lock_the_account_name_not_the_others(db):  # noqa: F811
    for n in range(4):
        throttle.record_failure(db, "Chair760", "10.0.0.1", NOW + timedelta(seconds=n))
    assert throttle.locked_until(db, "chair760", "10.0.0.9", NOW + timedelta(seconds=5)) is None  # 4 are free
    throttle.record_failure(db, "chair760", "10.0.0.2", NOW + timedelta(seconds=5))
    until = throttle.locked_until(db, "chair760", "10.0.0.9", NOW + timedelta(seconds=6))
    assert until == NOW + timedelta(seconds=5 + 30)  # the first lock: 30 s
    assert throttle.locked_until(db, "someone-else", "10.0.0.9", NOW + timedelta(seconds=6)) is None
    assert throttle.locked_until(db, "chair760", "10.0.0.9", NOW + timedelta(seconds=36)) is None  # it ends
    throttle.record_failure(db, "chair760", "10.0.0.2", NOW + timedelta(seconds=40))  # the 6th doubles it
    assert throttle.locked_until(db, "chair760", None, NOW + timedelta(seconds=41)) == NOW + timedelta(seconds=40 + 60)
    throttle.record_success(db, "chair760")
    assert throttle.locked_until(db, "chair760", None, NOW + timedelta(seconds=41)) is None


def test_twenty_failures_from_one_address_lock_it_for_every_name(db):  # noqa: F811
    for n in range(20):
        throttle.record_failure(db, f"guess{n}", "10.0.0.7", NOW + timedelta(seconds=n))
    assert throttle.locked_until(db, "admin", "10.0.0.7", NOW + timedelta(seconds=20)) == NOW + timedelta(seconds=19 + 30)
    assert throttle.locked_until(db, "admin", "10.0.0.8", NOW + timedelta(seconds=20)) is None


def test_an_unknown_address_is_not_one_shared_lock_for_everyone(db):  # noqa: F811
    """Streamlit gives no address for a connection from the machine itself (a proxy there
    that sends no X-Forwarded-For): 20 people's typos must not lock everyone else out. Those
    sign-ins are held to the per-account limit only."""
    for n in range(throttle.ADDRESS_FREE + 5):
        throttle.record_failure(db, f"typo{n}", None, NOW + timedelta(minutes=n))
    assert throttle.locked_until(db, "chair760", None, NOW + timedelta(minutes=25)) is None
    assert throttle.locks(db, NOW + timedelta(minutes=25))["key"].str.startswith("address:").sum() == 0
    for n in range(throttle.ACCOUNT_FREE):  # the account's own limit still holds
        throttle.record_failure(db, "chair760", None, NOW + timedelta(minutes=30, seconds=n))
    assert throttle.locked_until(db, "chair760", None, NOW + timedelta(minutes=30, seconds=5)) is not None


def test_old_failures_are_forgotten(db):  # noqa: F811
    for n in range(4):
        throttle.record_failure(db, "chair760", "10.0.0.1", NOW + timedelta(seconds=n))
    throttle.record_failure(db, "chair760", "10.0.0.1", NOW + timedelta(hours=2))  # counts as the first again
    assert throttle.locked_until(db, "chair760", None, NOW + timedelta(hours=2, seconds=1)) is None


def test_a_lock_set_by_another_process_holds_here(db):  # noqa: F811
    url = db.url.render_as_string(hide_password=False)
    code = (
        "import sys; from data_access import sign_in_throttle as t; from data_access.db import make_engine; "
        "e = make_engine(sys.argv[1]); [t.record_failure(e, 'chair760', '10.0.0.1') for _ in range(5)]"
    )
    subprocess.run([sys.executable, "-c", code, url], cwd=REPO_ROOT, check=True, timeout=60)
    assert throttle.locked_until(db, "chair760", "10.0.0.3") is not None


def test_the_administrator_lists_and_clears_locks(db, monkeypatch, capsys):  # noqa: F811
    for _ in range(5):
        throttle.record_failure(db, "chair760", "10.0.0.1")
    code, out = cli(db, monkeypatch, capsys, "locks")
    assert code == 0 and "account:chair760" in out and "address:10.0.0.1" in out and "True" in out
    code, out = cli(db, monkeypatch, capsys, "unlock", "chair760")
    assert code == 0 and "Cleared 1" in out
    assert throttle.locked_until(db, "chair760", "10.0.0.1") is None
    code, out = cli(db, monkeypatch, capsys, "unlock")
    assert code == 1


def _audit(engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(select(audit_log.c.actor, audit_log.c.action).order_by(audit_log.c.id)).all()]


def test_the_sign_in_page_locks_across_sessions_and_logs_everything(signed_db):  # noqa: F811
    for _ in range(throttle.ACCOUNT_FREE):
        app = _sign_in(_app().run(), CHAIR, "wrong password!")  # a new session each time: a reload
        assert app.error[0].value == "Tên đăng nhập hoặc mật khẩu không đúng."
    app = _sign_in(_app().run(), CHAIR, PASSWORD)  # the right password, in yet another session
    assert "sai quá nhiều lần" in app.error[0].value and app.title[0].value == "Đăng nhập"
    assert not app.sidebar.button  # not signed in
    assert _audit(signed_db) == [(CHAIR, "sign-in-failed")] * 5 + [(CHAIR, "sign-in-locked")]
    assert throttle.unlock(signed_db, CHAIR) == 1
    app = _sign_in(_app().run(), CHAIR, PASSWORD)
    assert app.title[0].value != "Đăng nhập"
    assert _audit(signed_db)[-1] == (CHAIR, "sign-in")
    assert accounts.get(signed_db, CHAIR).active
