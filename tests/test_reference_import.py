"""A city's own reference lists (`python -m data_access.reference import`), the fact imports'
unit resolution across the 2025 reform, and the access rule for former units.

Every expected figure is worked out from the rows written in each test. Published facts used:
26740 is Phường Sài Gòn since 1 July 2025 and was Phường Bến Nghé before; the 2025
restructuring merged Sở Tài nguyên và Môi trường and Sở Nông nghiệp into Sở Nông nghiệp và
Môi trường, and transport into Sở Xây dựng.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import ingest, queries, reference, schema, unit_queries
from domain.access import DEPARTMENT_HEAD, OutOfScope, Viewer

REFORM = date(2025, 7, 1)


def csv(header: str, *rows: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def snapshot(engine) -> dict:
    """Every row of the tables a reference import may write, and the audit count."""
    tables = [schema.units, schema.unit_lineage, schema.fields, schema.procedures, schema.officers, schema.targets]
    with engine.connect() as connection:
        out = {t.name: sorted(map(repr, connection.execute(select(t)).all())) for t in tables}
        out["audit"] = connection.execute(select(func.count()).select_from(schema.audit_log)).scalar_one()
    return out


def run(engine, kind, data: bytes, name="list.csv"):
    return reference.import_file(engine, kind, io.BytesIO(data), name, actor="test")


def refused(engine, kind, data: bytes, name="list.csv"):
    """Import a bad file: it is refused, nothing changes; returns the problems."""
    before = snapshot(engine)
    checked, result = run(engine, kind, data, name)
    assert result is None and not checked.ok
    assert snapshot(engine) == before
    return checked.problems


@pytest.fixture
def hcmc(engine):
    reference.init_province(engine, "79", actor="test")
    return engine


DEPARTMENTS = csv(
    "Mã cơ quan,Tên cơ quan,Hiệu lực từ,Hiệu lực đến,Chuyển thành",
    "79.STNMT,Sở Tài nguyên và Môi trường,,28/02/2025,79.SNNMT",
    "79.SNN,Sở Nông nghiệp và Phát triển nông thôn,,28/02/2025,79.SNNMT",
    "79.SGTVT,Sở Giao thông công chánh,,28/02/2025,79.SXD",
    "79.SXD,Sở Xây dựng,,,",
    "79.SNNMT,Sở Nông nghiệp và Môi trường,01/03/2025,,",
)
PROCEDURES = csv(
    "Mã thủ tục,Tên thủ tục,Mã lĩnh vực,Tên lĩnh vực,Thời hạn giải quyết (ngày làm việc),Cấp thực hiện",
    "1.001193,Đăng ký khai sinh,HT,Hộ tịch,1,Phường/Xã",
    "1.004227,Cấp giấy phép xây dựng,XD,Xây dựng,15,Sở",
)


def test_departments_both_eras_with_their_links(hcmc):
    checked, result = run(hcmc, "departments", DEPARTMENTS)
    assert checked.ok, checked.problems
    assert (result.added, result.updated, result.links_added) == (5, 0, 3)
    with hcmc.connect() as connection:
        rows = {r.code: r for r in connection.execute(select(schema.units).where(schema.units.c.level == "department"))}
        links = set(
            connection.execute(
                select(schema.unit_lineage.c.old_code, schema.unit_lineage.c.new_code, schema.unit_lineage.c.effective_date, schema.unit_lineage.c.whole).where(
                    schema.unit_lineage.c.old_code.like("79.%")
                )
            ).all()
        )
    assert {c: r.parent_code for c, r in rows.items()} == dict.fromkeys(["79.STNMT", "79.SNN", "79.SGTVT", "79.SXD", "79.SNNMT"], "79")
    assert rows["79.STNMT"].valid_to == date(2025, 2, 28) and rows["79.SNNMT"].valid_from == date(2025, 3, 1)
    assert links == {
        ("79.STNMT", "79.SNNMT", date(2025, 3, 1), True),
        ("79.SNN", "79.SNNMT", date(2025, 3, 1), True),
        ("79.SGTVT", "79.SXD", date(2025, 3, 1), True),
    }
    # Again: nothing new, nothing changed.
    before = snapshot(hcmc)
    _, again = run(hcmc, "departments", DEPARTMENTS)
    assert (again.added, again.updated, again.unchanged, again.links_added) == (0, 0, 5, 0)
    after = snapshot(hcmc)
    assert after["audit"] == before["audit"] + 1 and {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}


def test_procedures_officers_targets_and_lineage_weights(hcmc):
    _, result = run(hcmc, "procedures", PROCEDURES)
    assert (result.added, result.updated) == (2, 0)
    officers = csv(
        "Mã cán bộ,Họ và tên,Mã đơn vị,Chức vụ,Email",
        "CB001,Nguyễn Thị Lan,26740,Công chức tư pháp - hộ tịch,lan@saigon.gov.vn",
        "CB002,Trần Văn Minh,26740@2025-06-30,Công chức,",
    )
    checked, result = run(hcmc, "officers", officers)
    assert checked.ok, checked.problems
    targets = csv(
        "Mã chỉ tiêu,Mã đơn vị,Hiệu lực từ,Hiệu lực đến,Giá trị,Biên độ vàng",
        "satisfaction_rate,,01/01/2026,31/12/2026,96%,2%",
        "on_time_rate,26740,01/01/2026,,98,1",
    )
    checked, result = run(hcmc, "targets", targets)
    assert checked.ok, checked.problems
    # 26746 (Phường Nguyễn Thái Bình) was split; the city knows the shares.
    lineage = csv("Mã đơn vị cũ,Mã đơn vị mới,Ngày hiệu lực,Tỷ trọng", "26746,26740,01/07/2025,0.6", "26746,26743,01/07/2025,40%")
    checked, result = run(hcmc, "lineage", lineage)
    assert checked.ok, checked.problems
    with hcmc.connect() as connection:
        assert dict(connection.execute(select(schema.officers.c.code, schema.officers.c.unit_code)).all()) == {"CB001": "26740", "CB002": "26740@2025-06-30"}
        assert sorted(
            connection.execute(select(schema.targets.c.kpi_id, schema.targets.c.unit_code, schema.targets.c.value, schema.targets.c.amber_margin)).all()
        ) == [("on_time_rate", "26740", 0.98, 0.01), ("satisfaction_rate", None, 0.96, 0.02)]
        former = select(schema.units.c.code).where(schema.units.c.gso_code == "26746", schema.units.c.valid_to == date(2025, 6, 30))
        weights = dict(
            connection.execute(select(schema.unit_lineage.c.new_code, schema.unit_lineage.c.weight).where(schema.unit_lineage.c.old_code.in_(former))).all()
        )
        fields = dict(connection.execute(select(schema.fields.c.code, schema.fields.c.name)).all())
    assert weights == {"26740": 0.6, "26743": 0.4}
    assert fields == {"HT": "Hộ tịch", "XD": "Xây dựng"}
    for kind, data in (("procedures", PROCEDURES), ("officers", officers), ("targets", targets), ("lineage", lineage)):
        _, again = run(hcmc, kind, data)
        assert (again.added, again.updated) == (0, 0), kind


def test_units_list_from_excel(engine):
    """A city with no packaged data in the database loads its own list (an .xlsx file)."""
    frame = pd.DataFrame(
        {
            "Mã đơn vị": ["79", "26740", "26743"],
            "Tên đơn vị": ["Thành phố Hồ Chí Minh", "Phường Sài Gòn", "Phường Bến Thành"],
            "Cấp": ["Thành phố", "Phường", "Phường"],
            "Mã đơn vị cấp trên": ["", "79", "79"],
            "Hiệu lực từ": ["", "01/07/2025", "01/07/2025"],
        }
    )
    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    checked, result = run(engine, "units", buffer.getvalue(), "don-vi.xlsx")
    assert checked.ok, checked.problems
    assert result.added == 3
    with engine.connect() as connection:
        assert dict(connection.execute(select(schema.units.c.code, schema.units.c.parent_code)).all()) == {"79": None, "26740": "79", "26743": "79"}


# --- bad input: a clear report, nothing written ------------------------------------------------
def test_unknown_parent_code(hcmc):
    problems = refused(hcmc, "departments", csv("Mã cơ quan,Tên cơ quan,Mã đơn vị cấp trên", "79.SYT,Sở Y tế,99"))
    assert problems[["row", "column", "value"]].values.tolist() == [[2, "Mã đơn vị cấp trên", "99"]]
    assert "cấp trên" in problems["expected"].iat[0]


def test_link_to_a_unit_that_does_not_exist(hcmc):
    problems = refused(hcmc, "lineage", csv("Mã đơn vị cũ,Mã đơn vị mới,Ngày hiệu lực", "26746,26740,01/07/2025", "26746,99999,01/07/2025"))
    assert problems[["row", "column", "value"]].values.tolist() == [[3, "Mã đơn vị mới", "99999"]]


def test_overlapping_validity_of_one_code(hcmc):
    # 26740 is already Phường Sài Gòn from 01/07/2025 on; another version from 2026 overlaps it.
    problems = refused(hcmc, "units", csv("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Hiệu lực từ", "26740,Phường Sài Gòn mới,Phường,79,01/01/2026"))
    assert problems[["row", "column", "value"]].values.tolist() == [[2, "Hiệu lực từ", "01/01/2026"]]
    assert "26740" in problems["expected"].iat[0]


def test_cycle_in_the_tree(engine):
    problems = refused(
        engine,
        "units",
        csv("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên", "79,Thành phố Hồ Chí Minh,Thành phố,", "760,Quận 1,Quận,26740", "26740,Phường Bến Nghé,Phường,760"),
    )
    assert sorted(problems[["row", "value"]].values.tolist()) == [[3, "26740"], [4, "760"]]
    assert set(problems["column"]) == {"Mã đơn vị cấp trên"}


def test_duplicate_keys(hcmc):
    problems = refused(hcmc, "officers", csv("Mã cán bộ,Họ và tên,Mã đơn vị", "CB1,Nguyễn Văn A,26740", "CB1,Nguyễn Văn B,26743"))
    assert problems[["row", "column", "value"]].values.tolist() == [[3, "Mã cán bộ", "CB1"]]
    problems = refused(hcmc, "departments", csv("Mã cơ quan,Tên cơ quan", "79.SYT,Sở Y tế", "79.SYT,Sở Y tế (2)"))
    assert problems[["row", "column"]].values.tolist() == [[3, "Mã cơ quan"]]


def cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: precomposed where the code page has the letter,
    else the base letter and combining tone marks."""
    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)  # ã = a + U+0303; ở = ơ + U+0309
            try:
                out += unicodedata.normalize("NFC", parts[:2]).encode("cp1258") + parts[2:].encode("cp1258")
            except UnicodeEncodeError:
                out += parts.encode("cp1258")
    return out


