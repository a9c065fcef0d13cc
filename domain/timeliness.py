"""When is a dossier early, on time or late: the one place this rule lives.

DOMAIN.md: early (trước hạn) = finished before the due date, on time (đúng hạn) = finished
on the due date, late (quá hạn) = finished after it, or still open past it. Days spent
waiting for the citizen's supplement do not count against the unit, and more than one
supplement request counts as late under the national rules. Both are settings, since
provinces apply them differently.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from domain import workdays
from domain.vocab import FINISHED_STATUSES, LEFT_WITHOUT_RESULT, NOT_RECEIVED

APOLOGY_MARGIN_ENV_VAR = "DASHBOARD_APOLOGY_MARGIN_DAYS"

EARLY, ON_TIME, LATE, IN_TIME, OVERDUE = "early", "on_time", "late", "in_time", "overdue"


@dataclass(frozen=True)
class TimelinessRule:
    # Supplement waiting days move the due date back by that many days.
    supplement_days_stop_clock: bool = True
    # More supplement requests than this make a finished dossier late.
    max_supplement_requests: int = 1
    # An apology letter is in time when issued before the due time; some city rules want it
    # at least this many working days before the due day.
    apology_margin_working_days: int = 0


def rule_from_environment() -> TimelinessRule:
    """The default rule, with the apology margin from DASHBOARD_APOLOGY_MARGIN_DAYS when set."""
    margin = os.environ.get(APOLOGY_MARGIN_ENV_VAR, "").strip()
    return TimelinessRule(apology_margin_working_days=int(margin) if margin else 0)


DEFAULT_RULE = rule_from_environment()


def effective_due_at(due_at: pd.Series, supplement_days: pd.Series, rule: TimelinessRule = DEFAULT_RULE) -> pd.Series:
    """The due moment (day and hour) once the days waiting for the citizen are added back."""
    return effective_due(due_at, supplement_days, rule)


def effective_due(due_at: pd.Series, supplement_days: pd.Series, rule: TimelinessRule = DEFAULT_RULE) -> pd.Series:
    """The due date once the days waiting for the citizen are added back."""
    due = pd.to_datetime(due_at)
    if not rule.supplement_days_stop_clock:
        return due
    days = pd.to_numeric(supplement_days, errors="coerce").fillna(0).astype("int64")
    return due + pd.to_timedelta(days, unit="D")


def classify(
    frame: pd.DataFrame,
    as_of: pd.Timestamp,
    rule: TimelinessRule = DEFAULT_RULE,
) -> pd.Series:
    """Timeliness of each dossier as of a moment.

    `frame` has columns due_at, finished_at (NaT while open), supplement_count,
    supplement_days. Compared by calendar day, as the counters do.
    """
    due_day = effective_due(frame["due_at"], frame["supplement_days"], rule).dt.normalize()
    finished = pd.to_datetime(frame["finished_at"])
    finished_day = finished.dt.normalize()
    too_many_supplements = frame["supplement_count"].fillna(0).to_numpy() > rule.max_supplement_requests
    as_of_day = pd.Timestamp(as_of).normalize()

    is_finished = finished.notna().to_numpy() & (finished <= pd.Timestamp(as_of)).to_numpy()
    result = np.where(
        is_finished,
        np.where(
            (finished_day > due_day).to_numpy() | too_many_supplements,
            LATE,
            np.where((finished_day < due_day).to_numpy(), EARLY, ON_TIME),
        ),
        np.where((as_of_day > due_day).to_numpy(), OVERDUE, IN_TIME),
    )
    return pd.Series(result, index=frame.index, name="timeliness")


def apology_in_time(frame: pd.DataFrame, rule: TimelinessRule = DEFAULT_RULE) -> pd.Series:
    """A late dossier's apology letter counts only when issued before the (effective) due
    time - a letter on the due day after the due hour is late - and, when the rule sets a
    margin, at least that many working days before the due day."""
    due = effective_due_at(frame["due_at"], frame["supplement_days"], rule)
    issued = pd.to_datetime(frame["apology_issued_at"])
    in_time = issued.notna() & (issued < due)
    if rule.apology_margin_working_days > 0:
        ahead = workdays.working_days_between(issued, due)
        in_time &= (ahead >= rule.apology_margin_working_days).to_numpy()
    return in_time.rename("apology_in_time")


def is_received(frame: pd.DataFrame) -> pd.Series:
    """Received means accepted: a registration not yet accepted (1) or refused (3) is not."""
    return ~frame["status"].isin(NOT_RECEIVED)


def leave_day(frame: pd.DataFrame) -> pd.Series:
    """The day a dossier leaves the backlog: its finish day (status 9/10), or for a withdrawn (7) or stopped
    (8) one the day that was recorded (closed_at; its received day when none was: such a
    dossier never counted as open). NaT while it is open."""
    # The status decides: an open status with a finish time (an import warns of it) is open.
    finished = pd.to_datetime(frame["finished_at"]).dt.normalize().where(frame["status"].isin(FINISHED_STATUSES))
    left = frame["status"].isin(LEFT_WITHOUT_RESULT)
    closed = pd.to_datetime(frame["closed_at"]) if "closed_at" in frame else pd.Series(pd.NaT, index=frame.index)
    received = pd.to_datetime(frame["received_at"]).dt.normalize()
    closed = closed.dt.normalize().fillna(received).clip(lower=received)
    return finished.where(finished.notna(), closed.where(left))


def is_open_at(frame: pd.DataFrame, as_of) -> pd.Series:
    """Received by the end of `as_of` and not yet finished, withdrawn or stopped by then."""
    day = pd.Timestamp(as_of).normalize()
    received_day = pd.to_datetime(frame["received_at"]).dt.normalize()
    left = leave_day(frame)
    return is_received(frame) & (received_day <= day) & (left.isna() | (left > day))


def is_overdue_at(frame: pd.DataFrame, as_of, rule: TimelinessRule = DEFAULT_RULE) -> pd.Series:
    due_day = effective_due(frame["due_at"], frame["supplement_days"], rule).dt.normalize()
    return is_open_at(frame, as_of) & (due_day < pd.Timestamp(as_of).normalize())


def processing_days(frame: pd.DataFrame, rule: TimelinessRule = DEFAULT_RULE) -> pd.Series:
    """Calendar days from the received day to the finish day, less the days waiting for
    the citizen's supplement (when the rule stops the clock for them), never below 0."""
    days = (pd.to_datetime(frame["finished_at"]).dt.normalize() - pd.to_datetime(frame["received_at"]).dt.normalize()).dt.days
    return _less_waiting(days, frame, rule)


def processing_working_days(frame: pd.DataFrame, rule: TimelinessRule = DEFAULT_RULE) -> pd.Series:
    """Working days (domain/workdays.py: Monday-Friday less the public holidays) from the
    received day up to the finish day, less the supplement waiting days, never below 0."""
    days = workdays.working_days_between(frame["received_at"], frame["finished_at"])
    days.index = frame.index
    return _less_waiting(days, frame, rule)


def _less_waiting(days: pd.Series, frame: pd.DataFrame, rule: TimelinessRule) -> pd.Series:
    if rule.supplement_days_stop_clock:
        days = days - pd.to_numeric(frame["supplement_days"], errors="coerce").fillna(0)
    return days.clip(lower=0)
