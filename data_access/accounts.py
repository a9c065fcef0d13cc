"""Local accounts: who may sign in, with which role and unit. Passwords are kept only as
argon2id hashes (argon2-cffi's PasswordHasher defaults); a password never leaves this module
in any other form and is never printed or logged.

    python -m data_access.accounts add USERNAME --role ROLE [--unit CODE] [--name "..."] [--email ...] [--no-password]
    python -m data_access.accounts passwd USERNAME
    python -m data_access.accounts disable USERNAME
    python -m data_access.accounts enable USERNAME
    python -m data_access.accounts list
    python -m data_access.accounts locks                      (sign-in failures and locks)
    python -m data_access.accounts unlock [USERNAME] [--address IP]
    (every command takes --url DB_URL; default: DASHBOARD_DATABASE_URL, secrets, the demo file)

The password is read with getpass on a terminal, else from the first line of stdin; never
from the command line. `--no-password` makes an account that signs in only through the
identity provider (OpenID Connect), matched by its email.

Roles (domain.access.ROLES): city_leader and admin have no unit; ward_chair needs a
phường/xã in force; area_leader a former district or province that today's units came from
(an "area", `--unit 760` for the former Quận 1); department_head a department;
district_chair a district in force (a city still on three tiers).

Exit codes: 0 done, 1 refused (invalid input: the message says why), 2 usage error,
3 database error.
"""

from __future__ import annotations

import argparse
import functools
import getpass
import re
import sys
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from data_access.frames import rows_frame
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from domain.errors import UserFacingError
from domain.access import ROLES, UNIT_LEVEL_OF_ROLE, Viewer, role_unit_problem
from data_access.schema import accounts
from data_access.command_line import print_database_error

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_DATABASE = 0, 1, 2, 3
MIN_PASSWORD = 10
MAX_PASSWORD = 1024
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,99}$")
_hasher = PasswordHasher()


class AccountError(UserFacingError, ValueError):
    """Invalid input for an account; the detail says what to fix (the command line prints
    `Refused: <detail>`)."""

    vi = "Không chấp nhận thông tin tài khoản. Chi tiết: "
    en = "The account details were refused. Details: "
    icon = ":material/person_off:"


@dataclass(frozen=True)
class Account:
    username: str
    display_name: str
    role: str
    unit_code: str | None
    email: str | None
    active: bool
    has_password: bool

    def viewer(self) -> Viewer:
        return Viewer(self.username, self.role, self.unit_code, self.display_name)


# --- hashing -----------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when the user is unknown, so both cases take as long."""
    return _hasher.hash("not-a-real-password-" + "x" * 16)


def _verify(stored: str | None, password: str) -> bool:
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"the password must have at most {MAX_PASSWORD} characters")


# --- reading -------------------------------------------------------------------------------------


def _account(row) -> Account:
    return Account(row.username, row.display_name, row.role, row.unit_code, row.email, bool(row.active), row.password_hash is not None)


def get(engine: Engine, username: str) -> Account | None:
    a = accounts.c
    with engine.connect() as connection:
        row = connection.execute(select(accounts).where(a.username == normalise_username(username))).first()
    return _account(row) if row else None


def find_by_identity(engine: Engine, email: str | None, username: str | None = None) -> Account | None:
    """The active account of a person signed in through the identity provider: by email
    (case-insensitive), else by a user name equal to the provider's user name."""
    a = accounts.c
    with engine.connect() as connection:
        if email:
            row = connection.execute(select(accounts).where(func.lower(a.email) == email.strip().lower(), a.active.is_(True)).order_by(a.username)).first()
            if row:
                return _account(row)
        if username:
            row = connection.execute(select(accounts).where(a.username == normalise_username(username), a.active.is_(True))).first()
            if row:
                return _account(row)
    return None


