"""The rules of issue 15, on hand-computed cases, in both spellings (pandas in
domain/timeliness.py, SQL in data_access/timeliness_sql.py) and on SQLite and PostgreSQL.

Calendar facts used below (checked on a calendar): 1 Oct 2026 is a Thursday; 1 and 2
September 2026 are the National Day holidays of domain/holidays_vn.csv; 3 Sep is a Thursday.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import insert, select

from data_access import ingest, refresh, schema
from data_access import timeliness_sql as rule_sql
from data_access.queries import kpi_counts
from domain.access import SYSTEM
from data_access.work_calendar import sync_calendar
from domain import timeliness
from metrics import kpis
from tests import tiny_dataset
from tests.test_ingest import DOSSIER_HEADER, csv_bytes

TODAY = date(2026, 11, 22)


def _dossier(code, received, due, apology=None, status=10, finished="2026-10-20 10:00", supplement_days=0, closed=None, unit="26734"):
    return dict(
        code=code,
        unit_code=unit,
        procedure_code="P1",
        field_code="HT",
        channel=1,
        received_at=datetime.fromisoformat(received),
        due_at=datetime.fromisoformat(due),
        finished_at=datetime.fromisoformat(finished) if finished else None,
        returned_at=None,
        status=status,
        supplement_count=0,
        supplement_days=supplement_days,
        apology_issued_at=datetime.fromisoformat(apology) if apology else None,
        accepted_late=False,
        paid_online=False,
        digitised=False,
        officer_code=None,
        closed_at=datetime.fromisoformat(closed) if closed else None,
    )


# Apology letters of late dossiers; (in time with no margin, in time with one working day).
APOLOGIES = {
    # due Thu 08/10 17:00
    "A1": (_dossier("A1", "2026-10-01 08:00", "2026-10-08 17:00", "2026-10-08 09:00"), True, False),  # same day, before the hour
    "A2": (_dossier("A2", "2026-10-01 08:00", "2026-10-08 17:00", "2026-10-08 18:00"), False, False),  # due day, after the hour
    "A3": (_dossier("A3", "2026-10-01 08:00", "2026-10-08 17:00", "2026-10-07 09:00"), True, True),  # Wed: one working day ahead
    # due Mon 12/10: Saturday is no working day ahead, Friday is.
    "A4": (_dossier("A4", "2026-10-01 08:00", "2026-10-12 17:00", "2026-10-10 09:00"), True, False),
    "A5": (_dossier("A5", "2026-10-01 08:00", "2026-10-12 17:00", "2026-10-09 16:00"), True, True),
    # due Thu 03/09: Wed 02/09 is a holiday (no working day ahead), Mon 31/08 is one.
    "A6": (_dossier("A6", "2026-08-20 08:00", "2026-09-03 17:00", "2026-09-02 09:00", finished="2026-09-10 10:00"), True, False),
    "A7": (_dossier("A7", "2026-08-20 08:00", "2026-09-03 17:00", "2026-08-31 09:00", finished="2026-09-10 10:00"), True, True),
    # due 08/10 + 2 supplement days = Sat 10/10 17:00: a letter on Fri 09/10 18:00 is before it, and Friday is a working day ahead.
    "A8": (_dossier("A8", "2026-10-01 08:00", "2026-10-08 17:00", "2026-10-09 18:00", supplement_days=2), True, True),
}


def _load(engine, rows):
    tiny_dataset.load(engine)
    with engine.begin() as connection:
        connection.execute(insert(schema.dossiers), rows)


@pytest.mark.parametrize("margin", [0, 1])
def test_apology_in_time_by_hand_in_both_spellings(engine, margin):
    rows = [case[0] for case in APOLOGIES.values()]
    _load(engine, rows)
    rule = replace(timeliness.DEFAULT_RULE, apology_margin_working_days=margin)
    expected = {code: case[1 + margin] for code, case in APOLOGIES.items()}
    python = timeliness.apology_in_time(pd.DataFrame(rows), rule)
    assert dict(zip([r["code"] for r in rows], python.tolist())) == expected
    with engine.begin() as connection:
        sync_calendar(connection)
        d = schema.dossiers.c
        sql = dict(connection.execute(select(d.code, rule_sql.flag(rule_sql.apology_in_time(rule))).where(d.code.in_(list(expected)))).all())
    assert {code: bool(v) for code, v in sql.items()} == expected


def test_the_apology_help_says_the_rule():
    help_vi, help_en = kpis.get("apology_compliance").help("vi"), kpis.get("apology_compliance").help("en")
    assert "trước thời điểm hẹn trả" in help_vi and "after the due hour is late" in help_en


# Received = accepted. R1 not yet accepted (1), R2 refused (3), R3 accepted and open (2),
# all received 05/10 and due 09/10: only R3 counts, open and (at the end of October) overdue.
RECEIPTS = [
    _dossier("R1", "2026-10-05 08:00", "2026-10-09 17:00", status=1, finished=None, unit="26737"),
    _dossier("R2", "2026-10-05 08:00", "2026-10-09 17:00", status=3, finished=None, unit="26737"),
    _dossier("R3", "2026-10-05 08:00", "2026-10-09 17:00", status=2, finished=None, unit="26737"),
]


def test_registrations_not_accepted_count_nowhere(engine):
    _load(engine, RECEIPTS)
    refresh.refresh_summaries(engine, today=TODAY)
    october = kpi_counts(engine, date(2026, 10, 1), date(2026, 10, 31), ["26737"], viewer=SYSTEM).iloc[0]
    # tiny dataset in 26737: D5, D6, D7 received; D6, D7 open; D6 overdue. Plus R3 only.
    assert october["received"] == 3 + 1
    assert (october["open_dossiers"], october["open_overdue"]) == (2 + 1, 1 + 1)
    d = schema.dossiers.c
    with engine.connect() as connection:
        open_sql = set(connection.execute(select(d.code).where(d.code.in_(["R1", "R2", "R3"]), rule_sql.is_open_at(date(2026, 10, 31)))).scalars())
        overdue_sql = set(connection.execute(select(d.code).where(d.code.in_(["R1", "R2", "R3"]), rule_sql.is_overdue_at(date(2026, 10, 31)))).scalars())
    frame = pd.DataFrame(RECEIPTS)
    open_py = set(frame.loc[timeliness.is_open_at(frame, date(2026, 10, 31)), "code"])
    overdue_py = set(frame.loc[timeliness.is_overdue_at(frame, date(2026, 10, 31)), "code"])
    assert open_sql == open_py == {"R3"}
    assert overdue_sql == overdue_py == {"R3"}


def test_accepted_late_is_a_kpi_of_its_own():
    assert kpis.get("accepted_late").numerator == ("accepted_late",)


def _backlog(engine, unit: str) -> dict:
    b = schema.backlog_daily.c
    with engine.connect() as connection:
        rows = connection.execute(select(b.day, b.open_dossiers, b.open_overdue).where(b.unit_code == unit)).all()
    return {pd.Timestamp(day).date(): (o, v) for day, o, v in rows}


def test_a_later_export_that_withdraws_a_dossier_does_not_rewrite_past_days(engine):
    tiny_dataset.load(engine)
    refresh.refresh_summaries(engine, today=TODAY)
    # W1 in 26737: received 12/10, due 15/10, open: overdue from 16/10.
    first = ["W1,26737,P1,1,12/10/2026 08:00,15/10/2026 17:00,,4"]
    ingest.import_file(engine, "dossiers", csv_bytes(DOSSIER_HEADER, first), "day1.csv", actor="test", lang="en")
    before = _backlog(engine, "26737")
    # By hand: 26737 on 20/10 has W1 open and overdue, D6 received that day (not yet due).
    assert before[date(2026, 10, 20)] == (2, 1)
    # The export of 22/11 says W1 was withdrawn; it does not say when. The import records
    # the day it first sees the change (today), not the received day.
    later = ["W1,26737,P1,1,12/10/2026 08:00,15/10/2026 17:00,,7"]
    ingest.write(engine, ingest.check(engine, "dossiers", csv_bytes(DOSSIER_HEADER, later), "day2.csv", lang="en"), "test", today=TODAY)
    after = _backlog(engine, "26737")
    for day, counts in before.items():
        if day < TODAY:
            assert after[day] == counts, day
    # The backlog runs to the last event: W1's closing day now. Until then nothing moved.
    last = before[max(before)]
    assert all(after[day] == last for day in after if max(before) < day < TODAY)
    assert after[TODAY] == (last[0] - 1, last[1] - 1)
    # The same figures in SQL: W1 open at the end of 20/10, not on the day it was withdrawn.
    d = schema.dossiers.c
    with engine.connect() as connection:
        assert connection.execute(select(d.code).where(d.code == "W1", rule_sql.is_overdue_at(date(2026, 10, 20)))).scalar() == "W1"
        assert connection.execute(select(d.code).where(d.code == "W1", rule_sql.is_open_at(TODAY))).scalar() is None
    # Importing the same export again keeps the recorded closing time.
    again = ingest.write(engine, ingest.check(engine, "dossiers", csv_bytes(DOSSIER_HEADER, later), "day3.csv", lang="en"), "test", today=date(2026, 11, 25))
    assert again.updated == 0
    assert _backlog(engine, "26737") == after


def test_a_withdrawal_with_its_own_closing_day_leaves_on_that_day(engine):
    tiny_dataset.load(engine)
    header = DOSSIER_HEADER + ",Ngày rút hồ sơ"
    rows = ["W2,26737,P1,1,12/10/2026 08:00,15/10/2026 17:00,,7,18/10/2026 10:00"]
    ingest.write(engine, ingest.check(engine, "dossiers", csv_bytes(header, rows), "w.csv", lang="en"), "test", today=TODAY)
    backlog = _backlog(engine, "26737")
    assert backlog[date(2026, 10, 17)] == (1, 1)  # W2 open, overdue since 16/10
    assert date(2026, 10, 18) not in backlog or backlog[date(2026, 10, 18)] == (0, 0)


def test_processing_days_by_hand(engine):
    tiny_dataset.load(engine)
    refresh.refresh_summaries(engine, today=TODAY)
    row = kpi_counts(engine, date(2026, 10, 1), date(2026, 10, 31), viewer=SYSTEM).iloc[0]
    # Calendar days less supplement waiting: D1 4, D2 5, D3 11, D4 11-5, D5 8-3, D9 4.
    assert row["processing_days_sum"] == 4 + 5 + 11 + 6 + 5 + 4
    # Working days [received day, finish day): D1 Thu-Fri 2; D2 3; D3 1/10-9/10 7; D4 7-5;
    # D5 6-3; D9 Tue 29/9 - Fri 2/10 4.
    assert row["processing_workdays_sum"] == 2 + 3 + 7 + 2 + 3 + 4
    assert "bổ sung" in kpis.get("avg_processing_days").help("vi") and "holidays" in kpis.get("avg_processing_workdays").help("en")


def test_holidays_come_from_a_file_that_can_be_replaced(tmp_path, monkeypatch):
    from domain import workdays

    frame = pd.DataFrame({"received_at": [pd.Timestamp("2026-08-31")], "finished_at": [pd.Timestamp("2026-09-03")], "supplement_days": [0]})
    assert timeliness.processing_working_days(frame).iloc[0] == 1  # 1 and 2 Sep are holidays
    own = tmp_path / "holidays.csv"
    own.write_text("day,name\n2026-09-02,Quốc khánh\n", encoding="utf-8")
    monkeypatch.setenv(workdays.HOLIDAYS_ENV_VAR, str(own))
    assert timeliness.processing_working_days(frame).iloc[0] == 2


def test_an_open_status_with_a_finish_time_is_a_warning_with_its_row(engine):
    tiny_dataset.load(engine)
    rows = [
        "N1,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,06/10/2026 10:00,10",
        "N2,26734,P1,1,02/10/2026 08:00,07/10/2026 17:00,06/10/2026 10:00,Đang xử lý",
    ]
    checked = ingest.check(engine, "dossiers", csv_bytes(DOSSIER_HEADER, rows), "x.csv", lang="en")
    assert checked.ok
    assert checked.warnings["row"].tolist() == [3]
    assert "open status but a finish time" in checked.warnings["message"].iloc[0]
    assert "1 warnings" in checked.message


def test_backlog_summary_and_sql_rule_agree_on_every_day(engine):
    """The refresh's running totals (pandas) and the SQL rule, day by day and unit by unit,
    on the tiny dataset plus not-accepted, refused, withdrawn-with-a-day and open-with-a-
    finish-time dossiers."""
    from datetime import timedelta

    from sqlalchemy import func

    extra = [
        *RECEIPTS,
        _dossier("X1", "2026-10-03 08:00", "2026-10-06 17:00", status=8, finished=None, closed="2026-10-10 09:00", unit="26737"),
        _dossier("X2", "2026-10-03 08:00", "2026-10-06 17:00", status=4, finished="2026-10-05 09:00", unit="26734"),
        _dossier("X3", "2026-10-03 08:00", "2026-10-20 17:00", status=7, finished=None, unit="26734"),  # no day recorded
    ]
    _load(engine, extra)
    refresh.refresh_summaries(engine, today=TODAY)
    b, d = schema.backlog_daily.c, schema.dossiers.c
    with engine.connect() as connection:
        stored = {
            (pd.Timestamp(day).date(), unit): (o, v) for day, unit, o, v in connection.execute(select(b.day, b.unit_code, b.open_dossiers, b.open_overdue))
        }
        day = date(2026, 9, 28)
        while day <= date(2026, 11, 4):
            rows = connection.execute(
                select(d.unit_code, func.sum(rule_sql.flag(rule_sql.is_open_at(day))), func.sum(rule_sql.flag(rule_sql.is_overdue_at(day)))).group_by(
                    d.unit_code
                )
            ).all()
            for unit, opened, overdue in rows:
                assert stored.get((day, unit), (0, 0)) == (int(opened), int(overdue)), (day, unit)
            day += timedelta(days=1)
    # By hand on 08/10 in 26737: D5 open (finished 09/10, due 08/10 +3), R3 open, X1 open and
    # overdue (due 06/10, stopped 10/10): 3 open, 1 overdue. X2 (open status, finish time) in
    # 26734 stays open: the status decides.
    assert stored[(date(2026, 10, 8), "26737")] == (3, 1)
    frame = pd.DataFrame(extra)
    assert bool(timeliness.is_open_at(frame.set_index("code").loc[["X2"]].reset_index(), date(2026, 10, 31)).iloc[0])
