"""Migration 0011 carries district chairs over to area leaders and says what it did, on SQLite
and PostgreSQL; without a crosswalk it leaves them and says so; downgrade and upgrade again."""

from datetime import datetime

import pytest
from sqlalchemy import insert, select

from data_access import reference
from data_access.db import make_engine
from data_access.migrate import current_revision, downgrade, head_revision, upgrade
from data_access.schema import accounts
from tests import tiny_dataset

REVISION = "0011_i12roles"


@pytest.fixture
def at_0010(db_url):
    engine = make_engine(db_url)
    upgrade(engine, "0010")
    yield engine
    engine.dispose()


def _add(engine, username, role, unit_code):
    now = datetime(2026, 11, 1, 8)
    with engine.begin() as connection:
        connection.execute(
            insert(accounts).values(
                username=username,
                display_name=username,
                role=role,
                unit_code=unit_code,
                email=None,
                password_hash=None,
                active=True,
                created_at=now,
                updated_at=now,
            )
        )


def _roles(engine) -> dict:
    with engine.connect() as connection:
        return dict(connection.execute(select(accounts.c.username, accounts.c.role)).all())


def test_a_district_chair_becomes_the_area_leader_of_the_same_former_district(at_0010, capsys):
    reference.init_province(at_0010, "79")
    _add(at_0010, "chair-q1", "district_chair", "760")
    _add(at_0010, "leader", "city_leader", None)
    _add(at_0010, "sxd", "district_chair", None)  # a broken account: no unit
    capsys.readouterr()
    upgrade(at_0010)
    said = capsys.readouterr().out
    assert current_revision(at_0010) == head_revision()  # through REVISION and any later one
    assert "tài khoản chair-q1: district_chair (760 Quận 1) -> area_leader (khu vực Quận 1 cũ)" in said
    assert "tài khoản sxd: district_chair (không có đơn vị) giữ nguyên" in said
    assert "leader" not in said.replace("area_leader", "")  # the city leader is not touched
    assert _roles(at_0010) == {"chair-q1": "area_leader", "leader": "city_leader", "sxd": "district_chair"}

    # Down and up again: back to the district chair, then the same carry-over, once.
    downgrade(at_0010, "0010")
    assert "tài khoản chair-q1: area_leader (760 Quận 1) -> district_chair (760 Quận 1)" in capsys.readouterr().out
    assert _roles(at_0010)["chair-q1"] == "district_chair"
    upgrade(at_0010)
    assert capsys.readouterr().out.count("-> area_leader") == 1
    assert _roles(at_0010)["chair-q1"] == "area_leader"


def test_without_a_crosswalk_district_chairs_stay_and_the_migration_says_so(at_0010, capsys):
    tiny_dataset.load(at_0010)  # one layout: Quận 1 in force, no unit_lineage
    _add(at_0010, "chair-q1", "district_chair", "760")
    capsys.readouterr()
    upgrade(at_0010)
    said = capsys.readouterr().out
    assert "tài khoản chair-q1: district_chair (760 Quận 1) giữ nguyên: cơ sở dữ liệu chưa có bảng chuyển đổi đơn vị" in said
    assert _roles(at_0010) == {"chair-q1": "district_chair"}


def test_a_database_with_no_district_chair_is_told_so(at_0010, capsys):
    upgrade(at_0010)
    assert "no district_chair account to carry over" in capsys.readouterr().out
