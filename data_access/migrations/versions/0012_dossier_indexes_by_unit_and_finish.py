"""dossier indexes for a unit's lists: (unit_code, finished_at) and the unfinished by unit

Revision ID: 0012
Revises: 0011_i12roles
Create Date: 2026-12-05 13:20:00.000000

The unit profile's lists (dossiers finished in a period by procedure, by officer, late
without an apology; the overdue list) read a ward's dossiers finished in a period, or open at
a day's end. With only (unit_code, received_at) and (unit_code, due_at) they read the ward's
whole history (city size: 70,000 rows for a ward and its former units, 0.13 s a list).
(unit_code, finished_at) replaces (unit_code, due_at), which only the overdue list used; the
overdue list reads the dossiers finished after the day and, through a small partial index,
those without a finished status. Index changes only: no data moves.
"""

from alembic import op
import sqlalchemy as sa

revision = "0012"
down_revision = "0011_i12roles"
branch_labels = None
depends_on = None

# As data_access.schema.UNFINISHED renders it: the values written in, so queries match it.
UNFINISHED = sa.text("status NOT IN (9, 10)")


def upgrade() -> None:
    op.drop_index("ix_dossiers_unit_due", table_name="dossiers")
    op.create_index("ix_dossiers_unit_finished", "dossiers", ["unit_code", "finished_at"], unique=False)
    op.create_index("ix_dossiers_unit_unfinished", "dossiers", ["unit_code"], unique=False, sqlite_where=UNFINISHED, postgresql_where=UNFINISHED)


def downgrade() -> None:
    op.drop_index("ix_dossiers_unit_unfinished", table_name="dossiers")
    op.drop_index("ix_dossiers_unit_finished", table_name="dossiers")
    op.create_index("ix_dossiers_unit_due", "dossiers", ["unit_code", "due_at"], unique=False)
