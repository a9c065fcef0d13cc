"""The drill-down queries of trends, rankings and the unit profile, against the tiny dataset.

Both backends (the `engine` fixture). The tiny dataset (tests/tiny_dataset.py) is extended
here, not there: officers are put on some dossiers and two dissatisfied ratings get a reason.
Every expected figure is worked out by hand in the comments.
"""

from domain.access import SYSTEM
from datetime import date

import pytest
from sqlalchemy import event, update

from data_access import unit_queries as uq
from data_access.refresh import refresh_summaries
from data_access.schema import dossiers, ratings
from metrics import kpis
from tests import tiny_dataset

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
ALL = ("79", "760", "761", "26734", "26737")


@pytest.fixture
def tiny(engine):
    tiny_dataset.load(engine)
    with engine.begin() as connection:
        # O1 (Tân Định) handled D1 (early) and D3 (late); O2 (Đa Kao) handled D5 (late: two supplements).
        connection.execute(update(dossiers).where(dossiers.c.code.in_(["D1", "D3"])).values(officer_code="O1"))
        connection.execute(update(dossiers).where(dossiers.c.code == "D5").values(officer_code="O2"))
        # R3 (05/10, dissatisfied, kiosk, O1) and R0 (30/09, outside October) carry a reason.
        connection.execute(update(ratings).where(ratings.c.source_key == "R3").values(reason="Chờ quá lâu"))
        connection.execute(update(ratings).where(ratings.c.source_key == "R0").values(reason="Thái độ chưa tốt"))
    refresh_summaries(engine, today=date(2026, 11, 22))
    return engine


def test_officer_stats(tiny):
    frame = uq.officer_stats(tiny, *OCTOBER, ALL, viewer=SYSTEM).set_index("officer_code")
    # The summary tables' names and meanings (satisfied = level 2 only), so the catalog's rates apply.
    counts = ["ratings", "very_satisfied", "satisfied", "dissatisfied", "finished", "finished_early", "finished_on_time", "finished_late"]
    # O1: R1 (very satisfied), R2 (satisfied), R3 (dissatisfied) -> 3 ratings, 1 + 1 satisfied, 1 dissatisfied;
    #     finished D1 (early) and D3 (late) -> 2 finished, 1 early, 0 on time, 1 late. R0 is September.
    assert frame.loc["O1", counts].tolist() == [3, 1, 1, 1, 2, 1, 0, 1]
    # O2: R5, R6 very satisfied; D5 late (two supplement requests).
    assert frame.loc["O2", counts].tolist() == [2, 2, 0, 0, 1, 0, 0, 1]
    # The catalog's rates: O1 2 of 3 satisfied, 1 of 2 on time; O2 2 of 2, 0 of 1.
    assert kpis.value(frame, "satisfaction_rate").round(4).tolist() == [round(2 / 3, 4), 1.0]
    assert kpis.value(frame, "on_time_rate").tolist() == [0.5, 0.0]
    assert list(frame.index) == ["O1", "O2"]  # busiest first: 3 + 2 against 2 + 1
    assert frame.loc["O1", "full_name"] == "Nguyễn Thị Lan"
    # Scoped to Đa Kao only O2 is left; the whole city (None) gives both.
    assert list(uq.officer_stats(tiny, *OCTOBER, ("26737",), viewer=SYSTEM)["officer_code"]) == ["O2"]
    assert len(uq.officer_stats(tiny, *OCTOBER, None, viewer=SYSTEM)) == 2


def test_overdue_dossiers_at_the_end_of_october(tiny):
    # Open at the end of 31/10: D6 (due 23/10: 8 days overdue, no letter) and D7 (due 03/11: within time).
    frame = uq.overdue_dossiers(tiny, date(2026, 10, 31), ALL, viewer=SYSTEM)
    assert frame[["code", "unit_code", "procedure", "days_late", "apology_in_time"]].values.tolist() == [["D6", "26737", "Đăng ký khai sinh", 8, 0]]
    assert frame["due_day"].iloc[0] == date(2026, 10, 23)
    assert uq.count_overdue(tiny, date(2026, 10, 31), ALL, viewer=SYSTEM) == 1
    assert uq.count_overdue(tiny, date(2026, 10, 31), None, viewer=SYSTEM) == 1
    assert uq.overdue_dossiers(tiny, date(2026, 10, 31), ("26734",), viewer=SYSTEM).empty


