"""When is a dossier early, on time or late: the one place this rule lives.

DOMAIN.md: early (trước hạn) = finished before the due date, on time (đúng hạn) = finished
on the due date, late (quá hạn) = finished after it, or still open past it. Days spent
waiting for the citizen's supplement do not count against the unit, and more than one
supplement request counts as late under the national rules. Both are settings, since
provinces apply them differently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

EARLY, ON_TIME, LATE, IN_TIME, OVERDUE = "early", "on_time", "late", "in_time", "overdue"
TIMELINESS_LABELS = {
    EARLY: ("Trước hạn", "Early"),
    ON_TIME: ("Đúng hạn", "On time"),
    LATE: ("Quá hạn", "Late"),
    IN_TIME: ("Trong hạn", "Within time"),
    OVERDUE: ("Đang quá hạn", "Open, overdue"),
}


@dataclass(frozen=True)
class TimelinessRule:
    # Supplement waiting days move the due date back by that many days.
    supplement_days_stop_clock: bool = True
    # More supplement requests than this make a finished dossier late.
    max_supplement_requests: int = 1


DEFAULT_RULE = TimelinessRule()


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
    """A late dossier's apology letter counts only when issued by the (effective) due date."""
    due = effective_due(frame["due_at"], frame["supplement_days"], rule)
    issued = pd.to_datetime(frame["apology_issued_at"])
    return (issued.notna() & (issued.dt.normalize() <= due.dt.normalize())).rename("apology_in_time")
