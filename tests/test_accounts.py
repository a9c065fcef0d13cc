"""Local accounts: the CLI (add, passwd, disable, enable, list), argon2id hashes, sign-in checks."""

import io
import subprocess
import sys

import pytest
from argon2 import PasswordHasher
from sqlalchemy import insert, select

from data_access import accounts
from data_access.schema import accounts as accounts_table
from data_access.schema import units
from tests import tiny_dataset
from tests.support.app_server import REPO_ROOT

PASSWORD = "Mật-khẩu dài 2026!"
NEW_PASSWORD = "another long passphrase"


@pytest.fixture
def db(engine):
    tiny_dataset.load(engine)
    with engine.begin() as connection:
        connection.execute(insert(units), [dict(code="79.SXD", name="Sở Xây dựng", level="department", parent_code="79")])
    return engine


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def cli(engine, monkeypatch, capsys, *args, stdin: str = "") -> tuple[int, str]:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))  # not a terminal: the password is read from stdin
    code = accounts.main(["--url", _url(engine), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def _stored_hash(engine, username: str) -> str | None:
    with engine.connect() as connection:
        return connection.execute(select(accounts_table.c.password_hash).where(accounts_table.c.username == username)).scalar()


def test_add_stores_only_an_argon2id_hash(db, monkeypatch, capsys):
    code, output = cli(
        db, monkeypatch, capsys, "add", "Lan.Nguyen", "--role", "district_chair", "--unit", "760", "--name", "Nguyễn Thị Lan", stdin=PASSWORD + "\n"
    )
    assert code == 0, output
    assert PASSWORD not in output
    stored = _stored_hash(db, "lan.nguyen")  # user names are kept in lower case
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert PasswordHasher().verify(stored, PASSWORD)
    account = accounts.authenticate(db, "lan.nguyen", PASSWORD)
    assert (account.role, account.unit_code, account.display_name) == ("district_chair", "760", "Nguyễn Thị Lan")
    assert accounts.authenticate(db, "  LAN.NGUYEN ", PASSWORD) is not None
    assert accounts.authenticate(db, "lan.nguyen", PASSWORD + "x") is None
    assert accounts.authenticate(db, "nobody", PASSWORD) is None
    assert accounts.any_active(db)


def test_passwd_disable_and_enable(db, monkeypatch, capsys):
    assert cli(db, monkeypatch, capsys, "add", "admin1", "--role", "admin", stdin=PASSWORD + "\n")[0] == 0
    old_hash = _stored_hash(db, "admin1")
    code, output = cli(db, monkeypatch, capsys, "passwd", "admin1", stdin=NEW_PASSWORD + "\n")
    assert code == 0 and NEW_PASSWORD not in output
    assert _stored_hash(db, "admin1") != old_hash
    assert accounts.authenticate(db, "admin1", PASSWORD) is None
    assert accounts.authenticate(db, "admin1", NEW_PASSWORD) is not None

    assert cli(db, monkeypatch, capsys, "disable", "admin1")[0] == 0
    assert accounts.authenticate(db, "admin1", NEW_PASSWORD) is None  # the right password, refused
    assert not accounts.any_active(db)
    assert cli(db, monkeypatch, capsys, "enable", "admin1")[0] == 0
    assert accounts.authenticate(db, "admin1", NEW_PASSWORD) is not None

    code, output = cli(db, monkeypatch, capsys, "list")
    assert code == 0 and "admin1" in output and "$argon2" not in output


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["add", "x1", "--role", "district_chair", "--unit", "26734"], PASSWORD, "is a ward"),  # a chair needs a district
        (["add", "x1", "--role", "department_head", "--unit", "760"], PASSWORD, "needs a department"),
        (["add", "x1", "--role", "district_chair"], PASSWORD, "needs --unit"),
        (["add", "x1", "--role", "city_leader", "--unit", "760"], PASSWORD, "has no unit"),
        (["add", "x1", "--role", "district_chair", "--unit", "999"], PASSWORD, "no unit with code"),
        (["add", "x1", "--role", "admin"], "short", "at least"),
        (["add", "x 1", "--role", "admin"], PASSWORD, "user name"),
        (["add", "x1", "--role", "admin", "--no-password"], "", "--email"),
        (["passwd", "ghost"], PASSWORD, "no account"),
        (["disable", "ghost"], "", "no account"),
    ],
)
def test_invalid_input_is_refused_with_a_reason(db, monkeypatch, capsys, args, stdin, message):
    code, output = cli(db, monkeypatch, capsys, *args, stdin=stdin + "\n")
    assert code == accounts.EXIT_REFUSED
    assert message in output
    assert not accounts.any_active(db)


def test_usage_errors_and_no_password_on_the_command_line(db, monkeypatch, capsys):
    assert cli(db, monkeypatch, capsys, "add", "x1", "--role", "king")[0] == accounts.EXIT_USAGE
    assert cli(db, monkeypatch, capsys, "add", "x1", "--role", "admin", "--password", PASSWORD)[0] == accounts.EXIT_USAGE
    assert cli(db, monkeypatch, capsys, "add", "x1", "--role", "admin", stdin=PASSWORD + "\n")[0] == 0
    assert cli(db, monkeypatch, capsys, "add", "X1", "--role", "admin", stdin=PASSWORD + "\n")[0] == accounts.EXIT_REFUSED  # exists


def test_identity_provider_accounts_are_matched_by_email(db, monkeypatch, capsys):
    code, _ = cli(db, monkeypatch, capsys, "add", "sxd", "--role", "department_head", "--unit", "79.SXD", "--email", "Giam.Doc@sxd.gov.vn", "--no-password")
    assert code == 0
    assert _stored_hash(db, "sxd") is None
    assert accounts.find_by_identity(db, "giam.doc@SXD.gov.vn").username == "sxd"
    assert accounts.find_by_identity(db, "someone@else.vn") is None
    assert accounts.authenticate(db, "sxd", "") is None  # no password: no local sign-in
    accounts.set_active(db, "sxd", False)
    assert accounts.find_by_identity(db, "giam.doc@sxd.gov.vn") is None


def test_the_command_runs_as_a_module(tmp_path):
    from data_access.db import make_engine
    from data_access.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'accounts.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    done = subprocess.run(
        [sys.executable, "-m", "data_access.accounts", "add", "leader", "--role", "city_leader", "--url", url],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert accounts.authenticate(engine, "leader", PASSWORD).role == "city_leader"
    engine.dispose()
