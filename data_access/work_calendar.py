"""The work_calendar table: the holiday file (domain/workdays.py) as rows SQL can count with.

Rewritten by every summary refresh, so a changed holiday file takes effect with the next
import or demo build; a refresh of an unchanged calendar writes nothing.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection

from data_access.bulk import bulk_insert
from data_access.schema import work_calendar
from domain import workdays


def sync_calendar(connection: Connection) -> bool:
    """Write the holiday file's calendar if the stored one differs; True when it did."""
    frame = workdays.calendar_frame()
    c = work_calendar.c
    stored = connection.execute(select(func.count(), func.sum(c.working_before), func.max(c.working_before))).one()
    wanted = (len(frame), int(frame["working_before"].sum()), int(frame["working_before"].max()))
    if tuple(int(v or 0) for v in stored) == wanted:
        return False
    connection.execute(delete(work_calendar))
    bulk_insert(connection, work_calendar, frame.assign(day=pd.to_datetime(frame["day"]).dt.date))
    return True