def test_wrong_encoding(hcmc):
    before = snapshot(hcmc)
    with pytest.raises(ingest.FileRejected, match="không phải UTF-8") as error:
        run(hcmc, "departments", cp1258("Mã cơ quan,Tên cơ quan\n79.SYT,Sở Y tế\n"))
    assert "Windows-1258" in str(error.value)
    with pytest.raises(ingest.FileRejected, match="không phải UTF-8"):
        run(hcmc, "departments", "Mã,Tên\n79.SYT,Sở Y tế\n".encode("latin-1", errors="replace"))
    assert snapshot(hcmc) == before


def test_weights_outside_0_1_and_summing_over_1(hcmc):
    problems = refused(hcmc, "lineage", csv("Mã đơn vị cũ,Mã đơn vị mới,Tỷ trọng", "26746,26740,1.4"))
    assert problems[["row", "column", "value"]].values.tolist() == [[2, "Tỷ trọng", "1.4"]]
    problems = refused(hcmc, "lineage", csv("Mã đơn vị cũ,Mã đơn vị mới,Tỷ trọng", "26746,26740,0.7", "26746,26743,0.6"))
    assert sorted(problems[["row", "column"]].values.tolist()) == [[2, "Tỷ trọng"], [3, "Tỷ trọng"]]
    # Stored weights count too: 0.7 stored, then 0.6 for the other link.
    run(hcmc, "lineage", csv("Mã đơn vị cũ,Mã đơn vị mới,Tỷ trọng", "26746,26740,0.7"))
    problems = refused(hcmc, "lineage", csv("Mã đơn vị cũ,Mã đơn vị mới,Tỷ trọng", "26746,26743,0.6"))
    assert problems["row"].tolist() == [2] and "(đang là 1,3)" in problems["expected"].iat[0]  # 0,7 + 0,6, a decimal comma


