"""Which database, and the engine to reach it.

The URL comes from, in order: the `DASHBOARD_DATABASE_URL` environment variable,
`database_url` in `.streamlit/secrets.toml`, else the embedded SQLite demo database in
`var/demo.sqlite` (created and filled on first start).
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from sqlalchemy import event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from domain.errors import UserFacingError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "demo.sqlite"
ENV_VAR = "DASHBOARD_DATABASE_URL"


class DatabaseUnavailable(UserFacingError, RuntimeError):
    """The database cannot be reached; the message says what to check."""

    vi = "Không kết nối được cơ sở dữ liệu. Kiểm tra máy chủ cơ sở dữ liệu đang chạy và địa chỉ DASHBOARD_DATABASE_URL, rồi tải lại trang. Chi tiết: "
    en = "Cannot reach the database. Check that the database server is running and that DASHBOARD_DATABASE_URL is right, then reload the page. Details: "
    icon = ":material/cloud_off:"


class DatabaseRefused(UserFacingError, RuntimeError):
    """The database answered but refused the request, for example for a missing grant."""

    vi = (
        "Cơ sở dữ liệu từ chối yêu cầu. Thường là tài khoản cơ sở dữ liệu của ứng dụng thiếu quyền "
        "(xem docs/postgresql.md) hoặc cơ sở dữ liệu chưa được nâng cấp. Chi tiết: "
    )
    en = "The database refused the request. Usually the app's database account lacks a grant (see docs/postgresql.md) or the schema is not upgraded. Details: "
    icon = ":material/gpp_bad:"


class DatabaseDamaged(UserFacingError, RuntimeError):
    """The database file is not a database any more (corrupted, truncated, overwritten)."""

    vi = "Tệp cơ sở dữ liệu bị hỏng (không đọc được như một cơ sở dữ liệu). Quản trị viên dừng ứng dụng và khôi phục tệp từ bản sao lưu. Chi tiết: "
    en = "The database file is damaged (it cannot be read as a database). An administrator stops the app and restores the file from a backup. Details: "
    icon = ":material/broken_image:"


# SQLite's words for a file it cannot read as a database: not a missing grant.
DAMAGED_WORDS = ("file is not a database", "database disk image is malformed", "file is encrypted or is not a database")


def user_facing_error(error: DBAPIError) -> RuntimeError:
    """The driver's error as one of the kinds the app explains to the user."""
    detail = str(error.orig or error).splitlines()[0]
    if any(words in detail.lower() for words in DAMAGED_WORDS):
        return DatabaseDamaged(detail)
    return DatabaseUnavailable(detail) if isinstance(error, OperationalError) else DatabaseRefused(detail)


def database_url() -> str:
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR]
    secrets = PROJECT_ROOT / ".streamlit" / "secrets.toml"
    if secrets.exists():
        with secrets.open("rb") as handle:
            url = tomllib.load(handle).get("database_url")
        if url:
            return url
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def is_default_demo(url: str) -> bool:
    return url == f"sqlite:///{DEFAULT_SQLITE_PATH}"


def _sqlite_pragmas(page_cache_mb: int):
    def apply(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        # WAL lets the app read while an import writes; foreign keys are off by default in SQLite.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{int(page_cache_mb) * 1000}")  # negative: KiB
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    return apply


def _file_identity(path: str) -> tuple[int, int]:
    found = os.stat(path)
    return found.st_dev, found.st_ino


def _watch_file(engine: Engine, path: str) -> None:
    """Refuse to go on when the SQLite file is replaced under a running app (a restored copy
    moved into place): pooled connections still write into the moved-away file, and a new
    one would read the old write-ahead log over the new file. The engine remembers the file
    it first opened; any other file (or none) at the path afterwards is a clear
    DatabaseUnavailable until the app is restarted, and nothing is read or written."""
    opened: dict[str, tuple[int, int]] = {}

    def remember(_dbapi_connection, _record) -> None:
        opened.setdefault("file", _file_identity(path))

    def check(_dbapi_connection, _record, _proxy) -> None:
        try:
            now = _file_identity(path)
        except FileNotFoundError:
            raise DatabaseUnavailable(f"the database file {path} is missing: it was moved or deleted while the app runs") from None
        if now != opened.get("file", now):
            raise DatabaseUnavailable(
                f"the database file {path} was replaced while the app runs; nothing was written. Stop the app, delete "
                f"{Path(path).name}-wal and -shm beside the restored file, then start it again"
            )

    event.listen(engine, "connect", remember)
    event.listen(engine, "checkout", check)


def take_write_lock(connection) -> None:
    """On SQLite, take the database's write lock at the start of a transaction, waiting up
    to the busy timeout (30 s) for another writer: a transaction that reads first and writes
    later cannot wait, and fails at once with "database is locked" when another import
    committed in between. PostgreSQL locks rows as it goes: nothing to do."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str | None = None, page_cache_mb: int = 200) -> Engine:
    """An engine for the URL (default: `database_url()`), ready for SQLite or PostgreSQL.

    `page_cache_mb`: SQLite's own page cache per connection. Imports and summary refreshes
    gain from a large one; the app, with a connection per concurrent view, keeps it small and
    leaves the file to the operating system's cache, which its processes share."""
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = sa_create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas(page_cache_mb))
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            _watch_file(engine, parsed.database)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        # Plain "postgresql://" means psycopg 3 here, the driver requirements.txt installs.
        parsed = parsed.set(drivername="postgresql+psycopg")
    # pool_pre_ping: a restarted server costs one failed ping, not an error on screen.
    return sa_create_engine(parsed, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args={"connect_timeout": 5})
