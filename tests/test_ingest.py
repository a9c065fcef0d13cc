"""Loading real exports (data_access/ingest.py, ingest/, pages/admin/data.py).

Every expected count below is worked out by hand from tests/tiny_dataset.py and the rows
written in each test: the summaries must move by exactly the rows added or changed.
"""

from __future__ import annotations

import hashlib
import io
import time
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, inspect, select

from data_access import ingest, refresh, schema
from ingest import FileRejected, Options, load_mapping, parse_datetimes
from tests import tiny_dataset

DOSSIER_HEADER = "Mã hồ sơ,Mã đơn vị,Mã thủ tục,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Ngày hoàn thành,Trạng thái"
# N1: 26734, P1 (HT), in person, received 02/10, due 07/10, finished 06/10 (early), returned.
# N2: 26737, P2 (DD), online, received 03/10 09:15, due 17/10, still in process.
GOOD_DOSSIERS = [
    "N1,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,06/10/2026 10:00,10",
    "N2,26737,P2,Trực tuyến,03/10/2026 09:15,17/10/2026 17:00,,Đang xử lý",
]
RATING_HEADER = "Mã đánh giá,Mã đơn vị,Mã cán bộ,Kênh đánh giá,Mức độ hài lòng,Thời gian đánh giá,Ý kiến"
# S1: 26734 kiosk very satisfied on 07/10; S2: 26737 web dissatisfied on 08/10.
GOOD_RATINGS = [
    "S1,26734,O1,kiosk,Rất hài lòng,07/10/2026 09:00,",
    "S2,26737,,Cổng dịch vụ công,KHÔNG HÀI LÒNG,08/10/2026 20:30,Chờ lâu",
]
TODAY = date(2026, 11, 22)


def csv_bytes(header: str, rows: list[str], bom: bool = True) -> bytes:
    return (("\ufeff" if bom else "") + "\n".join([header, *rows]) + "\n").encode("utf-8")


@pytest.fixture
def tiny(engine):
    tiny_dataset.load(engine)
    refresh.refresh_summaries(engine, today=TODAY)
    return engine


def fingerprint(engine) -> tuple[dict, str]:
    """Row counts of every table in the database and a checksum of the fact tables."""
    digest = hashlib.sha256()
    with engine.connect() as connection:
        names = inspect(connection).get_table_names()
        counts = {
            name: connection.execute(select(func.count()).select_from(schema.metadata.tables[name])).scalar()
            for name in names
            if name in schema.metadata.tables
        }
        for table in (schema.ratings, schema.dossiers):
            for row in connection.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return counts, digest.hexdigest()


def dossier_day(engine, day: str, unit: str, column: str) -> int:
    d = schema.dossier_daily.c
    with engine.connect() as connection:
        value = connection.execute(select(func.sum(d[column])).where(d.day == date.fromisoformat(day), d.unit_code == unit)).scalar()
    return int(value or 0)


def dossier_total(engine, column: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.sum(schema.dossier_daily.c[column]))).scalar() or 0)


def rating_day(engine, day: str, unit: str, column: str) -> int:
    r = schema.rating_daily.c
    with engine.connect() as connection:
        value = connection.execute(select(func.sum(r[column])).where(r.day == date.fromisoformat(day), r.unit_code == unit)).scalar()
    return int(value or 0)


def run_import(engine, source: str, content: bytes, name: str = "export.csv", **kwargs):
    return ingest.import_file(engine, source, content, name, actor="test", lang="en", **kwargs)


# --- good files --------------------------------------------------------------------------------
def test_good_dossiers_csv_with_bom_and_vietnamese_dates_moves_summaries_by_the_rows_added(tiny):
    received_before, finished_before = dossier_total(tiny, "received"), dossier_total(tiny, "finished")
    early_before = dossier_day(tiny, "2026-10-06", "26734", "finished_early")
    checked, result = run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS))
    assert checked.ok, checked.message
    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    assert result.refreshed_from == date(2026, 10, 2)
    # received +1 on 02/10 at 26734 (tiny has nothing that day there) and +1 on 03/10 at 26737.
    assert dossier_total(tiny, "received") == received_before + 2
    assert dossier_day(tiny, "2026-10-02", "26734", "received") == 1 + 1  # D8 was received on 02/10 too
    assert dossier_day(tiny, "2026-10-03", "26737", "received") == 1
    assert dossier_day(tiny, "2026-10-03", "26737", "received_online") == 1
    # N1 finished 06/10 before its due day 07/10: finished +1, early +1 on 06/10.
    assert dossier_total(tiny, "finished") == finished_before + 1
    assert dossier_day(tiny, "2026-10-06", "26734", "finished_early") == early_before + 1
    with tiny.connect() as connection:
        row = connection.execute(select(schema.dossiers).where(schema.dossiers.c.code == "N2")).mappings().one()
        audit = connection.execute(select(schema.audit_log)).mappings().all()
    assert row["field_code"] == "DD" and row["channel"] == 2 and row["status"] == 4 and row["finished_at"] is None
    assert row["accepted_late"] is False or row["accepted_late"] == 0  # the column default for a new row
    assert [(a["actor"], a["action"]) for a in audit] == [("test", "import")]
    assert "dossiers: export.csv, 2 rows" == audit[0]["what"]