def test_cli_refuses_with_exit_code_1(hcmc, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv("Mã cơ quan,Tên cơ quan,Mã đơn vị cấp trên", "79.SYT,Sở Y tế,99"))
    assert reference.main(["import", "departments", str(path), "--url", hcmc.url.render_as_string(hide_password=False)]) == 1
    out = capsys.readouterr().out
    assert "không được nhập" in out and "99" in out
    assert reference.main(["import", "departments", str(tmp_path / "missing.csv")]) == 2


# --- fact imports: the unit version in force on the record's date --------------------------------
DOSSIERS = "Mã hồ sơ,Mã đơn vị,Mã thủ tục,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái"
RATINGS = "Mã đánh giá,Mã đơn vị,Kênh đánh giá,Mức độ hài lòng,Thời gian đánh giá"


def _facts(engine):
    with engine.connect() as connection:
        return (
            dict(connection.execute(select(schema.dossiers.c.code, schema.dossiers.c.unit_code)).all()),
            dict(connection.execute(select(schema.ratings.c.source_key, schema.ratings.c.unit_code)).all()),
        )


def test_fact_import_resolves_a_reused_code_by_date(hcmc):
    run(hcmc, "procedures", PROCEDURES)
    dossiers = csv(
        DOSSIERS,
        "H2024,26740,1.001193,1,02/05/2024 08:00,03/05/2024 17:00,4",
        "H2026,26740,1.001193,1,02/10/2026 08:00,05/10/2026 17:00,4",
        "HKEY,26740@2025-06-30,1.001193,1,03/05/2024 08:00,06/05/2024 17:00,4",
    )
    checked, result = ingest.import_file(hcmc, "dossiers", io.BytesIO(dossiers), "hs.csv", actor="test")
    assert result is not None, checked.problems
    ratings = csv(RATINGS, "R2024,26740,kiosk,1,30/06/2025 23:00", "R2026,26740,kiosk,1,01/07/2025 07:00")
    checked, result = ingest.import_file(hcmc, "ratings", io.BytesIO(ratings), "dg.csv", actor="test")
    assert result is not None, checked.problems
    dossier_units, rating_units = _facts(hcmc)
    # Fresh database: the current Sài Gòn holds the bare code, the former Bến Nghé the suffixed key.
    assert dossier_units == {"H2024": "26740@2025-06-30", "H2026": "26740", "HKEY": "26740@2025-06-30"}
    assert rating_units == {"R2024": "26740@2025-06-30", "R2026": "26740"}


