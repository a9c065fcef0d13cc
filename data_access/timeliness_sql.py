"""The timeliness rule of domain/timeliness.py as SQL expressions over the dossiers table.

Summaries and drill-down lists classify dossiers inside the database with these, so a
page reads counts, not rows. tests/test_timeliness_rule.py checks that both spellings of
the rule agree on every case.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, literal, not_, or_

from data_access.schema import dossiers
from data_access.sql_dates import add_days, day_of
from domain.timeliness import DEFAULT_RULE, TimelinessRule
from domain.vocab import CLOSED_WITHOUT_RESULT, FINISHED_STATUSES

d = dossiers.c


def due_day(rule: TimelinessRule = DEFAULT_RULE):
    """The due day once the days waiting for the citizen's supplement are added back."""
    if rule.supplement_days_stop_clock:
        return add_days(d.due_at, d.supplement_days)
    return day_of(d.due_at)


def is_finished():
    return and_(d.finished_at.is_not(None), d.status.in_(FINISHED_STATUSES))


def is_late(rule: TimelinessRule = DEFAULT_RULE):
    return and_(
        is_finished(),
        or_(day_of(d.finished_at) > due_day(rule), d.supplement_count > rule.max_supplement_requests),
    )


def is_early(rule: TimelinessRule = DEFAULT_RULE):
    return and_(is_finished(), not_(is_late(rule)), day_of(d.finished_at) < due_day(rule))


def is_on_time(rule: TimelinessRule = DEFAULT_RULE):
    return and_(is_finished(), not_(is_late(rule)), day_of(d.finished_at) == due_day(rule))


def apology_in_time(rule: TimelinessRule = DEFAULT_RULE):
    return and_(d.apology_issued_at.is_not(None), day_of(d.apology_issued_at) <= due_day(rule))


def is_open_at(as_of: date):
    """Received by the end of `as_of` and not finished by then (nor withdrawn or refused)."""
    return and_(
        day_of(d.received_at) <= as_of,
        or_(d.finished_at.is_(None), day_of(d.finished_at) > as_of),
        d.status.not_in(CLOSED_WITHOUT_RESULT),
    )


def is_overdue_at(as_of: date, rule: TimelinessRule = DEFAULT_RULE):
    return and_(is_open_at(as_of), due_day(rule) < as_of)


def flag(condition):
    """1 where the condition holds, else 0: for summing counts."""
    return case((condition, literal(1)), else_=literal(0))
