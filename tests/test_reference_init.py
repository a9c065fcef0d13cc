"""`python -m data_access.reference init`: a province's units of both layouts and the crosswalk.

Expected figures are the published ones (issue 11, DOMAIN.md), never read from the code:
HCMC since 1 July 2025: 168 commune-level units directly under the city (113 phường, 54 xã,
1 đặc khu); before: old HCMC 273 wards in 22 districts, Bình Dương (74) 91 in 9, Bà Rịa -
Vũng Tàu (77) 78 in 7 (Côn Đảo, a district with no wards, is one of the 78): 442 former
commune-level units in 38 districts. Hanoi: 126 (51 phường, 75 xã) from 526 wards in 30
districts. 26740 is Phường Sài Gòn now and was Phường Bến Nghé (Quận 1).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select, text

from data_access import reference, schema, unit_versions
from data_access.db import make_engine
from data_access.migrate import upgrade

NOW, BEFORE = date(2026, 10, 1), date(2024, 6, 1)
HCMC_UNITS = 1 + 168 + 2 + 38 + 441  # the city, its current units, 74 and 77, 38 districts, 441 wards (Côn Đảo is a district)


def count(engine, table, *where) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def leaves(frame):
    """Units with nothing under them in the same frame: commune-level units of that layout."""
    return frame[~frame["code"].isin(set(frame["parent_code"].dropna()))]


@pytest.fixture
def hcmc(engine):
    reference.init_province(engine, "79", actor="test")
    return engine


def test_init_79_gives_both_layouts(hcmc):
    now = unit_versions.units_in_force(hcmc, NOW, "79")
    direct = now[now["parent_code"] == "79"]
    assert len(direct) == 168 and len(now) == 168
    assert "district" not in set(now["level"])
    kinds = direct["name"].str.extract(r"^(Phường|Xã|Đặc khu)")[0].value_counts().to_dict()
    assert kinds == {"Phường": 113, "Xã": 54, "Đặc khu": 1}

    before = unit_versions.units_in_force(hcmc, BEFORE, "79")
    assert (before["level"] == "district").sum() == 22 and (before["parent_code"] == "79").sum() == 22
    assert (before["level"] == "ward").sum() == 273
    for province, districts, communes in (("74", 9, 91), ("77", 7, 78)):
        part = unit_versions.units_in_force(hcmc, BEFORE, province)
        assert (part["level"] == "district").sum() == districts
        assert len(leaves(part)) == communes
    # Neither the former provinces nor their units are in force today.
    assert unit_versions.units_in_force(hcmc, NOW, "74").empty
    every = unit_versions.units_in_force(hcmc, NOW)
    assert set(every.loc[every["parent_code"].isna(), "code"]) == {"79"}


def test_every_former_commune_level_unit_has_a_link(hcmc):
    former = [leaves(unit_versions.units_in_force(hcmc, BEFORE, p)) for p in ("79", "74", "77")]
    codes = {c for frame in former for c in frame["code"]}
    assert len(codes) == 442
    links = unit_versions.lineage_links(hcmc)
    assert codes <= set(links["old_code"])
    # The former provinces merged into the city.
    assert {("74", "79"), ("77", "79")} <= set(zip(links["old_code"], links["new_code"]))


def test_reused_code_former_and_current(hcmc):
    units = unit_versions.units_in_force(hcmc, NOW)
    saigon = units[units["gso_code"] == "26740"]
    assert saigon["name"].tolist() == ["Phường Sài Gòn"]
    old = unit_versions.units_in_force(hcmc, BEFORE)
    ben_nghe = old[old["gso_code"] == "26740"]
    assert ben_nghe["name"].tolist() == ["Phường Bến Nghé"]
    assert saigon["code"].iat[0] != ben_nghe["code"].iat[0]
    formers = unit_versions.former_units(hcmc, saigon["code"].iat[0])
    assert "Phường Bến Nghé" in set(formers["name"])
    became = unit_versions.current_units(hcmc, ben_nghe["code"].iat[0], NOW)
    assert became["name"].tolist() == ["Phường Sài Gòn"] and became["whole"].tolist() == [True]


def test_init_twice_adds_nothing(hcmc):
    units, links = count(hcmc, schema.units), count(hcmc, schema.unit_lineage)
    assert units == HCMC_UNITS
    again = reference.init_province(hcmc, "79", actor="test")
    assert (again.units_added, again.units_ended, again.links_added) == (0, 0, 0)
    assert (count(hcmc, schema.units), count(hcmc, schema.unit_lineage)) == (units, links)


def test_init_01_hanoi(engine):
    reference.init_province(engine, "01", actor="test")
    now = unit_versions.units_in_force(engine, NOW, "01")
    assert len(now) == 126 and (now["parent_code"] == "01").all()
    assert now["name"].str.extract(r"^(Phường|Xã)")[0].value_counts().to_dict() == {"Phường": 51, "Xã": 75}
    before = unit_versions.units_in_force(engine, BEFORE, "01")
    assert (before["level"] == "district").sum() == 30 and (before["level"] == "ward").sum() == 526
    assert set(before.loc[before["level"] == "ward", "code"]) <= set(unit_versions.lineage_links(engine)["old_code"])


def test_unknown_province_lists_codes_and_writes_nothing(sqlite_url, capsys):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    code = reference.main(["init", "--province", "99", "--url", sqlite_url])
    err = capsys.readouterr().err
    assert code == 2
    assert "'99'" in err and "79 Thành phố Hồ Chí Minh" in err and "01 Thành phố Hà Nội" in err
    assert count(engine, schema.units) == 0 and count(engine, schema.audit_log) == 0
    engine.dispose()


def test_cli_init_and_audit(sqlite_url, capsys):
    engine = make_engine(sqlite_url)
    upgrade(engine)
    assert reference.main(["init", "--province", "79", "--url", sqlite_url, "--actor", "lan", "--lang", "en"]) == 0
    assert "650 units added" in capsys.readouterr().out  # HCMC_UNITS
    with engine.connect() as connection:
        actor, what = connection.execute(select(schema.audit_log.c.actor, schema.audit_log.c.what)).one()
    assert actor == "lan" and "79" in what
    engine.dispose()


# --- a database made before unit versions ---------------------------------------------------------
OLD_UNITS = [  # as the demo wrote them: plain codes, every unit valid from 2021 with no end
    ("79", "Thành phố Hồ Chí Minh", "city", None),
    ("760", "Quận 1", "district", "79"),
    ("26740", "Phường Bến Nghé", "ward", "760"),
    ("26734", "Phường Tân Định", "ward", "760"),
    ("79.SXD", "Sở Xây dựng", "department", "79"),
]


def old_database(engine) -> None:
    """Revision 0009 with old-style units and a few facts against them, then upgraded (the conftest's engine_at_0009)."""
    upgrade(engine, "0009")
    with engine.begin() as connection:
        for code, name, level, parent in OLD_UNITS:
            connection.execute(
                text("INSERT INTO units (code, name, level, parent_code, valid_from) VALUES (:c, :n, :l, :p, :f)"),
                dict(c=code, n=name, l=level, p=parent, f=date(2021, 1, 1)),
            )
        connection.execute(text("INSERT INTO fields (code, name) VALUES ('HT', 'Hộ tịch')"))
        connection.execute(text("INSERT INTO procedures (code, name, field_code, legal_days) VALUES ('P1', 'Đăng ký khai sinh', 'HT', 3)"))
        for i, unit in enumerate(["26740", "26740", "26734", "760", "79.SXD"]):
            connection.execute(
                text(
                    "INSERT INTO dossiers (code, unit_code, procedure_code, field_code, channel, received_at, accepted_late, due_at, status, "
                    "supplement_count, supplement_days, paid_online, digitised) VALUES (:c, :u, 'P1', 'HT', 1, :r, false, :d, 4, 0, 0, false, false)"
                ),
                dict(c=f"D{i}", u=unit, r=datetime(2024, 5, 2 + i, 9), d=datetime(2024, 5, 9 + i, 17)),
            )
            connection.execute(
                text("INSERT INTO ratings (source_key, unit_code, channel, level, rated_at) VALUES (:k, :u, 'kiosk', 1, :t)"),
                dict(k=f"R{i}", u=unit, t=datetime(2024, 5, 2 + i, 10)),
            )
    upgrade(engine)


def test_upgrade_of_an_old_database_then_init_keeps_every_fact(engine_at_0009):
    engine = engine_at_0009
    with engine.connect() as connection:
        facts_before = sorted(connection.execute(select(schema.dossiers.c.code, schema.dossiers.c.unit_code)).all())
        ratings_before = sorted(connection.execute(select(schema.ratings.c.source_key, schema.ratings.c.unit_code)).all())
    result = reference.init_province(engine, "79", actor="test")
    assert result.units_ended == 3  # Quận 1, Bến Nghé, Tân Định end on 30/06/2025; the city stays in force
    with engine.connect() as connection:
        assert sorted(connection.execute(select(schema.dossiers.c.code, schema.dossiers.c.unit_code)).all()) == facts_before
        assert sorted(connection.execute(select(schema.ratings.c.source_key, schema.ratings.c.unit_code)).all()) == ratings_before
        rows = {r.code: r for r in connection.execute(select(schema.units))}
    assert rows["26740"].name == "Phường Bến Nghé" and rows["26740"].valid_to == date(2025, 6, 30)
    assert rows["26740"].valid_from == date(2021, 1, 1)
    assert rows["26740@2025-07-01"].name == "Phường Sài Gòn" and rows["26740@2025-07-01"].valid_from == date(2025, 7, 1)
    assert rows["760"].valid_to == date(2025, 6, 30) and rows["79"].valid_to is None
    assert rows["79.SXD"].valid_to is None  # not in the packaged data: left as it was
    assert count(engine, schema.units) == HCMC_UNITS + 1  # nothing duplicated: the old four are the former ones
    assert count(engine, schema.units, schema.units.c.gso_code == "26740") == 2

    now = unit_versions.units_in_force(engine, NOW, "79")
    assert (now["level"] == "ward").sum() == 168 and "district" not in set(now["level"])
    before = unit_versions.units_in_force(engine, BEFORE, "79")
    assert (before["level"] == "district").sum() == 22 and (before["level"] == "ward").sum() == 273
    # Twice: nothing more.
    again = reference.init_province(engine, "79", actor="test")
    assert (again.units_added, again.units_ended, again.links_added) == (0, 0, 0)


def test_a_city_started_from_zero_is_not_described_as_the_demo(sqlite_url, monkeypatch):
    """Hanoi after `init --province 01`, before any account (so the single-user mode): the app
    says there is no data yet, and never that its figures are HCMC's default demo data."""
    from streamlit.testing.v1 import AppTest

    from tests.support.app_server import REPO_ROOT

    from ui import auth

    engine = make_engine(sqlite_url)
    upgrade(engine)
    reference.init_province(engine, "01", actor="test")
    engine.dispose()
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", sqlite_url)
    app = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=120).run()
    assert not app.exception
    assert any("chưa có số liệu" in i.value for i in app.info)
    assert not [c.value for c in app.sidebar.caption if "Dữ liệu mẫu" in c.value]
    # The note belongs to the embedded demo file built at its default size, and only to it.
    from data_access.db import DEFAULT_SQLITE_PATH

    demo_url = f"sqlite:///{DEFAULT_SQLITE_PATH}"
    assert auth.demo_data_note(demo_url, None) == auth.DEMO_DATA_NOTE
    assert auth.demo_data_note(demo_url, "default") == auth.DEMO_DATA_NOTE
    assert auth.demo_data_note(demo_url, "small") is None
    assert auth.demo_data_note(sqlite_url, None) is None