def test_good_ratings_with_vietnamese_labels(tiny):
    _, result = run_import(tiny, "ratings", csv_bytes(RATING_HEADER, GOOD_RATINGS, bom=False))
    assert result.added == 2
    assert rating_day(tiny, "2026-10-07", "26734", "very_satisfied") == 1
    assert rating_day(tiny, "2026-10-08", "26737", "dissatisfied") == 1
    with tiny.connect() as connection:
        channel = connection.execute(select(schema.ratings.c.channel).where(schema.ratings.c.source_key == "S2")).scalar()
    assert channel == "web"


def test_reimport_adds_nothing_and_changes_nothing(tiny):
    run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS))
    counts, checksum = fingerprint(tiny)
    _, result = run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS))
    assert (result.added, result.updated, result.unchanged, result.refreshed_from) == (0, 0, 2, None)
    counts_after, checksum_after = fingerprint(tiny)
    assert checksum_after == checksum
    assert counts_after == {**counts, "audit_log": counts["audit_log"] + 1}


def test_overlapping_later_export_updates_changed_dossiers_and_their_summaries(tiny):
    run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS))
    finished_1010 = dossier_day(tiny, "2026-10-10", "26737", "finished")
    late_2510 = dossier_day(tiny, "2026-10-25", "26737", "finished_late")
    later = [
        GOOD_DOSSIERS[0],  # unchanged
        "N2,26737,P2,2,03/10/2026 09:15,17/10/2026 17:00,10/10/2026 16:00,Đã trả kết quả",  # now finished, early
        # D6 (tiny dataset, open, due 23/10) is now finished on 25/10: late.
        "D6,26737,P1,1,20/10/2026 08:00,23/10/2026 17:00,25/10/2026 09:00,10",
        "N3,26734,P1,1,29/10/2026 08:00,03/11/2026 17:00,,2",  # new
    ]
    _, result = run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, later), "later.csv")
    assert (result.added, result.updated, result.unchanged) == (1, 2, 1)
    assert result.refreshed_from == date(2026, 10, 3)  # N2's received day (earliest of old and new values)
    assert dossier_day(tiny, "2026-10-10", "26737", "finished") == finished_1010 + 1
    assert dossier_day(tiny, "2026-10-10", "26737", "finished_early") == 1
    assert dossier_day(tiny, "2026-10-25", "26737", "finished_late") == late_2510 + 1
    # The backlog moved too: D6 is no longer open (nor overdue) at the end of October.
    b = schema.backlog_daily.c
    with tiny.connect() as connection:
        open_end = connection.execute(select(b.open_dossiers, b.open_overdue).where(b.day == date(2026, 10, 31), b.unit_code == "26737")).one()
        status = connection.execute(select(schema.dossiers.c.status).where(schema.dossiers.c.code == "D6")).scalar()
    assert status == 10
    assert tuple(open_end) == (1, 0)  # D7 only (N2 finished, D6 finished)


def test_a_changed_received_day_moves_the_count_from_the_old_day(tiny):
    run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS))
    moved = [GOOD_DOSSIERS[0].replace("02/10/2026 08:00", "05/10/2026 08:00")]
    _, result = run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, moved))
    assert result.updated == 1 and result.refreshed_from == date(2026, 10, 2)  # the old day
    assert dossier_day(tiny, "2026-10-02", "26734", "received") == 1  # D8 only
    assert dossier_day(tiny, "2026-10-05", "26734", "received") == 1


def test_excel_with_title_rows_date_cells_and_numeric_codes(tiny):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["BÁO CÁO HỒ SƠ THÁNG 10/2026"])
    sheet.append([])
    sheet.append(["Số hồ sơ", "Mã đơn vị", "Mã TTHC", "Hình thức nộp", "Ngày tiếp nhận", "Hạn xử lý", "Ngày hoàn thành", "Trạng thái"])
    from datetime import datetime

    sheet.append(["X1", 26734, "P1", 1, datetime(2026, 10, 2, 8, 0), 46302.7083333, "06/10/2026 10:00", 10])  # serial = 07/10/2026 17:00
    buffer = io.BytesIO()
    workbook.save(buffer)
    checked, result = run_import(tiny, "dossiers", buffer.getvalue(), "bao-cao.xlsx")
    assert checked.ok, checked.problems
    assert checked.raw.row_numbers.tolist() == [4]
    with tiny.connect() as connection:
        row = connection.execute(select(schema.dossiers).where(schema.dossiers.c.code == "X1")).mappings().one()
    assert pd.Timestamp(row["due_at"]).round("min") == pd.Timestamp("2026-10-07 17:00")
    assert row["unit_code"] == "26734" and result.added == 1


