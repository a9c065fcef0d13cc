"""dossier steps, their monthly summary, reminders, officers' e-mail

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 17:15:00.000000
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "dossier_steps",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("step_order", sa.SmallInteger(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("officer_code", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("due_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_code"],
            ["officers.code"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dossier_steps", schema=None) as batch_op:
        batch_op.create_index("ux_dossier_steps_dossier_order", ["dossier_code", "step_order"], unique=True)
        batch_op.create_index("ix_dossier_steps_unit_finished", ["unit_code", "finished_at"], unique=False)
        batch_op.create_index("ix_dossier_steps_open", ["finished_at", "due_at"], unique=False)
    op.create_table(
        "step_monthly",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("procedure_code", sa.String(length=32), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("bucket", sa.SmallInteger(), nullable=False),
        sa.Column("steps", sa.BigInteger(), nullable=False),
        sa.Column("hours_sum", sa.Float(), nullable=False),
        sa.Column("with_due", sa.BigInteger(), nullable=False),
        sa.Column("over_due", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("month", "unit_code", "procedure_code", "step", "bucket"),
    )
    with op.batch_alter_table("step_monthly", schema=None) as batch_op:
        batch_op.create_index("ix_step_monthly_unit", ["unit_code", "month"], unique=False)
        batch_op.create_index("ix_step_monthly_month_step", ["month", "step", "bucket", "steps", "hours_sum", "with_due", "over_due"], unique=False)
    op.create_table(
        "step_reminders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=100), nullable=False),
        sa.Column("by_name", sa.String(length=200), nullable=True),
        sa.Column("officer_code", sa.String(length=32), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=False),
        sa.Column("dossier_code", sa.String(length=64), nullable=False),
        sa.Column("step_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=32), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["officer_code"],
            ["officers.code"],
        ),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("step_reminders", schema=None) as batch_op:
        batch_op.create_index("ix_step_reminders_unit_at", ["unit_code", "at"], unique=False)


def downgrade() -> None:
    op.drop_table("step_reminders")
    op.drop_table("step_monthly")
    op.drop_table("dossier_steps")
    with op.batch_alter_table("officers", schema=None) as batch_op:
        batch_op.drop_column("email")