def test_fact_import_refuses_a_code_not_in_force_on_the_date(hcmc):
    run(hcmc, "procedures", PROCEDURES)
    # 26743 went into a new unit; a 2026 dossier of a former-only code has no unit in force.
    with hcmc.connect() as connection:
        former_only = connection.execute(
            select(schema.units.c.gso_code)
            .where(
                schema.units.c.level == "ward",
                schema.units.c.valid_to.is_not(None),
                ~schema.units.c.gso_code.in_(select(schema.units.c.gso_code).where(schema.units.c.valid_to.is_(None))),
            )
            .limit(1)
        ).scalar_one()
    dossiers = csv(DOSSIERS, f"X1,{former_only},1.001193,1,02/10/2026 08:00,05/10/2026 17:00,4")
    checked, result = ingest.import_file(hcmc, "dossiers", io.BytesIO(dossiers), "hs.csv", actor="test")
    assert result is None
    assert checked.problems[["row", "column", "value"]].values.tolist() == [[2, "Mã đơn vị", former_only]]
    assert "30/06/2025" in checked.problems["expected"].iat[0]


def test_fact_import_after_upgrading_an_old_database(engine_at_0009):
    """In a database made before unit versions, 26740 stays Bến Nghé's key: a 2026 row goes to
    Sài Gòn's new key 26740@2025-07-01."""
    engine = engine_at_0009
    reference.init_province(engine, "79", actor="test")
    dossiers = csv(DOSSIERS, "N2024,26740,P1,1,02/05/2024 08:00,03/05/2024 17:00,4", "N2026,26740,P1,1,02/10/2026 08:00,05/10/2026 17:00,4")
    checked, result = ingest.import_file(engine, "dossiers", io.BytesIO(dossiers), "hs.csv", actor="test")
    assert result is not None, checked.problems
    dossier_units, _ = _facts(engine)
    assert dossier_units["N2024"] == "26740" and dossier_units["N2026"] == "26740@2025-07-01"


