"""unit versions: the official code beside the unit key, official area, crosswalk whole/part and weight

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 19:40:00.000000

Nothing is rewritten: every existing unit keeps its key, and its official code is that key
(a database made before this revision knew one layout only). Existing crosswalk links are
whole links without a weight.
"""

from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite makes a column NOT NULL only by copying the table, and dropping the old
        # `units` under the facts' foreign keys fails: a database with facts could not be
        # upgraded. So the column comes NOT NULL with an empty default, then is filled.
        op.add_column("units", sa.Column("gso_code", sa.String(length=32), nullable=False, server_default=""))
        op.add_column("units", sa.Column("area_km2", sa.Float(), nullable=True))
        op.execute("UPDATE units SET gso_code = code")
        op.create_index("ix_units_gso_code", "units", ["gso_code"], unique=False)
    else:
        with op.batch_alter_table("units", schema=None) as batch_op:
            batch_op.add_column(sa.Column("gso_code", sa.String(length=32), nullable=True))
            batch_op.add_column(sa.Column("area_km2", sa.Float(), nullable=True))
        op.execute("UPDATE units SET gso_code = code")
        with op.batch_alter_table("units", schema=None) as batch_op:
            batch_op.alter_column("gso_code", existing_type=sa.String(length=32), nullable=False)
            batch_op.create_index("ix_units_gso_code", ["gso_code"], unique=False)

    with op.batch_alter_table("unit_lineage", schema=None) as batch_op:
        batch_op.add_column(sa.Column("whole", sa.Boolean(), nullable=False, server_default=sa.true()))
        batch_op.add_column(sa.Column("weight", sa.Float(), nullable=True))
        batch_op.create_index("ix_unit_lineage_old", ["old_code"], unique=False)
        batch_op.create_index("ix_unit_lineage_new", ["new_code"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("unit_lineage", schema=None) as batch_op:
        batch_op.drop_index("ix_unit_lineage_new")
        batch_op.drop_index("ix_unit_lineage_old")
        batch_op.drop_column("weight")
        batch_op.drop_column("whole")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index("ix_units_gso_code")
        batch_op.drop_column("area_km2")
        batch_op.drop_column("gso_code")