def test_free_text_with_sql_metacharacters_is_stored_verbatim(tiny):
    text = "'; DROP TABLE units; --"
    _, result = run_import(tiny, "ratings", csv_bytes(RATING_HEADER, [f'S9,26734,,kiosk,4,07/10/2026 09:00,"{text}"']))
    assert result.added == 1
    with tiny.connect() as connection:
        assert connection.execute(select(schema.ratings.c.reason).where(schema.ratings.c.source_key == "S9")).scalar() == text
        assert connection.execute(select(func.count()).select_from(schema.units)).scalar() == len(tiny_dataset.UNITS)


def test_three_level_form_maps_explicitly(tiny):
    rows = ["T1,26734,,kiosk,1,07/10/2026 09:00,", "T2,26734,,kiosk,3,07/10/2026 09:05,"]
    _, result = run_import(tiny, "ratings", csv_bytes(RATING_HEADER, rows), options=Options(three_level=True))
    with tiny.connect() as connection:
        levels = dict(
            connection.execute(select(schema.ratings.c.source_key, schema.ratings.c.level).where(schema.ratings.c.source_key.in_(["T1", "T2"]))).all()
        )
    assert levels == {"T1": 2, "T2": 4}  # satisfied, dissatisfied (domain.vocab.THREE_LEVEL_SCALE)


# --- bad files: a clear message, the database unchanged --------------------------------------------
LONG = "x" * 10_000
BAD_ROWS = [
    # (source, row text replacing row 2 or rows, column, value shown, words in "expected")
    ("dossiers", ["N1,99999,P1,1,02/10/2026 08:00,07/10/2026 17:00,06/10/2026 10:00,10"], 2, "Mã đơn vị", "99999", "unit code known"),
    ("dossiers", ["N1,26734,P9,1,02/10/2026 08:00,07/10/2026 17:00,06/10/2026 10:00,10"], 2, "Mã thủ tục", "P9", "procedure code known"),
    (
        "dossiers",
        ["N1,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,01/10/2026 10:00,10"],
        2,
        "Ngày hoàn thành",
        "01/10/2026 10:00",
        "not before the received time",
    ),
    ("dossiers", ["N1,26734,P1,1,31/02/2026 08:00,07/10/2026 17:00,,4"], 2, "Ngày tiếp nhận", "31/02/2026 08:00", "dd/mm/yyyy"),
    ("dossiers", ["N1,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,06/10/2026 10:00,42"], 2, "Trạng thái", "42", "status code 1-10"),
    ("dossiers", ["N1,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,,10"], 2, "Ngày hoàn thành", "", "finish time for a dossier with status 9/10"),
    ("dossiers", [GOOD_DOSSIERS[0], GOOD_DOSSIERS[0]], 3, "Mã hồ sơ", "N1", "already on row 2"),
    (
        "dossiers",
        ["N1,'; DROP TABLE units; --,P1,1,02/10/2026 08:00,07/10/2026 17:00,,4"],
        2,
        "Mã đơn vị",
        "'; DROP TABLE units; --",
        "code of letters, digits",
    ),
    ("dossiers", [f"{LONG},26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,,4"], 2, "Mã hồ sơ", "(10,000 chars)", "at most 64 characters"),
    ("ratings", ["S1,26734,O1,kiosk,Tuyệt vời,07/10/2026 09:00,"], 2, "Mức độ hài lòng", "Tuyệt vời", "Rất hài lòng"),
    ("ratings", ["S1,26734,O1,kiosk,5,07/10/2026 09:00,"], 2, "Mức độ hài lòng", "5", "1-4"),
    ("ratings", ["S1,26734,O1,fax,1,07/10/2026 09:00,"], 2, "Kênh đánh giá", "fax", "kiosk, tablet"),
    ("ratings", ["S1,26734,O9,kiosk,1,07/10/2026 09:00,"], 2, "Mã cán bộ", "O9", "officer code known"),
    ("ratings", [f"S1,26734,O1,kiosk,1,07/10/2026 09:00,{LONG}"], 2, "Ý kiến", "(10,000 chars)", "at most 2,000 characters"),
    ("ratings", ["S1,26734,O1,kiosk,1,07/10/2099 09:00,"], 2, "Thời gian đánh giá", "07/10/2099 09:00", "not in the future"),
]


