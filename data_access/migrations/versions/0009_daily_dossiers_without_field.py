"""daily dossier summary without the field (day x unit x channel)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:45:00.000000

The stored rows are summed over fields into the new table: no refresh needed.
"""

from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COUNTS = (
    "received",
    "received_online",
    "accepted_late",
    "finished",
    "finished_early",
    "finished_on_time",
    "finished_late",
    "late_with_apology",
    "processing_days_sum",
    "processing_workdays_sum",
    "paid_online",
    "digitised",
)


def _create(name: str, with_field: bool) -> None:
    keys = [sa.Column("day", sa.Date(), nullable=False), sa.Column("unit_code", sa.String(length=32), nullable=False)]
    if with_field:
        keys.append(sa.Column("field_code", sa.String(length=32), nullable=False))
    keys.append(sa.Column("channel", sa.SmallInteger(), nullable=False))
    op.create_table(
        name,
        *keys,
        *[sa.Column(count, sa.BigInteger(), nullable=False) for count in COUNTS],
        sa.PrimaryKeyConstraint(*[column.name for column in keys]),
    )


def _copy(source: str, target: str, keys: str) -> None:
    sums = ", ".join(f"SUM({count})" for count in COUNTS)
    op.execute(f"INSERT INTO {target} ({keys}, {', '.join(COUNTS)}) SELECT {keys}, {sums} FROM {source} GROUP BY {keys}")


def upgrade() -> None:
    _create("dossier_daily_i14", with_field=False)
    _copy("dossier_daily", "dossier_daily_i14", "day, unit_code, channel")
    op.drop_index("ix_dossier_daily_unit", table_name="dossier_daily")
    op.drop_table("dossier_daily")
    op.rename_table("dossier_daily_i14", "dossier_daily")
    if op.get_bind().dialect.name == "postgresql":  # the primary key keeps its creation name there
        op.execute("ALTER TABLE dossier_daily RENAME CONSTRAINT dossier_daily_i14_pkey TO dossier_daily_pkey")
    op.create_index("ix_dossier_daily_unit", "dossier_daily", ["unit_code", "day"], unique=False)


def downgrade() -> None:
    # The field cannot be recovered from the sums: the old table comes back empty (run
    # `python -m data_access.refresh` or an import to fill it).
    op.drop_index("ix_dossier_daily_unit", table_name="dossier_daily")
    op.drop_table("dossier_daily")
    _create("dossier_daily", with_field=True)
    op.create_index("ix_dossier_daily_unit", "dossier_daily", ["unit_code", "day"], unique=False)
