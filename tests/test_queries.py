"""Every figure the overview reads, against the tiny dataset worked out by hand."""

from domain.access import SYSTEM
from datetime import date

import pytest

from data_access import queries
from data_access.refresh import refresh_summaries
from tests import tiny_dataset

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))


@pytest.fixture
def tiny(engine):
    tiny_dataset.load(engine)
    refresh_summaries(engine, today=date(2026, 11, 22))
    return engine


def test_october_counts_for_the_whole_city(tiny):
    row = queries.kpi_counts(tiny, *OCTOBER, viewer=SYSTEM).iloc[0]
    assert (row.ratings, row.very_satisfied, row.satisfied, row.neutral, row.dissatisfied) == (6, 3, 1, 1, 1)
    assert (row.received, row.received_online) == (8, 1)
    assert (row.finished, row.finished_early, row.finished_on_time, row.finished_late) == (6, 2, 1, 3)
    assert row.late_with_apology == 1
    assert row.processing_days_sum == 4 + 5 + 11 + (11 - 5) + (8 - 3) + 4  # supplement waiting days excluded
    assert (row.open_dossiers, row.open_overdue) == (2, 1)


def test_counts_by_unit_and_scope(tiny):
    frame = queries.kpi_counts(tiny, *OCTOBER, codes=["26737"], by_unit=True, viewer=SYSTEM).set_index("unit_code")
    assert list(frame.index) == ["26737"]
    assert frame.loc["26737", "ratings"] == 2
    assert frame.loc["26737", "finished_late"] == 1  # D5, two supplement requests
    assert frame.loc["26737", "open_overdue"] == 1  # D6
    by_unit = queries.kpi_counts(tiny, *OCTOBER, by_unit=True, viewer=SYSTEM).set_index("unit_code")
    assert by_unit.loc["26734", "ratings"] == 4
    assert by_unit.loc["26734", "received"] == 5  # D1-D4 and D8
    assert by_unit.loc["26734", "finished"] == 5  # D1-D4 and D9


def test_daily_and_monthly_tables_agree(tiny):
    monthly = queries.dossier_counts(tiny, *OCTOBER, period_grain="month", viewer=SYSTEM)
    daily = queries.dossier_counts(tiny, *OCTOBER, period_grain="day", viewer=SYSTEM)
    assert monthly.drop(columns="period").sum().to_dict() == daily.drop(columns="period").sum().to_dict()


def test_a_custom_range_cut_inside_a_month(tiny):
    row = queries.kpi_counts(tiny, date(2026, 10, 1), date(2026, 10, 5), viewer=SYSTEM).iloc[0]
    assert row.ratings == 3  # the three kiosk ratings of 05/10
    assert row.received == 6  # D1-D5 on 01/10, D8 on 02/10
    assert row.finished == 2  # D9 on 03/10, D1 on 05/10
    # Open at the end of 05/10: D2, D3, D4, D5; none past its due day yet.
    assert (row.open_dossiers, row.open_overdue) == (4, 0)


def test_backlog_snapshot_on_a_day(tiny):
    frame = queries.backlog_counts(tiny, [date(2026, 10, 9)], viewer=SYSTEM)
    # End of 09/10: D3 (due 08/10, overdue) and D4 (due moved to 13/10) are open; D5 finished that day.
    assert (int(frame.open_dossiers.iloc[0]), int(frame.open_overdue.iloc[0])) == (2, 1)


def test_an_empty_period_reads_as_zero_counts(tiny):
    row = queries.kpi_counts(tiny, date(2025, 1, 1), date(2025, 1, 31), viewer=SYSTEM).iloc[0]
    assert row.ratings == 0 and row.finished == 0 and row.open_dossiers == 0


def test_refresh_since_a_day_keeps_earlier_rows(tiny):
    before = queries.kpi_counts(tiny, date(2026, 9, 1), date(2026, 10, 31), viewer=SYSTEM).iloc[0].to_dict()
    refresh_summaries(tiny, since=date(2026, 10, 15), today=date(2026, 11, 22))
    after = queries.kpi_counts(tiny, date(2026, 9, 1), date(2026, 10, 31), viewer=SYSTEM).iloc[0].to_dict()
    assert after == before


def test_targets_in_force(tiny):
    frame = queries.load_targets(tiny, date(2026, 10, 31))
    assert frame.to_dict("records") == [{"kpi_id": "on_time_rate", "unit_code": None, "value": 0.98, "amber_margin": 0.01}]
    assert queries.load_targets(tiny, date(2027, 1, 1)).empty


def test_hostile_codes_are_bound_not_spliced(tiny):
    frame = queries.kpi_counts(tiny, *OCTOBER, codes=["26734' OR '1'='1", "x" * 10_000], by_unit=True, viewer=SYSTEM)
    assert frame.empty or frame["ratings"].sum() == 0