def test_bad_rows_are_reported_and_nothing_is_written(tiny):
    # One database per backend for every case (a fresh PostgreSQL database per case is slow).
    before = fingerprint(tiny)
    for source, rows, row, column, value, expected in BAD_ROWS:
        case = f"{source} {column} {expected}"
        header = DOSSIER_HEADER if source == "dossiers" else RATING_HEADER
        good = GOOD_DOSSIERS[1:] if source == "dossiers" else GOOD_RATINGS[1:]
        checked, result = run_import(tiny, source, csv_bytes(header, [*rows, *good]))
        assert result is None and not checked.ok, case
        assert "Nothing was written" in checked.message, case
        problem = checked.problems[(checked.problems["row"] == row) & (checked.problems["column"] == column)]
        assert len(problem) == 1, (case, checked.problems.to_string())
        assert value in problem["value"].iloc[0], case
        assert expected in problem["expected"].iloc[0], case
        # The rejected rows keep the file's cells and say what is wrong; the good row is not among them.
        assert checked.rejected_rows["row"].tolist() == [row], case
        assert column in checked.rejected_rows["problems"].iloc[-1], case
        with pytest.raises(FileRejected):
            ingest.write(tiny, checked, "test")
        assert fingerprint(tiny) == before, case


def cp1258(text: str) -> bytes:
    """Windows-1258 bytes as Vietnamese Windows saves them (a base letter + a combining tone mark)."""
    import unicodedata

    out = b""
    for char in text:
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", char)
            tones = "".join(p for p in parts if p in "\u0300\u0301\u0303\u0309\u0323")
            base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
            out += (base + tones).encode("cp1258")
    return out


def _formula_workbook() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(DOSSIER_HEADER.split(","))
    sheet.append(["N1", "26734", "P1", 1, "02/10/2026 08:00", "=E2+5", "", 4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


BAD_FILES = [
    ("cp1258", cp1258(DOSSIER_HEADER) + b"\nN1,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,,4\n", "export.csv", ["not UTF-8", "line 1", "CSV UTF-8"]),
    (
        "latin-1 in a cell",
        csv_bytes(DOSSIER_HEADER, []) + "N1,26734,P1,Trực tiếp,02/10/2026 08:00,07/10/2026 17:00,,4\n".encode().replace("ự".encode(), b"\xf1"),
        "export.csv",
        ["not UTF-8", "line 2"],
    ),
    ("formula", _formula_workbook(), "export.xlsx", ["formulas", "F2", "Paste Special > Values"]),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "export.csv", ["not a CSV text file", "0x00"]),
    ("empty", b"", "export.csv", ["is empty"]),
    ("header only", csv_bytes(DOSSIER_HEADER, []), "export.csv", ["no data rows"]),
    ("missing column", csv_bytes("Mã hồ sơ,Mã đơn vị", ["N1,26734"]), "export.csv", ["lacks required columns", "procedure_code"]),
    (
        "ragged",
        csv_bytes(DOSSIER_HEADER, ["N1,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,,4,extra,cells"]),
        "export.csv",
        ["different number of cells", "line 2"],
    ),
    ("old xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "export.xls", ["Excel 97-2003"]),
    ("utf-16", "Mã hồ sơ,Mã đơn vị\n".encode("utf-16"), "export.csv", ["UTF-16"]),
]


def test_unreadable_files_are_refused_with_a_clear_message(tiny):
    before = fingerprint(tiny)
    for case, content, name, words in BAD_FILES:
        with pytest.raises(FileRejected) as refused:
            run_import(tiny, "dossiers", content, name)
        for word in words:
            assert word in str(refused.value), (case, str(refused.value))
        assert fingerprint(tiny) == before, case


def test_oversized_file_is_refused_before_reading(tiny):
    from dataclasses import replace

    mapping = load_mapping()
    small = replace(mapping, limits=replace(mapping.limits, max_file_mb=0.001))  # about 1 KB
    content = csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS * 20)
    with pytest.raises(FileRejected, match=r"over the 0\.001 MB limit"):
        run_import(tiny, "dossiers", content, mapping=small)


def test_many_duplicate_rows_are_refused_quickly_and_listed_within_limits(tiny):
    # Both backends: the refusal must not depend on the database (1,000,000 rows: benchmarks/ingest.py).
    lines = 200_000
    content = csv_bytes(DOSSIER_HEADER, []) + (GOOD_DOSSIERS[1] + "\n").encode() * lines
    before = fingerprint(tiny)
    started = time.perf_counter()
    checked, result = run_import(tiny, "dossiers", content)
    assert time.perf_counter() - started < 30
    assert result is None
    assert checked.problem_count == lines - 1
    assert "199,999 problems" in checked.message and "already on row 2" in checked.message
    assert len(checked.problems) == load_mapping().limits.max_problems_listed
    assert checked.rejected_count == lines - 1
    assert len(checked.rejected_rows) == load_mapping().limits.max_rejected_rows
    assert "already on row 2" in checked.rejected_rows["problems"].iloc[-1]
    assert fingerprint(tiny) == before


# --- pieces --------------------------------------------------------------------------------------------
def test_parse_datetimes_accepts_vietnamese_iso_and_excel_forms_only():
    values = pd.Series(
        [
            "05/10/2026 08:30",
            "5/10/2026",
            "08:30 05/10/2026",
            "2026-10-05 08:30:15.5",
            "05-10-2026 08:30:00",
            "46300.5",
            "",
            "31/02/2026",
            "10/13/2026",
            "25:00 05/10/2026",
            "hôm qua",
        ],
        dtype="str",
    )
    parsed, bad = parse_datetimes(values)
    expected = ["2026-10-05 08:30", "2026-10-05", "2026-10-05 08:30", "2026-10-05 08:30:15.5", "2026-10-05 08:30", "2026-10-05 12:00"]
    assert [pd.Timestamp(v) for v in parsed[:6]] == [pd.Timestamp(v) for v in expected]
    assert bad.tolist() == [False] * 7 + [True] * 4
    assert np.isnat(parsed[6:]).all()


def test_headers_match_without_diacritics_or_case(tiny):
    header = "MA HO SO;ma_don_vi;Mã TTHC;kenh nop;NGÀY TIẾP NHẬN;Ngày hẹn trả;Trạng thái;Ghi chú"
    checked = ingest.check(tiny, "dossiers", csv_bytes(header, ["N7;26734;P1;1;02/10/2026;07/10/2026;2;xin chào"]), "x.csv", lang="en")
    assert checked.ok, checked.problems
    assert checked.mapping["code"] == "MA HO SO" and checked.raw.delimiter == ";"
    assert checked.ignored == ["Ghi chú"]


def test_freshness_and_audit(tiny):
    run_import(tiny, "ratings", csv_bytes(RATING_HEADER, GOOD_RATINGS))
    fresh = ingest.freshness(tiny)
    row = fresh[(fresh["source"] == "ratings") & (fresh["unit_code"] == "26737")].iloc[0]
    assert row["latest"] == pd.Timestamp("2026-10-20 15:00") and row["records"] == 3 and row["unit_name"] == "Phường Đa Kao"
    dossier = fresh[(fresh["source"] == "dossiers") & (fresh["unit_code"] == "26737")].iloc[0]
    assert dossier["latest"] == pd.Timestamp("2026-10-28 08:00")
    ingest.record_audit(tiny, "lan", "export", "overview.pptx", {"rows": 12})
    log = ingest.audit_entries(tiny)
    assert log["action"].tolist() == ["export", "import"] and log["actor"].tolist() == ["lan", "test"]


def test_cli_exit_codes(sqlite_url, tmp_path, capsys):
    from data_access.db import make_engine
    from data_access.migrate import upgrade

    engine = make_engine(sqlite_url)
    upgrade(engine)
    tiny_dataset.load(engine)
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(DOSSIER_HEADER, [GOOD_DOSSIERS[0].replace("26734", "99999")]))
    rejected = tmp_path / "rejected.csv"
    common = ["--url", sqlite_url, "--lang", "en", "--quiet"]
    assert ingest.main(["dossiers", str(good), *common, "--check"]) == 0
    assert ingest.main(["dossiers", str(good), *common]) == 0
    assert "2 added" in capsys.readouterr().out
    assert ingest.main(["dossiers", str(bad), *common, "--rejected", str(rejected)]) == 1
    out = capsys.readouterr().out
    assert "99999" in out and "unit code known" in out
    assert pd.read_csv(rejected, dtype=str, encoding="utf-8-sig")["row"].tolist() == ["2"]
    assert ingest.main(["dossiers", str(tmp_path / "missing.csv"), *common]) == 2
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert ingest.main(["dossiers", str(empty), *common]) == 1
    with engine.connect() as connection:
        assert connection.execute(select(schema.audit_log.c.actor)).scalars().all() != []
    engine.dispose()


