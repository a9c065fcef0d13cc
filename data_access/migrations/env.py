"""Alembic environment: runs on the engine the caller passes (see data_access/migrate.py)."""

from alembic import context

from data_access.db import make_engine
from data_access.schema import metadata

engine = context.config.attributes.get("engine") or make_engine()

with engine.connect() as connection:
    # render_as_batch: SQLite cannot ALTER most things; batch mode copies the table instead.
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