def test_an_open_status_with_a_finish_time_is_overdue_as_its_status_says(tiny):
    # The import keeps a finish time that comes with an open status, with a warning; the status
    # decides (domain/timeliness.py). D6 (open, due 23/10) given a finish time of 25/10 is still
    # open at the end of October, 8 days overdue: for its units and for the whole city.
    with tiny.begin() as connection:
        connection.execute(update(dossiers).where(dossiers.c.code == "D6").values(finished_at=tiny_dataset._ts("2026-10-25 10:00")))
    for codes in (ALL, ("26737",), None):
        frame = uq.overdue_dossiers(tiny, date(2026, 10, 31), codes, viewer=SYSTEM)
        assert frame[["code", "days_late"]].values.tolist() == [["D6", 8]]
        assert uq.count_overdue(tiny, date(2026, 10, 31), codes, viewer=SYSTEM) == 1
    # A finished status with the same time is not open after 25/10.
    with tiny.begin() as connection:
        connection.execute(update(dossiers).where(dossiers.c.code == "D6").values(status=10))
    assert uq.count_overdue(tiny, date(2026, 10, 31), None, viewer=SYSTEM) == 0


def test_overdue_dossiers_on_a_day_with_an_apology(tiny):
    # End of 09/10: D3 (due 08/10, finished 12/10) is open and 1 day overdue, its letter of 07/10 in time;
    # D4's due day moves to 13/10 (5 supplement days); D5 finished that day, so it is no longer open.
    frame = uq.overdue_dossiers(tiny, date(2026, 10, 9), None, viewer=SYSTEM)
    assert frame[["code", "days_late", "apology_in_time"]].values.tolist() == [["D3", 1, 1]]


def test_late_without_apology(tiny):
    # Finished late in October: D3 (letter in time: left out), D5 (two supplements, no letter) and
    # D9 (finished 03/10, due 02/10, no letter). Latest first. D5 finished 09/10 before its due day
    # 11/10 (08/10 + 3 supplement days): late by the rule, 0 days past the date.
    frame = uq.late_without_apology(tiny, *OCTOBER, ALL, viewer=SYSTEM)
    assert frame[["code", "days_late"]].values.tolist() == [["D5", 0], ["D9", 1]]
    assert uq.late_without_apology(tiny, *OCTOBER, ("26737",), viewer=SYSTEM)["code"].tolist() == ["D5"]


def test_procedure_breakdown(tiny):
    frame = uq.procedure_breakdown(tiny, *OCTOBER, None, viewer=SYSTEM).set_index("procedure_code")
    # P2: D3 late (letter in time), D4 early, D5 late (no letter) -> 3 finished, 1 early, 0 on time, 2 late, 1 without letter.
    # P1: D1 early, D2 on time, D9 late (no letter) -> 3 finished, 1 early, 1 on time, 1 late, 1 without letter.
    assert list(frame.index) == ["P2", "P1"]  # most late first
    counts = ["finished", "finished_early", "finished_on_time", "finished_late", "late_without_apology"]
    assert frame.loc["P2", counts].tolist() == [3, 1, 0, 2, 1]
    assert frame.loc["P1", counts].tolist() == [3, 1, 1, 1, 1]
    assert kpis.value(frame, "on_time_rate").round(4).tolist() == [round(1 / 3, 4), round(2 / 3, 4)]


def test_dissatisfied_reasons(tiny):
    frame = uq.dissatisfied_reasons(tiny, *OCTOBER, ALL, viewer=SYSTEM)
    # Only R3 in October (R0's reason is from 30/09).
    assert frame[["unit_code", "channel", "officer", "reason"]].values.tolist() == [["26734", "kiosk", "Nguyễn Thị Lan", "Chờ quá lâu"]]
    assert len(uq.dissatisfied_reasons(tiny, date(2026, 9, 1), date(2026, 10, 31), None, viewer=SYSTEM)) == 2
    assert uq.dissatisfied_reasons(tiny, *OCTOBER, ("26737",), viewer=SYSTEM).empty