# --- access: a department head reads the history of their own former departments -------------
def test_department_head_reads_own_former_departments_only(hcmc):
    run(hcmc, "departments", DEPARTMENTS)
    run(hcmc, "procedures", PROCEDURES)
    # Open dossiers long past due: one per department, each received while it was in force
    # (the merged department from 1 March 2025).
    dossiers = csv(
        DOSSIERS,
        *[
            f"{code},{code},1.004227,1,05/{month}/2025 08:00,10/{month}/2025 17:00,4"
            for code, month in (("79.STNMT", "01"), ("79.SNN", "01"), ("79.SGTVT", "01"), ("79.SNNMT", "03"))
        ],
    )
    checked, result = ingest.import_file(hcmc, "dossiers", io.BytesIO(dossiers), "hs.csv", actor="test")
    assert result is not None, checked.problems
    head = Viewer("nm", DEPARTMENT_HEAD, "79.SNNMT", "Giám đốc Sở NN&MT")
    listed = unit_queries.overdue_dossiers(hcmc, date(2026, 10, 1), None, viewer=head)
    assert set(listed["unit_code"]) == {"79.SNNMT", "79.STNMT", "79.SNN"}
    assert set(unit_queries.overdue_dossiers(hcmc, date(2026, 10, 1), ["79.STNMT"], viewer=head)["code"]) == {"79.STNMT"}
    with pytest.raises(OutOfScope):
        unit_queries.overdue_dossiers(hcmc, date(2026, 10, 1), ["79.SGTVT"], viewer=head)
    # Sở Xây dựng's head reads the former transport department, not the former environment one.
    builder = Viewer("xd", DEPARTMENT_HEAD, "79.SXD", "")
    assert set(queries.detail_codes(hcmc, builder, None)) == {"79.SXD", "79.SGTVT"}
    with pytest.raises(OutOfScope):
        queries.detail_codes(hcmc, builder, ["79.STNMT"])


def test_a_current_ward_owns_its_former_wards_not_its_former_district(hcmc):
    """The rule a ward-level scope will use (domain.access.with_former_units), on the data
    layer's units and links: Phường Sài Gòn (26740) owns Phường Bến Nghé, which went into it
    whole, and the part of Phường Nguyễn Thái Bình (26746) that went into it; not Quận 1,
    whose other wards went elsewhere, nor Phường Tân Định (26734), which did not go into it."""
    from domain.access import with_former_units

    units, links = queries.unit_tree(hcmc), queries.unit_links(hcmc)
    own = with_former_units(frozenset({"26740"}), units, links)
    with hcmc.connect() as connection:
        keys = dict(connection.execute(select(schema.units.c.name, schema.units.c.code).where(schema.units.c.valid_to == date(2025, 6, 30))).all())
    assert {keys["Phường Bến Nghé"], keys["Phường Nguyễn Thái Bình"]} <= own
    assert keys["Quận 1"] not in own and keys["Phường Tân Định"] not in own