# --- the admin page ---------------------------------------------------------------------------------------
def test_admin_page_checks_then_imports_an_upload(sqlite_url, monkeypatch):
    from tests.support.app_test import check_upload, import_checked, open_data_page, refused_upload

    engine = tiny_dataset.database(sqlite_url, today=TODAY)
    at = open_data_page(sqlite_url, monkeypatch)
    assert not at.exception
    # Nothing imported or downloaded yet: the log says so in words, not as an empty grid that
    # reads "empty" in English.
    assert "Chưa có lượt nhập hay tải xuống nào." in [c.value for c in at.caption]
    assert not [d for d in at.dataframe if "Lúc" in d.value.columns]
    at.radio(key="ingest_source").set_value("dossiers").run()

    check_upload(at, "bad.csv", csv_bytes(DOSSIER_HEADER, [GOOD_DOSSIERS[0].replace("26734", "99999"), GOOD_DOSSIERS[1]]))
    assert refused_upload(at) == [2, "Mã đơn vị", "99999"]

    check_upload(at, "good.csv", csv_bytes(DOSSIER_HEADER, GOOD_DOSSIERS))
    assert any("thêm mới 2" in s for s in import_checked(at))
    assert [d for d in at.dataframe if "Lúc" in d.value.columns], "the import is in the log"
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(schema.dossiers).where(schema.dossiers.c.code.in_(["N1", "N2"]))).scalar() == 2
        assert connection.execute(select(schema.audit_log.c.actor)).scalars().all() == ["demo"]
    engine.dispose()