def test_flow_counts_by_unit_channel_and_field(tiny):
    by_unit = uq.flow_counts(tiny, *OCTOBER, "month", None, viewer=SYSTEM).set_index("unit_code")
    # Ratings: Tân Định R1-R4, Đa Kao R5-R6. Received: Tân Định D1-D4, D8; Đa Kao D5-D7.
    assert by_unit.loc["26734", ["ratings", "received"]].tolist() == [4, 5]
    assert by_unit.loc["26737", ["ratings", "received"]].tolist() == [2, 3]
    channels = uq.flow_counts(tiny, *OCTOBER, "month", None, ("channel",), "ratings", viewer=SYSTEM).set_index("channel")["ratings"].to_dict()
    assert channels == {"kiosk": 3, "tablet": 2, "web": 1}
    fields = uq.flow_counts(tiny, *OCTOBER, "day", None, ("field_code",), "dossiers", viewer=SYSTEM).groupby("field_code")["received"].sum().to_dict()
    assert fields == {"HT": 5, "DD": 3}  # HT: D1, D2, D6, D7, D8; DD: D3, D4, D5
    weeks = uq.flow_counts(tiny, date(2026, 10, 5), date(2026, 10, 6), "day", ("26734",), viewer=SYSTEM)
    assert weeks.groupby("period")["ratings"].sum().tolist() == [3, 1]  # 05/10: R1-R3; 06/10: R4


def test_hostile_codes_are_bound_not_spliced(tiny):
    hostile = ("26734' OR '1'='1", "x" * 10_000)
    assert uq.officer_stats(tiny, *OCTOBER, hostile, viewer=SYSTEM).empty
    assert uq.overdue_dossiers(tiny, date(2026, 10, 31), hostile, viewer=SYSTEM).empty
    assert uq.dissatisfied_reasons(tiny, *OCTOBER, hostile, viewer=SYSTEM).empty


def test_lists_are_bounded(tiny):
    assert len(uq.officer_stats(tiny, *OCTOBER, ALL, limit=1, viewer=SYSTEM)) == 1
    assert uq._limit(10**9) == uq.MAX_ROWS


def test_a_units_lists_read_the_period_not_the_units_history(tiny):
    """At city size a ward and its former units hold some 70,000 dossiers: the profile's lists
    must reach the period's through (unit_code, finished_at) and the partial index of
    unfinished dossiers, not walk the units' whole history (SQLite's plans; PostgreSQL plans
    a tiny table as a scan)."""
    if tiny.dialect.name != "sqlite":
        pytest.skip("SQLite's query plans")
    statements = []

    def capture(_conn, _cursor, statement, parameters, _context, _many):
        statements.append((statement, parameters))

    event.listen(tiny, "before_cursor_execute", capture)
    try:
        uq.procedure_breakdown(tiny, *OCTOBER, ALL, viewer=SYSTEM)
        uq.late_without_apology(tiny, *OCTOBER, ALL, viewer=SYSTEM)
        uq.officer_stats(tiny, *OCTOBER, ALL, viewer=SYSTEM)
        uq.count_overdue(tiny, date(2026, 10, 31), ALL, viewer=SYSTEM)
    finally:
        event.remove(tiny, "before_cursor_execute", capture)
    with tiny.connect() as connection:
        for statement, parameters in statements:
            plan = " | ".join(row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters))
            reads = [step for step in plan.split(" | ") if "dossiers USING" in step or step.startswith("SCAN dossiers")]
            period_reads = ("ix_dossiers_unit_finished (unit_code=? AND finished_at>", "ix_dossiers_unit_unfinished (unit_code=?)", "PRIMARY KEY")
            assert reads and all(any(read in step for read in period_reads) for step in reads), plan
