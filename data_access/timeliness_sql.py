"""The timeliness rule of domain/timeliness.py as SQL expressions over the dossiers table.

Summaries and drill-down lists classify dossiers inside the database with these, so a
page reads counts, not rows. tests/test_timeliness_rule.py checks that both spellings of
the rule agree on every case.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, literal, not_, or_, select

from data_access.schema import dossiers, work_calendar
from data_access.sql_dates import add_days, add_days_keep_time, day_of
from domain.timeliness import DEFAULT_RULE, TimelinessRule
from domain.vocab import FINISHED_STATUSES, LEFT_WITHOUT_RESULT, NOT_RECEIVED

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


def due_moment(rule: TimelinessRule = DEFAULT_RULE):
    """The due day and hour once the supplement waiting days are added back."""
    if rule.supplement_days_stop_clock:
        return add_days_keep_time(d.due_at, d.supplement_days)
    return d.due_at


def _working_before(day):
    w = work_calendar.c
    return select(w.working_before).where(w.day == day).scalar_subquery()


def apology_in_time(rule: TimelinessRule = DEFAULT_RULE):
    """Issued before the due time; with a margin, at least that many working days (the
    work_calendar table) before the due day."""
    condition = and_(d.apology_issued_at.is_not(None), d.apology_issued_at < due_moment(rule))
    if rule.apology_margin_working_days > 0:
        ahead = _working_before(due_day(rule)) - _working_before(day_of(d.apology_issued_at))
        condition = and_(condition, ahead >= rule.apology_margin_working_days)
    return condition


def is_received():
    """Received means accepted: not yet accepted (1) and refused (3) are not."""
    return d.status.not_in(NOT_RECEIVED)


def leave_day():
    """The finish day, or for a withdrawn or stopped dossier the recorded closing day (its
    received day when none was recorded); NULL while open."""
    closed = func.coalesce(d.closed_at, d.received_at)
    return case(
        (is_finished(), day_of(d.finished_at)),
        (d.status.in_(LEFT_WITHOUT_RESULT), day_of(closed)),
        else_=None,
    )


def is_open_at(as_of: date):
    """Received (accepted) by the end of `as_of`, not finished, withdrawn or stopped by then."""
    closed = func.coalesce(d.closed_at, d.received_at)
    return and_(
        is_received(),
        day_of(d.received_at) <= as_of,
        # The status decides: an open status with a finish time is open.
        or_(not_(is_finished()), day_of(d.finished_at) > as_of),
        or_(d.status.not_in(LEFT_WITHOUT_RESULT), day_of(closed) > as_of),
    )


def is_overdue_at(as_of: date, rule: TimelinessRule = DEFAULT_RULE):
    return and_(is_open_at(as_of), due_day(rule) < as_of)


def flag(condition):
    """1 where the condition holds, else 0: for summing counts."""
    return case((condition, literal(1)), else_=literal(0))
