"""roles of two-tier government: district chairs carried over to area leaders

Revision ID: 0011_i12roles
Revises: 0010
Create Date: 2026-11-25 19:50:00.000000

No table changes. A district_chair account whose district is a former district that today's
units came from (an "area", domain.units.area_members over the crosswalk) becomes an
area_leader of the same former district: it sees the units in force that mostly came from it,
in full. Every account looked at gets one line saying what happened to it (printed and logged).
Without a crosswalk (a city still on three tiers) district chairs stay as they are, and the
line says so. Running it again changes nothing: only district_chair accounts are looked at.
Works the same on SQLite and PostgreSQL (plain SELECT and UPDATE).
"""

import logging
from datetime import datetime

import pandas as pd
import sqlalchemy as sa
from alembic import op

revision = "0011_i12roles"
down_revision = "0010"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# The tables as they are at this revision (not data_access.schema, which moves on).
accounts = sa.table("accounts", sa.column("username"), sa.column("role"), sa.column("unit_code"), sa.column("updated_at"))
units = sa.table("units", sa.column("code"), sa.column("name"), sa.column("level"), sa.column("parent_code"), sa.column("valid_to"), sa.column("area_km2"))
lineage = sa.table("unit_lineage", sa.column("old_code"), sa.column("new_code"), sa.column("whole"), sa.column("weight"))

DISTRICT_CHAIR, AREA_LEADER = "district_chair", "area_leader"


def say(line: str) -> None:
    print(line)
    log.info(line)


def _areas(connection) -> tuple[dict, dict]:
    """Area code -> today's units that mostly came from it; and code -> name of every unit."""
    from domain.units import area_members  # pure: the same rule the access rules use

    unit_rows = pd.DataFrame(connection.execute(sa.select(units)).all(), columns=["code", "name", "level", "parent_code", "valid_to", "area_km2"])
    links = pd.DataFrame(connection.execute(sa.select(lineage)).all(), columns=["old_code", "new_code", "whole", "weight"])
    names = dict(zip(unit_rows["code"], unit_rows["name"]))
    if links.empty:
        return {}, names
    today = unit_rows.loc[unit_rows["valid_to"].isna(), "code"]
    return area_members(unit_rows, links, set(today)), names


def _change(connection, from_role: str, to_role: str, fits) -> None:
    """Move the accounts of `from_role` whose unit `fits` to `to_role`; one line per account."""
    found = connection.execute(sa.select(accounts.c.username, accounts.c.unit_code).where(accounts.c.role == from_role).order_by(accounts.c.username)).all()
    if not found:
        say(f"0011: không có tài khoản {from_role} nào cần chuyển (no {from_role} account to carry over)")
        return
    areas, names = _areas(connection)
    for username, unit_code in found:
        unit = f"{unit_code} {names.get(unit_code, '?')}" if unit_code else "không có đơn vị"
        reason = fits(unit_code, areas)
        if reason is not None:
            say(f"tài khoản {username}: {from_role} ({unit}) giữ nguyên: {reason}")
            continue
        connection.execute(
            sa.update(accounts)
            .where(accounts.c.username == username, accounts.c.role == from_role)
            .values(role=to_role, updated_at=datetime.now().replace(microsecond=0))
        )
        target = f"khu vực {names.get(unit_code, unit_code)} cũ" if to_role == AREA_LEADER else unit
        say(f"tài khoản {username}: {from_role} ({unit}) -> {to_role} ({target})")


def _is_area(unit_code, areas):
    if not areas:
        return "cơ sở dữ liệu chưa có bảng chuyển đổi đơn vị, thành phố vẫn ba cấp (no crosswalk: the city is still on three tiers)"
    if unit_code not in areas:
        return "đơn vị không phải khu vực của các đơn vị hiện nay (not an area of today's units)"
    return None


def upgrade() -> None:
    _change(op.get_bind(), DISTRICT_CHAIR, AREA_LEADER, _is_area)


def downgrade() -> None:
    # Back to the district chair of the same district; an area leader of a former province,
    # and a ward chair, have no older role: they stay, and the older code lets them see nothing.
    levels = dict(op.get_bind().execute(sa.select(units.c.code, units.c.level)).all())
    _change(
        op.get_bind(),
        AREA_LEADER,
        DISTRICT_CHAIR,
        lambda unit_code, areas: None if levels.get(unit_code) == "district" else "không phải quận/huyện (not a district)",
    )