def any_active(engine: Engine) -> bool:
    """Is there any active account (then the app asks everyone to sign in)?"""
    with engine.connect() as connection:
        return connection.execute(select(accounts.c.username).where(accounts.c.active.is_(True)).limit(1)).first() is not None


def list_accounts(engine: Engine) -> pd.DataFrame:
    a = accounts.c
    query = select(
        a.username, a.display_name, a.role, a.unit_code, a.email, a.active, a.password_hash.is_not(None).label("has_password"), a.updated_at
    ).order_by(a.username)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return rows_frame(rows, columns=["username", "display_name", "role", "unit_code", "email", "active", "has_password", "updated_at"])


def authenticate(engine: Engine, username: str, password: str) -> Account | None:
    """The active account whose password this is, else None (unknown user, disabled account,
    OIDC-only account and wrong password all look the same, and take as long)."""
    a = accounts.c
    with engine.connect() as connection:
        row = connection.execute(select(accounts).where(a.username == normalise_username(username or ""))).first()
    stored = row.password_hash if row is not None else None
    ok = _verify(stored, password or "")
    if not ok or row is None or not row.active:
        return None
    if _hasher.check_needs_rehash(stored):  # the defaults got stronger since: upgrade the hash
        with engine.begin() as connection:
            connection.execute(update(accounts).where(a.username == row.username).values(password_hash=hash_password(password), updated_at=_now()))
    return _account(row)


# --- writing -------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_role_and_unit(connection, role: str, unit_code: str | None) -> None:
    """The role's unit rule (domain.access.role_unit_problem) on the stored units and crosswalk."""
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}; one of: {', '.join(ROLES)}")
    levels = UNIT_LEVEL_OF_ROLE[role]
    if levels is None and not unit_code:
        return
    if levels is not None and not unit_code:
        raise AccountError(f"a {role} account needs --unit: the code of a {' or '.join(levels)}")
    from data_access import queries

    problem = role_unit_problem(role, unit_code, queries.unit_tree(connection), queries.unit_links(connection))
    if problem:
        raise AccountError(problem + (": leave out --unit" if levels is None else ""))


