"""when a dossier closed without a result, working-day counts, the work calendar

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 16:40:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(), nullable=True))
    for table in ("dossier_daily", "dossier_monthly"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("processing_workdays_sum", sa.BigInteger(), nullable=False, server_default="0"))
        # The column's default lives in the model (SQLAlchemy side), as for the other counts.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("processing_workdays_sum", server_default=None)
    op.create_table(
        "work_calendar",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("working", sa.Boolean(), nullable=False),
        sa.Column("working_before", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("work_calendar")
    for table in ("dossier_daily", "dossier_monthly"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("processing_workdays_sum")
    with op.batch_alter_table("dossiers", schema=None) as batch_op:
        batch_op.drop_column("closed_at")