# --- the refresh after an import reads only recent facts: it must agree with a full one ----------
DOSSIER_SUMMARIES = (schema.dossier_daily, schema.dossier_monthly, schema.backlog_daily)
RATING_SUMMARIES = (schema.rating_daily, schema.rating_monthly)


def _summaries(engine, tables=DOSSIER_SUMMARIES) -> dict[str, pd.DataFrame]:
    out = {}
    with engine.connect() as connection:
        for table in tables:
            keys = [c.name for c in table.primary_key.columns]
            frame = pd.DataFrame(connection.execute(select(table)).mappings().all())
            out[table.name] = frame.sort_values(keys, ignore_index=True)
    return out


def _assert_refresh_equals_a_full_recompute(engine, tables=DOSSIER_SUMMARIES, today=TODAY) -> None:
    after_import = _summaries(engine, tables)
    refresh.refresh_summaries(engine, today=today)  # everything, from the first fact
    recomputed = _summaries(engine, tables)
    for name, frame in recomputed.items():
        pd.testing.assert_frame_equal(after_import[name], frame, check_dtype=False, obj=name)


def _demo_copy(demo_db_url, tmp_path):
    import shutil

    from data_access.db import make_engine

    copy = tmp_path / "demo.sqlite"
    shutil.copy(demo_db_url.removeprefix("sqlite:///"), copy)
    return make_engine(f"sqlite:///{copy}")


@pytest.mark.parametrize("days_since_last_refresh", [0, 9])
def test_refresh_after_an_import_equals_a_full_recompute(demo_db_url, tmp_path, days_since_last_refresh):
    """A later export into two years of demo history: some open dossiers now finished (late
    and on time), one withdrawn, new ones received over the last months. The summaries the
    import moved by the difference its rows make must equal those recomputed from every
    fact, also when the last refresh was nine days before the import (the backlog's days
    since then come from the facts). The file has no supplement, apology or payment
    columns: the dossiers it updates keep the values stored for those (set below on some
    of them), new ones get the defaults."""
    engine = _demo_copy(demo_db_url, tmp_path)
    d = schema.dossiers.c
    with engine.connect() as connection:
        open_ones = connection.execute(
            select(d.code, d.unit_code, d.procedure_code, d.channel, d.received_at, d.due_at)
            .where(d.finished_at.is_(None), d.status == 4)
            .order_by(d.received_at.desc())
            .limit(40)
        ).all()
        latest = connection.execute(select(func.max(d.received_at))).scalar()
        procedures = connection.execute(select(schema.procedures.c.code)).scalars().all()[:5]
    assert len(open_ones) >= 10, "the demo should have open dossiers to finish"
    with engine.begin() as connection:  # stored values the file cannot see, on every other one
        for i, (code, *_, due) in enumerate(open_ones):
            if i % 2:
                connection.execute(
                    schema.dossiers.update()
                    .where(d.code == code)
                    .values(
                        supplement_count=1 + i % 3,
                        supplement_days=2 + i % 5,
                        accepted_late=True,
                        paid_online=i % 3 == 0,
                        digitised=i % 3 == 1,
                        apology_issued_at=(pd.Timestamp(due) - pd.Timedelta(days=1)).to_pydatetime(),
                    )
                )
    refresh.refresh_summaries(engine, today=TODAY - timedelta(days=days_since_last_refresh))

    def stamp(moment) -> str:
        return pd.Timestamp(moment).strftime("%d/%m/%Y %H:%M")

    rows = []
    for i, (code, unit, procedure, channel, received, due) in enumerate(open_ones):
        if i % 10 == 0:  # withdrawn by the citizen: leaves the backlog, never finished
            rows.append(f"{code},{unit},{procedure},{channel},{stamp(received)},{stamp(due)},,7")
        else:  # finished: half a day before the due day, or three days after it
            finished = pd.Timestamp(due) + pd.Timedelta(days=3 if i % 2 else -0.5)
            finished = max(min(finished, pd.Timestamp(latest)), pd.Timestamp(received) + pd.Timedelta(hours=1))
            rows.append(f"{code},{unit},{procedure},{channel},{stamp(received)},{stamp(due)},{stamp(finished)},10")
    units = sorted({row[1] for row in open_ones})
    for i in range(300):  # new dossiers over the 90 days before the latest one
        received = pd.Timestamp(latest) - pd.Timedelta(hours=7 * i + 1)
        finished = stamp(min(received + pd.Timedelta(days=i % 9), pd.Timestamp(latest))) if i % 3 else ""
        status = 10 if finished else 4
        rows.append(
            f"NEW-{i},{units[i % len(units)]},{procedures[i % len(procedures)]},{1 + i % 3},{stamp(received)},{stamp(received + pd.Timedelta(days=5))},{finished},{status}"
        )

    checked = ingest.check(engine, "dossiers", csv_bytes(DOSSIER_HEADER, rows), "later.csv", lang="en")
    assert checked.ok, checked.problems.head().to_string()
    result = ingest.write(engine, checked, "test", today=TODAY)
    assert (result.added, result.updated) == (300, len(open_ones))
    assert result.refreshed_from < pd.Timestamp(latest).date()
    with engine.connect() as connection:
        kept = connection.execute(
            select(func.count()).where(d.code.in_([row[0] for row in open_ones]), d.supplement_days > 0, d.accepted_late.is_(True))
        ).scalar()
    assert kept >= len(open_ones) // 2  # the update left them alone
    _assert_refresh_equals_a_full_recompute(engine)
    engine.dispose()


