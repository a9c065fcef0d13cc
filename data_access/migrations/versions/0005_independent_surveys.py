"""independent surveys (SIPAS, PAPI, PAR Index, Fatherland Front, the city's own)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:20:00
"""

from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_key", sa.String(length=400), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("province_code", sa.String(length=8), nullable=False),
        sa.Column("unit_code", sa.String(length=32), nullable=True),
        sa.Column("indicator", sa.String(length=32), nullable=False),
        sa.Column("dimension", sa.String(length=200), nullable=True),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("scale", sa.String(length=16), nullable=False),
        sa.Column("scale_max", sa.Float(), nullable=True),
        sa.Column("sample_size", sa.BigInteger(), nullable=True),
        sa.Column("method_note", sa.Text(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["unit_code"],
            ["units.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("survey_key"),
    )
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.create_index("ix_surveys_area", ["province_code", "unit_code", "period_end"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("surveys", schema=None) as batch_op:
        batch_op.drop_index("ix_surveys_area")
    op.drop_table("surveys")