def test_data_page_offers_the_reference_lists_to_admins(sqlite_url, monkeypatch):
    """The Data page checks and imports a departments list through the same worker and write
    path as the command line (single-user demo mode is an administrator)."""
    from data_access.db import make_engine
    from data_access.migrate import upgrade
    from tests.support.app_test import check_upload, import_checked, open_data_page, refused_upload

    engine = make_engine(sqlite_url)
    upgrade(engine)
    reference.init_province(engine, "79", actor="test")
    at = open_data_page(sqlite_url, monkeypatch, timeout=120)
    at.radio(key="ingest_source").set_value("departments").run()
    check_upload(at, "so.csv", csv("Mã cơ quan,Tên cơ quan,Mã đơn vị cấp trên", "79.SYT,Sở Y tế,99"))
    assert refused_upload(at) == [2, "Mã đơn vị cấp trên", "99"]

    check_upload(at, "so.csv", DEPARTMENTS)
    assert any("thêm mới 5" in s for s in import_checked(at))
    assert count_departments(engine) == 5
    engine.dispose()


def count_departments(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(schema.units).where(schema.units.c.level == "department")).scalar_one()


def test_a_plain_list_of_todays_units_updates_todays_units(hcmc):
    """No dates: a code stands for the unit in force today, not for the former unit that
    carried the same code (26740: Sài Gòn, not Bến Nghé)."""
    checked, result = run(hcmc, "units", csv("Mã đơn vị,Tên đơn vị,Cấp,Mã đơn vị cấp trên,Diện tích (km2)", "26740,Phường Sài Gòn,Phường,79,2.5"))
    assert checked.ok, checked.problems
    assert (result.added, result.updated) == (0, 1)
    with hcmc.connect() as connection:
        rows = connection.execute(
            select(schema.units.c.name, schema.units.c.valid_from, schema.units.c.valid_to, schema.units.c.area_km2, schema.units.c.lat.is_not(None))
            .where(schema.units.c.gso_code == "26740")
            .order_by(schema.units.c.name)
        ).all()
    # Sài Gòn keeps its start, its end (none) and its centroid: the file had no such columns.
    assert [tuple(r) for r in rows] == [("Phường Bến Nghé", None, date(2025, 6, 30), None, True), ("Phường Sài Gòn", REFORM, None, 2.5, True)]


def test_resolve_unit_codes_by_hand():
    """domain.units.resolve_unit_codes on three versions written here: 26740 until 30/06/2025
    (key 26740@2025-06-30), 26740 from 01/07/2025 (key 26740), 760 until 30/06/2025."""
    import numpy as np

    from domain.units import resolve_unit_codes

    versions = pd.DataFrame(
        {
            "code": ["26740@2025-06-30", "26740", "760"],
            "gso_code": ["26740", "26740", "760"],
            "valid_from": [None, date(2025, 7, 1), None],
            "valid_to": [date(2025, 6, 30), None, date(2025, 6, 30)],
        }
    )
    values = pd.Series(["26740", "26740", "26740", "760", "760", "26740@2025-06-30", "99999", "26740"], dtype=object)
    days = np.array(
        ["2025-06-30T23:59", "2025-07-01T00:00", "2019-01-01", "2024-01-01", "2026-01-01", "2026-01-01", "2024-01-01", "NaT"], dtype="datetime64[us]"
    )
    keys, not_in_force = resolve_unit_codes(values, days, versions)
    assert keys.tolist() == ["26740@2025-06-30", "26740", "26740@2025-06-30", "760", None, "26740@2025-06-30", None, None]
    assert not_in_force.tolist() == [False, False, False, False, True, False, False, True]
    empty_keys, empty_late = resolve_unit_codes(values, days, versions.iloc[0:0])
    assert empty_keys.isna().all() and not empty_late.any()