def test_a_refresh_from_a_day_equals_a_full_recompute(demo_db_url, tmp_path):
    """The command-line refresh from a day recomputes from the first of its month and reads
    only the dossiers that can count from then on: finished since, or unfinished and not
    withdrawn, stopped or refused before it. The same summaries as recomputing everything,
    with dossiers of each kind on both sides of that first day."""
    engine = _demo_copy(demo_db_url, tmp_path)
    d = schema.dossiers.c
    with engine.connect() as connection:
        latest = pd.Timestamp(connection.execute(select(func.max(d.received_at))).scalar())
        start = latest.to_period("M").start_time.to_pydatetime()
        unfinished = dict(connection.execute(select(d.status, func.count()).where(d.finished_at.is_(None), d.received_at < start).group_by(d.status)).all())
        falling_due = connection.execute(select(func.count()).where(d.finished_at.is_(None), d.status == 4, d.received_at < start, d.due_at >= start)).scalar()
    assert {3, 4, 7, 8} <= set(unfinished), f"the demo should have dossiers refused, open, withdrawn and stopped: {unfinished}"
    assert falling_due, "the demo should have dossiers received before the month that fall due in it"
    today = (latest + pd.Timedelta(days=40)).date()  # every one of them overdue by then
    refresh.refresh_summaries(engine, since=latest.date(), today=today)
    _assert_refresh_equals_a_full_recompute(engine, today=today)
    engine.dispose()


def test_a_dossier_open_since_march_moves_every_day_since_then_until_it_is_finished(tiny):
    """An import of a dossier received in March and still open adds it to its unit's backlog
    on every day up to today, also on days that had nothing open (new rows); its finish in
    June takes it off every day after. Each time the same as a full recompute."""
    refresh.refresh_summaries(tiny, today=TODAY)
    b = schema.backlog_daily.c

    def open_on(day: date) -> int:
        with tiny.connect() as connection:
            return int(connection.execute(select(func.coalesce(func.sum(b.open_dossiers), 0)).where(b.day == day, b.unit_code == "26737")).scalar())

    def import_rows(rows: list[str]) -> None:
        checked = ingest.check(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, rows), "old.csv", lang="en")
        assert checked.ok, checked.problems.head().to_string()
        ingest.write(tiny, checked, "test", today=TODAY)

    before = {day: open_on(day) for day in (date(2026, 3, 2), date(2026, 5, 1), date(2026, 8, 1), TODAY)}
    import_rows(["OLD-1,26737,P2,1,02/03/2026 09:00,16/03/2026 17:00,,4"])
    assert {day: open_on(day) for day in before} == {day: count + 1 for day, count in before.items()}
    _assert_refresh_equals_a_full_recompute(tiny)

    import_rows(["OLD-1,26737,P2,1,02/03/2026 09:00,16/03/2026 17:00,15/06/2026 10:00,10"])
    assert [open_on(day) for day in before] == [before[date(2026, 3, 2)] + 1, before[date(2026, 5, 1)] + 1, before[date(2026, 8, 1)], before[TODAY]]
    _assert_refresh_equals_a_full_recompute(tiny)


def test_ratings_refresh_after_an_import_equals_a_full_recompute(demo_db_url, tmp_path):
    """A ratings export into the demo history: recent ratings again, some unchanged, some
    with another level, some moved five weeks back (out of the month they counted in), and
    new ones. The refreshed rating summaries must equal those recomputed from every rating."""
    engine = _demo_copy(demo_db_url, tmp_path)
    r = schema.ratings.c
    with engine.connect() as connection:
        recent = connection.execute(
            select(r.source_key, r.unit_code, r.officer_code, r.channel, r.level, r.rated_at).order_by(r.rated_at.desc()).limit(90)
        ).all()
    latest = pd.Timestamp(recent[0][-1])

    def stamp(moment) -> str:
        return pd.Timestamp(moment).strftime("%d/%m/%Y %H:%M:%S")

    rows = []
    for i, (key, unit, officer, channel, level, rated) in enumerate(recent):
        if i % 3 == 1:
            level = 1 + level % 4
        elif i % 3 == 2:
            rated = pd.Timestamp(rated) - pd.Timedelta(days=35)
        rows.append(f"{key},{unit},{officer or ''},{channel},{level},{stamp(rated)},")
    for i in range(200):
        key, unit, officer, channel, *_ = recent[i % len(recent)]
        rows.append(f"NEW-{i},{unit},{officer or ''},{channel},{1 + i % 4},{stamp(latest - pd.Timedelta(hours=5 * i + 1))},")
    checked = ingest.check(engine, "ratings", csv_bytes(RATING_HEADER, rows), "ratings.csv", lang="en")
    assert checked.ok, checked.problems.head().to_string()
    result = ingest.write(engine, checked, "test", today=TODAY)
    assert (result.added, result.updated, result.unchanged) == (200, 60, 30)
    _assert_refresh_equals_a_full_recompute(engine, RATING_SUMMARIES)
    engine.dispose()


