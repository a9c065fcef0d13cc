"""Keep the day and month summary tables in step with the fact tables.

`refresh_summaries(engine, since)` recomputes every summary row from `since` on (all of
them when `since` is None) inside one transaction, so a page never reads a half-refreshed
table. Demo generation and every import call it with the earliest day they touched.
The open-dossier backlog is a running total, so it is recomputed from the start: one
grouped scan of the dossiers table.
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
from sqlalchemy import delete, func, insert, literal, select, union_all
from sqlalchemy.engine import Connection, Engine

from data_access.bulk import bulk_insert
from data_access.schema import (
    BACKLOG_COUNTS,
    DOSSIER_COUNTS,
    RATING_COUNTS,
    backlog_daily,
    dossier_daily,
    dossier_monthly,
    dossiers,
    rating_daily,
    rating_monthly,
    ratings,
    refresh_log,
)
from data_access.sql_dates import add_days, day_of, days_between, month_of
from data_access.timeliness_sql import (
    apology_in_time,
    due_day,
    flag,
    is_early,
    is_finished,
    is_late,
    is_on_time,
)
from domain.vocab import CLOSED_WITHOUT_RESULT, DISSATISFIED, NEUTRAL, ONLINE, SATISFIED, VERY_SATISFIED


def refresh_summaries(engine: Engine, since: date | None = None, today: date | None = None) -> None:
    with engine.begin() as connection:
        refresh_summaries_in(connection, since, today)


def refresh_summaries_in(
    connection: Connection, since: date | None = None, today: date | None = None, sources: tuple[str, ...] = ("ratings", "dossiers")
) -> None:
    """The same refresh inside the caller's transaction (an import writes facts and
    summaries in one transaction: data_access/ingest.py). `sources` limits it to the
    summaries of the fact tables that changed (dossiers include the backlog)."""
    today = today or date.today()
    if "ratings" in sources:
        _refresh_ratings(connection, since)
    if "dossiers" in sources:
        _refresh_dossiers(connection, since)
        _refresh_backlog(connection, today)
    connection.execute(
        insert(refresh_log),
        [{"table_name": "all" if len(sources) == 2 else sources[0], "from_day": since, "to_day": today, "refreshed_at": datetime.now()}],
    )


def _since_moment(since: date | None):
    return datetime.combine(since, datetime.min.time()) if since else None


def _month_start(day: date | None) -> date | None:
    return day.replace(day=1) if day else None


def _replace_rows(connection: Connection, table, period_column: str, since: date | None, source_select) -> None:
    clear = delete(table)
    if since is not None:
        clear = clear.where(table.c[period_column] >= since)
    connection.execute(clear)
    names = [column.name for column in source_select.selected_columns]
    connection.execute(insert(table).from_select(names, source_select))


def _roll_up_to_months(connection: Connection, daily, monthly, keys: list[str], counts, since: date | None) -> None:
    month_since = _month_start(since)
    month = month_of(daily.c.day).label("month")
    source = select(
        month,
        daily.c.unit_code,
        *[daily.c[key] for key in keys],
        *[func.sum(daily.c[name]).label(name) for name in counts],
    ).group_by(month, daily.c.unit_code, *[daily.c[key] for key in keys])
    if month_since is not None:
        source = source.where(daily.c.day >= month_since)
    _replace_rows(connection, monthly, "month", month_since, source)


def _refresh_ratings(connection: Connection, since: date | None) -> None:
    r = ratings.c
    day = day_of(r.rated_at).label("day")
    source = select(
        day,
        r.unit_code,
        r.channel,
        func.count().label("ratings"),
        func.sum(flag(r.level == VERY_SATISFIED)).label("very_satisfied"),
        func.sum(flag(r.level == SATISFIED)).label("satisfied"),
        func.sum(flag(r.level == NEUTRAL)).label("neutral"),
        func.sum(flag(r.level == DISSATISFIED)).label("dissatisfied"),
    ).group_by(day, r.unit_code, r.channel)
    # The month roll-up reads whole months, so recompute days from the month's start.
    month_since = _month_start(since)
    if month_since is not None:
        source = source.where(r.rated_at >= _since_moment(month_since))
    _replace_rows(connection, rating_daily, "day", month_since, source)
    _roll_up_to_months(connection, rating_daily, rating_monthly, ["channel"], RATING_COUNTS, since)


def _dossier_events(since_moment):
    """One row per event that a daily count counts: a dossier received, a dossier finished."""
    d = dossiers.c
    zero = literal(0)
    received = select(
        day_of(d.received_at).label("day"),
        d.unit_code,
        d.field_code,
        d.channel,
        literal(1).label("received"),
        flag(d.channel == ONLINE).label("received_online"),
        flag(d.accepted_late).label("accepted_late"),
        *[zero.label(name) for name in DOSSIER_COUNTS[3:]],
    )
    late = is_late()
    finished = select(
        day_of(d.finished_at).label("day"),
        d.unit_code,
        d.field_code,
        d.channel,
        zero.label("received"),
        zero.label("received_online"),
        zero.label("accepted_late"),
        literal(1).label("finished"),
        flag(is_early()).label("finished_early"),
        flag(is_on_time()).label("finished_on_time"),
        flag(late).label("finished_late"),
        flag(late & apology_in_time()).label("late_with_apology"),
        days_between(d.received_at, d.finished_at).label("processing_days_sum"),
        flag(d.paid_online).label("paid_online"),
        flag(d.digitised).label("digitised"),
    ).where(is_finished())
    if since_moment is not None:
        received = received.where(d.received_at >= since_moment)
        finished = finished.where(d.finished_at >= since_moment)
    return union_all(received, finished).subquery("events")


def _refresh_dossiers(connection: Connection, since: date | None) -> None:
    month_since = _month_start(since)
    events = _dossier_events(_since_moment(month_since))
    keys = [events.c.day, events.c.unit_code, events.c.field_code, events.c.channel]
    source = select(*keys, *[func.sum(events.c[name]).label(name) for name in DOSSIER_COUNTS]).group_by(*keys)
    _replace_rows(connection, dossier_daily, "day", month_since, source)
    _roll_up_to_months(connection, dossier_daily, dossier_monthly, ["field_code", "channel"], DOSSIER_COUNTS, since)


def _backlog_deltas(connection: Connection) -> pd.DataFrame:
    """Changes in the open and overdue counts per unit and day, from four event streams."""
    d = dossiers.c
    counted = d.status.not_in(CLOSED_WITHOUT_RESULT)
    finished_day = day_of(d.finished_at)
    first_overdue_day = add_days(d.due_at, d.supplement_days + 1)
    finished_late = (d.finished_at.is_not(None)) & (finished_day > due_day())

    def stream(day, open_delta, overdue_delta, *conditions):
        return select(
            day.label("day"), d.unit_code, literal(open_delta).label("d_open"), literal(overdue_delta).label("d_overdue")
        ).where(counted, *conditions)

    events = union_all(
        stream(day_of(d.received_at), 1, 0),
        stream(finished_day, -1, 0, d.finished_at.is_not(None)),
        stream(first_overdue_day, 0, 1, (d.finished_at.is_(None)) | finished_late),
        stream(finished_day, 0, -1, finished_late),
    ).subquery("backlog_events")
    grouped = select(
        events.c.day,
        events.c.unit_code,
        func.sum(events.c.d_open).label("d_open"),
        func.sum(events.c.d_overdue).label("d_overdue"),
    ).group_by(events.c.day, events.c.unit_code)
    return pd.DataFrame(connection.execute(grouped).all(), columns=["day", "unit_code", "d_open", "d_overdue"])


def _refresh_backlog(connection: Connection, today: date) -> None:
    connection.execute(delete(backlog_daily))
    deltas = _backlog_deltas(connection)
    if deltas.empty:
        return
    deltas["day"] = pd.to_datetime(deltas["day"])
    last_day = min(pd.Timestamp(today), deltas["day"].max())
    days = pd.date_range(deltas["day"].min(), last_day, freq="D")
    running = {}
    for name, column in (("open_dossiers", "d_open"), ("open_overdue", "d_overdue")):
        per_day = deltas.pivot_table(index="day", columns="unit_code", values=column, aggfunc="sum", fill_value=0)
        running[name] = per_day.reindex(days, fill_value=0).cumsum().stack()
    frame = pd.DataFrame(running).reset_index()
    frame.columns = ["day", "unit_code", *BACKLOG_COUNTS]
    frame = frame[(frame["open_dossiers"] > 0) | (frame["open_overdue"] > 0)]
    frame["day"] = frame["day"].dt.date
    bulk_insert(connection, backlog_daily, frame)

