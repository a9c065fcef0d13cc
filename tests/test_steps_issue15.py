"""Dossier steps: the validated all-or-nothing import, the slow-step summary and lists, scope.

Steps below are written by hand on the tiny dataset (tests/tiny_dataset.py): D3 (26734,
finished 12/10) and D6 (26737, open, due 23/10)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access import ingest, refresh, schema, steps
from domain.access import SYSTEM, OutOfScope, Viewer
from tests import tiny_dataset
from tests.test_ingest import csv_bytes

HEADER = "Mã hồ sơ,Thứ tự bước,Bước xử lý,Mã cán bộ,Thời gian bắt đầu,Thời gian kết thúc,Hạn xử lý bước"
# D3: receipt 1 h (due 2 h), appraisal 4 days (due 2 days: over), signature 2 days (no due).
# D6: receipt 1 h, appraisal from 20/10 09:00, due 22/10 17:00, still open: overdue.
GOOD = [
    "D3,1,Tiếp nhận,O1,01/10/2026 08:00,01/10/2026 09:00,01/10/2026 10:00",
    "D3,2,tham_dinh,O1,01/10/2026 09:00,05/10/2026 09:00,03/10/2026 09:00",
    "D3,3,Trình ký,,05/10/2026 09:00,07/10/2026 09:00,",
    "D6,1,Tiếp nhận,O2,20/10/2026 08:00,20/10/2026 09:00,20/10/2026 10:00",
    "D6,2,Thẩm định,O2,20/10/2026 09:00,,22/10/2026 17:00",
]
TODAY = date(2026, 11, 22)


@pytest.fixture
def tiny(engine):
    tiny_dataset.load(engine)
    refresh.refresh_summaries(engine, today=TODAY)
    return engine


def _count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(schema.dossier_steps)).scalar()


def test_steps_import_and_the_slow_step_figures_by_hand(tiny):
    checked, result = ingest.import_file(tiny, "steps", csv_bytes(HEADER, GOOD), "slip.csv", actor="test", lang="en")
    assert checked.ok, checked.problems
    assert result.rows == 5 and _count(tiny) == 5
    stats = steps.step_stats(tiny, date(2026, 10, 1), date(2026, 10, 31), viewer=SYSTEM).set_index("step")
    # Finished in October: receipt x2 (1 h each), appraisal x1 (96 h), signature x1 (48 h).
    assert stats.loc["tiep_nhan", "steps"] == 2 and stats.loc["tham_dinh", "steps"] == 1
    assert stats.loc["tham_dinh", "mean_hours"] == pytest.approx(96)
    assert 72 <= stats.loc["tham_dinh", "median_hours"] <= 96  # inside its bucket (72-96 h]
    assert (stats.loc["tham_dinh", "with_due"], stats.loc["tham_dinh", "over_due"]) == (1, 1)
    assert stats.loc["tiep_nhan", "over_due_share"] == 0
    assert pd.isna(stats.loc["trinh_ky", "over_due_share"])  # no due time set
    holders = steps.officers_holding_overdue(tiny, datetime(2026, 10, 31), viewer=SYSTEM)
    assert holders[["officer_code", "overdue_steps"]].values.tolist() == [["O2", 1]]
    late = steps.overdue_steps(tiny, datetime(2026, 10, 31, 17, 0), viewer=SYSTEM)
    assert late[["dossier_code", "step", "days_late"]].values.tolist() == [["D6", "tham_dinh", 9]]
    timeline = steps.dossier_timeline(tiny, "D3", viewer=SYSTEM)
    assert timeline["step"].tolist() == ["tiep_nhan", "tham_dinh", "trinh_ky"]
    assert timeline["over_due"].tolist() == [False, True, False]
    # A new export of D3's slip replaces its steps (no duplicates).
    ingest.import_file(tiny, "steps", csv_bytes(HEADER, GOOD[:3]), "again.csv", actor="test", lang="en")
    assert _count(tiny) == 5


@pytest.mark.parametrize(
    "row, column",
    [
        ("NOPE,1,Tiếp nhận,O1,01/10/2026 08:00,01/10/2026 09:00,", "Mã hồ sơ"),  # unknown dossier
        ("D1,1,Tiếp nhận,O1,01/10/2026 08:00,01/10/2026 07:00,", "Thời gian kết thúc"),  # ends before it starts
        ("D3,4,Ký duyệt,O1,06/10/2026 09:00,08/10/2026 09:00,", "Thời gian bắt đầu"),  # overlaps D3 step 3
        ("D1,1,Nấu ăn,O1,01/10/2026 08:00,01/10/2026 09:00,", "Bước xử lý"),  # unknown step
    ],
)
def test_bad_steps_are_refused_with_the_row_and_nothing_is_written(tiny, row, column):
    checked, result = ingest.import_file(tiny, "steps", csv_bytes(HEADER, [*GOOD, row]), "bad.csv", actor="test", lang="en")
    assert result is None and not checked.ok
    assert checked.problems[["row", "column"]].values.tolist() == [[len(GOOD) + 2, column]]
    assert _count(tiny) == 0


def test_steps_cli(tiny, tmp_path, capsys, db_url):
    path = tmp_path / "slip.csv"
    path.write_bytes(csv_bytes(HEADER, GOOD))
    assert ingest.main(["steps", str(path), "--url", db_url, "--quiet", "--lang", "en"]) == 0
    assert _count(tiny) == 5


def test_steps_are_read_only_within_scope(tiny):
    ingest.import_file(tiny, "steps", csv_bytes(HEADER, GOOD), "slip.csv", actor="test", lang="en")
    chair_12 = Viewer("chair12", "district_chair", "761")
    with pytest.raises(OutOfScope):
        steps.dossier_timeline(tiny, "D3", viewer=chair_12)
    with pytest.raises(OutOfScope):
        steps.overdue_steps(tiny, datetime(2026, 10, 31), ["26737"], viewer=chair_12)
    chair_1 = Viewer("chair1", "district_chair", "760")
    assert len(steps.overdue_steps(tiny, datetime(2026, 10, 31), viewer=chair_1)) == 1


def test_the_data_page_loads_steps_and_shows_import_warnings(sqlite_url, monkeypatch):
    from tests.support.app_test import check_upload, import_checked, open_data_page
    from tests.test_ingest import DOSSIER_HEADER

    engine = tiny_dataset.database(sqlite_url, today=TODAY)
    at = open_data_page(sqlite_url, monkeypatch)
    at.radio(key="ingest_source").set_value("steps").run()
    check_upload(at, "slip.csv", csv_bytes(HEADER, GOOD))
    assert not at.exception
    import_checked(at)
    assert _count(engine) == 5

    at.radio(key="ingest_source").set_value("dossiers").run()
    odd = "N9,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,06/10/2026 10:00,Đang xử lý"
    check_upload(at, "odd.csv", csv_bytes(DOSSIER_HEADER, [odd]))
    assert any("cần xem lại" in w.value for w in at.warning)
    listed = next(d.value for d in at.dataframe if "Cảnh báo" in d.value.columns)
    assert listed["Dòng"].tolist() == [2]
    engine.dispose()


def test_coverage_says_which_months_have_steps(tiny):
    ingest.import_file(tiny, "steps", csv_bytes(HEADER, GOOD), "slip.csv", actor="test", lang="en")
    # October: 8 dossiers received (tiny dataset: D1-D8, status 7 included), 2 first steps
    # (D3, D6): 25 %, under the 90 % that counts as covered.
    covered = steps.coverage(tiny)
    assert covered == {"first": None, "last": None, "dossiers": 2}
    assert steps.coverage(tiny, share=0.25)["first"] == pd.Timestamp("2026-10-01")