def test_columns_a_file_lacks_keep_their_stored_values_in_the_refresh(tiny):
    """The refresh counts an import's rows from the file: a column the file lacks must count
    with its stored value on a dossier that existed. D3's apology, D4's supplement days and
    D5's two supplement requests are not in the file, which moves D3 and D4's finish to 13/10."""

    def import_on_today(source, content):  # the full recompute below runs on TODAY too
        checked = ingest.check(tiny, source, content, "export.csv", lang="en")
        assert checked.ok, checked.problems.head().to_string()
        return ingest.write(tiny, checked, "test", today=TODAY)

    moved = [
        "D3,26734,P2,1,01/10/2026 08:00,08/10/2026 17:00,13/10/2026 10:00,10",  # late, apology 07/10 in time
        "D4,26734,P2,1,01/10/2026 08:00,08/10/2026 17:00,13/10/2026 11:00,10",  # due 08/10 + 5 days: on time
        "D5,26737,P2,1,01/10/2026 08:00,08/10/2026 17:00,09/10/2026 10:00,10",  # unchanged: late
        "D6,26737,P1,1,20/10/2026 08:00,23/10/2026 17:00,22/10/2026 09:00,10",  # now finished: early
        GOOD_DOSSIERS[1],  # new, open: the defaults
    ]
    result = import_on_today("dossiers", csv_bytes(DOSSIER_HEADER, moved))
    assert (result.added, result.updated, result.unchanged) == (1, 3, 1)
    assert dossier_day(tiny, "2026-10-13", "26734", "finished") == 2
    assert dossier_day(tiny, "2026-10-13", "26734", "finished_on_time") == 1  # D4
    assert dossier_day(tiny, "2026-10-13", "26734", "finished_late") == 1  # D3
    assert dossier_day(tiny, "2026-10-13", "26734", "late_with_apology") == 1  # D3
    assert dossier_day(tiny, "2026-10-09", "26737", "finished_late") == 1  # D5
    _assert_refresh_equals_a_full_recompute(tiny)

    # Ratings: R1 changed, R0 (September, before the refreshed month) unchanged, S1 new.
    rows = ["R1,26734,O1,kiosk,4,05/10/2026 09:00,", "R0,26734,O1,kiosk,4,30/09/2026 16:00,", GOOD_RATINGS[0]]
    result = import_on_today("ratings", csv_bytes(RATING_HEADER, rows))
    assert (result.added, result.updated, result.unchanged) == (1, 1, 1)
    assert rating_day(tiny, "2026-10-05", "26734", "ratings") == 3
    assert rating_day(tiny, "2026-10-05", "26734", "dissatisfied") == 2  # R1 now, R3
    assert rating_day(tiny, "2026-09-30", "26734", "ratings") == 1  # R0 once
    _assert_refresh_equals_a_full_recompute(tiny, RATING_SUMMARIES)


def test_a_large_import_rebuilds_the_indexes_it_dropped(tiny, monkeypatch):
    """An import adding more rows than the table holds drops the secondary indexes and
    builds them again in the same transaction: afterwards they are all there, and a failed
    import leaves them there too."""
    monkeypatch.setattr(ingest, "REBUILD_INDEXES_FROM_ROWS", 5)
    expected = {index.name for index in schema.dossiers.indexes}
    rows = [f"B{i},26734,P1,1,0{1 + i % 9}/10/2026 08:00,20/10/2026 17:00,,2" for i in range(20)]
    _, result = run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, rows))
    assert result.added == 20
    assert {ix["name"] for ix in inspect(tiny).get_indexes("dossiers")} >= expected
    assert dossier_day(tiny, "2026-10-01", "26734", "received") >= 3  # B0, B9, B18

    counts, checksum = fingerprint(tiny)

    def fail_refresh(*args, **kwargs):
        raise RuntimeError("refresh failed")

    monkeypatch.setattr(ingest, "refresh_after_import", fail_refresh)
    more = [row.replace("B", "C", 1) for row in rows] + [row.replace("B", "E", 1) for row in rows]
    with pytest.raises(RuntimeError):
        run_import(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, more))
    assert fingerprint(tiny) == (counts, checksum)
    assert {ix["name"] for ix in inspect(tiny).get_indexes("dossiers")} >= expected
