"""Keep the day and month summary tables in step with the fact tables.

`refresh_summaries(engine, since)` recomputes every summary row from the start of the
month of `since` on (all of them when `since` is None) inside one transaction, so a page
never reads a half-refreshed table. Demo generation and every import call it with the
earliest day they touched. Only the facts that can count from that month on are read
(dossiers still open or finished since then): a daily import into ten years of history
costs what the recent months cost. The open-dossier backlog is a running total, so it
continues from the stored totals of the day before the refreshed range.

The facts are read once and counted with pandas: the timeliness rule applied is the one
in domain/timeliness.py (vectorised), and parsing dates in SQLite row by row (date(),
julianday()) was four times slower than reading the raw text and parsing it in bulk.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import String, delete, func, insert, or_, select, type_coerce
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
from domain import timeliness
from domain.vocab import CLOSED_WITHOUT_RESULT, DISSATISFIED, FINISHED_STATUSES, NEUTRAL, ONLINE, SATISFIED, VERY_SATISFIED

RATING_LEVEL_COLUMNS = {"very_satisfied": VERY_SATISFIED, "satisfied": SATISFIED, "neutral": NEUTRAL, "dissatisfied": DISSATISFIED}


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
    month_since = since.replace(day=1) if since else None
    if "ratings" in sources:
        _refresh_ratings(connection, month_since)
    if "dossiers" in sources:
        start = _backlog_start(connection, month_since)
        facts = _read_dossiers(connection, start)
        _refresh_dossiers(connection, facts, month_since)
        _refresh_backlog(connection, facts, today, start)
    connection.execute(
        insert(refresh_log),
        [{"table_name": "all" if len(sources) == 2 else sources[0], "from_day": since, "to_day": today, "refreshed_at": datetime.now()}],
    )


def _raw(column):
    # Read timestamps as they are stored: SQLite keeps ISO text, and parsing a million of
    # them in one pandas call is far quicker than SQLAlchemy converting each value.
    return type_coerce(column, String).label(column.name)


def _read(connection: Connection, query, timestamp_columns) -> pd.DataFrame:
    result = connection.execute(query)
    names = list(result.keys())
    # Plain tuples from the DBAPI cursor, column by column: building Row objects for a
    # million rows, or a frame from them, costs more than the query.
    columns = list(zip(*result.cursor.fetchall())) or [()] * len(names)
    frame = pd.DataFrame(dict(zip(names, columns)))
    for name in timestamp_columns:
        frame[name] = pd.to_datetime(frame[name], format="ISO8601")
    return frame


def _replace_summaries(connection: Connection, daily, monthly, events: pd.DataFrame, keys: list[str], counts, month_since: date | None) -> None:
    """Delete the summary rows from `month_since` on and write the sums of `events` (one row per event, with `day`)."""
    for table, period in ((daily, "day"), (monthly, "month")):
        clear = delete(table)
        if month_since is not None:
            clear = clear.where(table.c[period] >= month_since)
        connection.execute(clear)
    if events.empty:
        return
    by_day = events.groupby(["day", "unit_code", *keys], as_index=False, dropna=False)[list(counts)].sum()
    by_month = (
        by_day.assign(month=by_day["day"].dt.to_period("M").dt.start_time)
        .groupby(["month", "unit_code", *keys], as_index=False, dropna=False)[list(counts)]
        .sum()
    )
    bulk_insert(connection, daily, by_day.assign(day=by_day["day"].dt.date))
    bulk_insert(connection, monthly, by_month.assign(month=by_month["month"].dt.date))


def _refresh_ratings(connection: Connection, month_since: date | None) -> None:
    r = ratings.c
    query = select(r.unit_code, r.channel, r.level, _raw(r.rated_at))
    if month_since is not None:
        query = query.where(r.rated_at >= datetime.combine(month_since, datetime.min.time()))
    frame = _read(connection, query, ["rated_at"])
    events = pd.DataFrame({"day": frame["rated_at"].dt.normalize(), "unit_code": frame["unit_code"], "channel": frame["channel"], "ratings": 1})
    for name, level in RATING_LEVEL_COLUMNS.items():
        events[name] = (frame["level"] == level).astype("int64")
    _replace_summaries(connection, rating_daily, rating_monthly, events, ["channel"], RATING_COUNTS, month_since)


def _backlog_start(connection: Connection, month_since: date | None) -> date | None:
    """The first backlog day to recompute: the refreshed month, or the day after the last
    stored snapshot when that is earlier (the days in between were never written). None:
    from the beginning."""
    if month_since is None:
        return None
    last_stored = connection.execute(select(func.max(backlog_daily.c.day))).scalar()
    if last_stored is None:
        return None
    return min(month_since, pd.Timestamp(last_stored).date() + timedelta(days=1))


def _read_dossiers(connection: Connection, start: date | None) -> pd.DataFrame:
    """Dossiers with an event on or after `start` (all when None). A dossier finished
    before `start` was received, fell overdue and finished before it: none of its counts
    moves. Every other one is still open or finished since (received ones included)."""
    d = dossiers.c
    query = select(
        d.unit_code, d.field_code, d.channel, d.status, d.supplement_count, d.supplement_days,
        d.accepted_late, d.paid_online, d.digitised,
        _raw(d.received_at), _raw(d.due_at), _raw(d.finished_at), _raw(d.apology_issued_at),
    )
    if start is not None:
        query = query.where(or_(d.finished_at.is_(None), d.finished_at >= datetime.combine(start, datetime.min.time())))
    return _read(connection, query, ["received_at", "due_at", "finished_at", "apology_issued_at"])


def _refresh_dossiers(connection: Connection, facts: pd.DataFrame, month_since: date | None) -> None:
    since = pd.Timestamp(month_since) if month_since else pd.Timestamp.min
    keys = ["unit_code", "field_code", "channel"]
    zero = {name: 0 for name in DOSSIER_COUNTS}

    received = facts[facts["received_at"] >= since]
    received_events = received[keys].assign(
        **{
            **zero,
            "day": received["received_at"].dt.normalize(),
            "received": 1,
            "received_online": (received["channel"] == ONLINE).astype("int64"),
            "accepted_late": received["accepted_late"].astype("int64"),
        }
    )

    finished = facts[facts["status"].isin(FINISHED_STATUSES) & facts["finished_at"].notna() & (facts["finished_at"] >= since)]
    kind = timeliness.classify(finished, finished["finished_at"].max() if len(finished) else pd.Timestamp.now())
    late = kind == timeliness.LATE
    finished_events = finished[keys].assign(
        **{
            **zero,
            "day": finished["finished_at"].dt.normalize(),
            "finished": 1,
            "finished_early": (kind == timeliness.EARLY).astype("int64"),
            "finished_on_time": (kind == timeliness.ON_TIME).astype("int64"),
            "finished_late": late.astype("int64"),
            "late_with_apology": (late & timeliness.apology_in_time(finished)).astype("int64"),
            "processing_days_sum": (finished["finished_at"].dt.normalize() - finished["received_at"].dt.normalize()).dt.days,
            "paid_online": finished["paid_online"].astype("int64"),
            "digitised": finished["digitised"].astype("int64"),
        }
    )
    events = pd.concat([received_events, finished_events], ignore_index=True)
    _replace_summaries(connection, dossier_daily, dossier_monthly, events, ["field_code", "channel"], DOSSIER_COUNTS, month_since)


def _refresh_backlog(connection: Connection, facts: pd.DataFrame, today: date, start: date | None = None) -> None:
    """Open and open-overdue dossiers at the end of every day, per unit, as running totals of
    four kinds of event: received (+open), finished (-open), the first day past due while
    still open (+overdue), finished after being overdue (-overdue). From `start` on when
    given: the totals stored for the day before are the opening balance."""
    clear = delete(backlog_daily)
    if start is not None:
        clear = clear.where(backlog_daily.c.day >= start)
    opening = _opening_backlog(connection, start)
    connection.execute(clear)
    counted = facts[~facts["status"].isin(CLOSED_WITHOUT_RESULT)]
    if counted.empty and opening.empty:
        return
    received_day = counted["received_at"].dt.normalize()
    finished_day = counted["finished_at"].dt.normalize()
    due_day = timeliness.effective_due(counted["due_at"], counted["supplement_days"]).dt.normalize()
    is_finished = finished_day.notna()
    finished_late = is_finished & (finished_day > due_day)
    became_overdue = ~is_finished | finished_late
    unit = counted["unit_code"]
    deltas = pd.concat(
        [
            pd.DataFrame({"day": received_day, "unit_code": unit, "d_open": 1, "d_overdue": 0}),
            pd.DataFrame({"day": finished_day[is_finished], "unit_code": unit[is_finished], "d_open": -1, "d_overdue": 0}),
            pd.DataFrame({"day": due_day[became_overdue] + pd.Timedelta(days=1), "unit_code": unit[became_overdue], "d_open": 0, "d_overdue": 1}),
            pd.DataFrame({"day": finished_day[finished_late], "unit_code": unit[finished_late], "d_open": 0, "d_overdue": -1}),
        ],
        ignore_index=True,
    )
    if start is not None:
        deltas = pd.concat([opening, deltas[deltas["day"] >= pd.Timestamp(start)]], ignore_index=True)
    if deltas.empty:
        return
    last_day = min(pd.Timestamp(today), deltas["day"].max())
    days = pd.date_range(deltas["day"].min(), last_day, freq="D")
    running = {}
    for name, column in (("open_dossiers", "d_open"), ("open_overdue", "d_overdue")):
        per_day = deltas.groupby(["day", "unit_code"])[column].sum().unstack(fill_value=0)
        running[name] = per_day.reindex(days, fill_value=0).cumsum().stack()
    frame = pd.DataFrame(running).reset_index()
    frame.columns = ["day", "unit_code", *BACKLOG_COUNTS]
    frame = frame[(frame["open_dossiers"] > 0) | (frame["open_overdue"] > 0)]
    bulk_insert(connection, backlog_daily, frame.assign(day=frame["day"].dt.date, **{n: frame[n].astype(np.int64) for n in BACKLOG_COUNTS}))


def _opening_backlog(connection: Connection, start: date | None) -> pd.DataFrame:
    """The stored totals at the end of the day before `start`, as deltas on `start` (a unit
    with no row there had nothing open)."""
    b = backlog_daily.c
    rows = [] if start is None else connection.execute(
        select(b.unit_code, b.open_dossiers, b.open_overdue).where(b.day == start - timedelta(days=1))
    ).all()
    frame = pd.DataFrame(rows, columns=["unit_code", "d_open", "d_overdue"])
    return frame.assign(day=pd.Timestamp(start) if start else pd.NaT)[["day", "unit_code", "d_open", "d_overdue"]].astype({"d_open": "int64", "d_overdue": "int64"})
