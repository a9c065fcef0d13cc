"""Numbers in user-facing messages are written the reader's way (i18n/format.py).

Vietnamese: thousands "." and decimals "," (1.000; 12,5); English: 1,000 and 12.5. A count
written "1,000" in a Vietnamese message reads as one point zero zero zero.
"""

from __future__ import annotations

import re

from sqlalchemy import func, select

from data_access import ingest, reference, schema
from data_access.db import make_engine
from data_access.migrate import upgrade
from tests.test_ingest import DOSSIER_HEADER, csv_bytes, tiny  # noqa: F401 - tiny is a fixture

# 1,000 new dossiers at the tiny city's units, received in October 2026, still in process.
THOUSAND = [f"V{i:04d},{'26734' if i % 2 else '26737'},P1,1,02/10/2026 08:00,07/10/2026 17:00,,4" for i in range(1000)]


def test_an_import_of_1000_rows_counts_them_the_readers_way(tiny):  # noqa: F811 - the fixture imported above
    content = csv_bytes(DOSSIER_HEADER, THOUSAND)
    english = ingest.check(tiny, "dossiers", content, "export.csv", lang="en")
    assert "File export.csv is valid: 1,000 rows ready to import." in english.message

    said: list[str] = []
    checked, result = ingest.import_file(tiny, "dossiers", content, "export.csv", actor="test", lang="vi", progress=lambda _f, message: said.append(message))
    assert checked.message == "Tệp export.csv hợp lệ: 1.000 dòng sẵn sàng để nhập.", checked.message
    assert "Đang kiểm tra 1.000 dòng…" in said, said
    vietnamese = result.message("vi")
    assert vietnamese.startswith("Đã nhập export.csv: 1.000 dòng, thêm mới 1.000, cập nhật 0, không đổi 0 ("), vietnamese
    assert re.search(r"\(\d+,\d giây\)", vietnamese), vietnamese  # the decimal comma
    assert "1,000" not in vietnamese and said[-1] == vietnamese
    english = result.message("en")
    assert english.startswith("Imported export.csv: 1,000 rows, 1,000 added, 0 updated, 0 unchanged ("), english
    assert re.search(r"\(\d+\.\d s\)", english), english

    # A refused file of 1,000 rows: every row names a unit the city does not have.
    refused = ingest.check(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, [row.replace(",P1,", ",P9,") for row in THOUSAND]), "bad.csv", lang="vi")
    assert not refused.ok
    assert refused.message.startswith("Tệp bad.csv không được nhập: 1.000 lỗi trên 1.000 / 1.000 dòng (cột «Mã thủ tục»: 1.000 dòng"), refused.message


def test_the_reference_init_message_counts_the_readers_way(sqlite_url, capsys):
    # Hanoi's crosswalk has more than a thousand links: the count needs its thousands separator.
    engine = make_engine(sqlite_url)
    upgrade(engine)
    result = reference.init_province(engine, "01", actor="test")
    with engine.connect() as connection:
        links = connection.execute(select(func.count()).select_from(schema.unit_lineage)).scalar_one()
    engine.dispose()
    assert links >= 1000 and result.links_added == links

    vietnamese = re.search(r"thêm (\d{1,3}(?:\.\d{3})+) liên kết chuyển đổi\.$", result.message("vi"))
    assert vietnamese and int(vietnamese[1].replace(".", "")) == links, result.message("vi")
    assert "thêm 683 đơn vị" in result.message("vi")  # 1 + 126 + 30 + 526 (tests/test_reference_init.py)
    english = re.search(r"(\d{1,3}(?:,\d{3})+) crosswalk links added\.$", result.message("en"))
    assert english and int(english[1].replace(",", "")) == links, result.message("en")


def test_a_value_too_long_to_show_gives_its_length_the_readers_way(tiny):  # noqa: F811 - the fixture imported above
    row = f"{'X' * 10_000},26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,,4"
    shown = {lang: ingest.check(tiny, "dossiers", csv_bytes(DOSSIER_HEADER, [row]), "long.csv", lang=lang).problems["value"].iat[0] for lang in ("vi", "en")}
    assert shown["vi"].endswith("… (10.000 ký tự)"), shown
    assert shown["en"].endswith("… (10,000 chars)"), shown