def add(
    engine: Engine, username: str, role: str, password: str | None, unit_code: str | None = None, display_name: str | None = None, email: str | None = None
) -> Account:
    """Create an account. `password` None: an identity-provider-only account (needs an email)."""
    username = normalise_username(username)
    if not USERNAME_PATTERN.match(username):
        raise AccountError("the user name must be 2-100 characters: letters a-z, digits and . _ @ - (no spaces)")
    unit_code = (unit_code or "").strip() or None
    email = (email or "").strip() or None
    if email and ("@" not in email or len(email) > 254):
        raise AccountError(f"{email!r} is not an email address")
    if password is None and not email:
        raise AccountError("an account without a password signs in through the identity provider: give its --email")
    if password is not None:
        check_password_rules(password)
    now = _now()
    with engine.begin() as connection:
        _check_role_and_unit(connection, role, unit_code)
        if connection.execute(select(accounts.c.username).where(accounts.c.username == username)).first():
            raise AccountError(f"the account {username!r} exists already")
        connection.execute(
            insert(accounts).values(
                username=username,
                display_name=(display_name or "").strip()[:200] or username,
                role=role,
                unit_code=unit_code,
                email=email,
                password_hash=hash_password(password) if password is not None else None,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )
    return get(engine, username)


def set_password(engine: Engine, username: str, password: str) -> None:
    check_password_rules(password)
    with engine.begin() as connection:
        done = connection.execute(
            update(accounts).where(accounts.c.username == normalise_username(username)).values(password_hash=hash_password(password), updated_at=_now())
        )
    if done.rowcount != 1:
        raise AccountError(f"there is no account {normalise_username(username)!r}")


def set_active(engine: Engine, username: str, active: bool) -> None:
    with engine.begin() as connection:
        done = connection.execute(update(accounts).where(accounts.c.username == normalise_username(username)).values(active=bool(active), updated_at=_now()))
    if done.rowcount != 1:
        raise AccountError(f"there is no account {normalise_username(username)!r}")


# --- command line --------------------------------------------------------------------------------


def _read_password(confirm: bool = True) -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if confirm and getpass.getpass("Repeat the password: ") != first:
            raise AccountError("the two passwords differ")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.accounts", description="Manage the dashboard's sign-in accounts.")
    parser.add_argument("--url", help="database URL (default: DASHBOARD_DATABASE_URL, secrets, or the demo SQLite file)")
    commands = parser.add_subparsers(dest="command", required=True)
    adding = commands.add_parser("add", help="create an account (the password is asked for, or read from stdin)")
    adding.add_argument("username")
    adding.add_argument("--role", required=True, choices=list(ROLES))
    adding.add_argument(
        "--unit",
        help="ward code (ward_chair), former district or province code (area_leader), department code (department_head), district code (district_chair)",
    )
    adding.add_argument("--name", help="the name shown in the app")
    adding.add_argument("--email", help="email; how an identity-provider sign-in is matched to this account")
    adding.add_argument("--no-password", action="store_true", help="sign in only through the identity provider")
    for name, text in (("passwd", "set a new password"), ("disable", "refuse sign-in"), ("enable", "allow sign-in again")):
        commands.add_parser(name, help=text).add_argument("username")
    commands.add_parser("list", help="list the accounts (never the hashes)")
    commands.add_parser("locks", help="account names and client addresses with recent sign-in failures, and their locks")
    unlocking = commands.add_parser("unlock", help="clear the sign-in lock of an account name and/or a client address")
    unlocking.add_argument("username", nargs="?")
    unlocking.add_argument("--address", help="client address (as shown by `locks`)")
    for sub in commands.choices.values():
        sub.add_argument("--url", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:
        return EXIT_USAGE if stop.code else EXIT_OK

    from data_access.db import DEFAULT_SQLITE_PATH, database_url, is_default_demo, make_engine

    url = args.url or database_url()
    if is_default_demo(url) and not DEFAULT_SQLITE_PATH.exists():
        print("Refused: the demo database does not exist yet; start the app once (bash scripts/run.sh) or give --url", file=sys.stderr)
        return EXIT_REFUSED
    engine = make_engine(url)
    try:
        if args.command == "add":
            password = None if args.no_password else _read_password()
            account = add(engine, args.username, args.role, password, args.unit, args.name, args.email)
            print(f"Account {account.username} created: {account.role}" + (f", unit {account.unit_code}" if account.unit_code else ""))
        elif args.command == "passwd":
            if get(engine, args.username) is None:
                raise AccountError(f"there is no account {normalise_username(args.username)!r}")
            set_password(engine, args.username, _read_password())
            print(f"Password of {normalise_username(args.username)} changed")
        elif args.command in ("disable", "enable"):
            set_active(engine, args.username, args.command == "enable")
            print(f"Account {normalise_username(args.username)} {args.command}d")
        elif args.command == "locks":
            from data_access.sign_in_throttle import locks

            frame = locks(engine)
            print("(no recent sign-in failures)" if frame.empty else frame.to_string(index=False))
        elif args.command == "unlock":
            from data_access.sign_in_throttle import unlock

            if not args.username and not args.address:
                raise AccountError("give the USERNAME, --address IP, or both")
            cleared = unlock(engine, args.username, args.address)
            print(f"Cleared {cleared} lock(s)" if cleared else "Nothing to clear: no failures recorded for that name or address")
        else:
            frame = list_accounts(engine)
            print("(no accounts)" if frame.empty else frame.drop(columns="updated_at").to_string(index=False))
        return EXIT_OK
    except AccountError as error:
        print(f"Refused: {error}", file=sys.stderr)
        return EXIT_REFUSED
    except (OperationalError, DBAPIError) as error:
        print_database_error(error, "en")  # this command line speaks English only
        return EXIT_DATABASE
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
