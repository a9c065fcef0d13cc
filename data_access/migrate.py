"""Bring a database to the current schema with Alembic: `python -m data_access.migrate [--url URL]`.

The app calls `upgrade(engine)` on start, so a new SQLite file is created at the current
schema and a production PostgreSQL database is upgraded in place.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from data_access.db import make_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(_config(None)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(_config(engine), revision)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m data_access.migrate", description="Bring a database to the current schema (Alembic).")
    parser.add_argument("url", nargs="?", help="database URL (the same as --url)")
    parser.add_argument(
        "--url",
        dest="url_option",
        metavar="URL",
        help="database URL (default: DASHBOARD_DATABASE_URL, then database_url in .streamlit/secrets.toml, then the embedded demo file)",
    )
    args = parser.parse_args(argv)
    engine = make_engine(args.url_option or args.url)
    upgrade(engine)
    print(f"Database at revision {current_revision(engine)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
