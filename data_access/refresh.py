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

An import moves the summaries by difference instead (`refresh_after_import`): what its
rows count now (`Fresh`, from `fresh_facts`, in memory) less what their stored versions
counted (`stored_versions`, read before the upsert). It reads no other fact, so a week's
export into ten years of history costs what the week costs (the full refresh from the
week's month read 453,000 open or recently finished dossiers of a 10 M history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from data_access.frames import rows_frame
from sqlalchemy import Boolean, Column, DateTime, String, Table, and_, bindparam, delete, func, insert, or_, select, type_coerce, update
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
from data_access.work_calendar import sync_calendar
from domain.vocab import DISSATISFIED, FINISHED_STATUSES, LEFT_WITHOUT_RESULT, NEUTRAL, NOT_RECEIVED, ONLINE, SATISFIED, VERY_SATISFIED

RATING_LEVEL_COLUMNS = {"very_satisfied": VERY_SATISFIED, "satisfied": SATISFIED, "neutral": NEUTRAL, "dissatisfied": DISSATISFIED}
# The fact columns each refresh counts from, by fact table.
FACT_COLUMNS = {
    "ratings": ("unit_code", "channel", "level", "rated_at"),
    "dossiers": (
        "unit_code",
        "field_code",
        "channel",
        "status",
        "supplement_count",
        "supplement_days",
        "accepted_late",
        "paid_online",
        "digitised",
        "received_at",
        "due_at",
        "finished_at",
        "apology_issued_at",
        "closed_at",
    ),
}


@dataclass
class Fresh:
    """Fact rows just written that the caller still holds (an import's file). The refresh
    counts them from here and reads from the database only the rows whose key is not in
    `key`'s table."""

    source: str  # "ratings" or "dossiers"
    rows: pd.DataFrame  # FACT_COLUMNS[source]: datetime64, int64, str, bool (see fresh_facts)
    key: Column | None  # the key column of a table holding the rows' keys (the import's staging
    # table); None: `rows` are every row of the table (a new database the demo fills), nothing is read
    last_old_id: int | None = None  # when set, every row with a larger id is one of `rows`


def refresh_summaries(engine: Engine, since: date | None = None, today: date | None = None) -> None:
    with engine.begin() as connection:
        refresh_summaries_in(connection, since, today)


def refresh_summaries_in(
    connection: Connection,
    since: date | None = None,
    today: date | None = None,
    sources: tuple[str, ...] = ("ratings", "dossiers", "steps"),
    fresh: Fresh | tuple[Fresh, ...] | None = None,
) -> None:
    """The same refresh inside the caller's transaction (an import writes facts and
    summaries in one transaction: data_access/ingest.py). `sources` limits it to the
    summaries of the fact tables that changed (dossiers include the backlog). `fresh`:
    rows to take from memory instead of the database (one per source)."""
    today = today or date.today()
    month_since = since.replace(day=1) if since else None
    by_source = {f.source: f for f in (fresh if isinstance(fresh, tuple) else (fresh,) if fresh else ())}
    serialise_refresh(connection)
    sync_calendar(connection)
    if "ratings" in sources:
        _refresh_ratings(connection, month_since, by_source.get("ratings"))
    if "dossiers" in sources:
        start = _backlog_start(connection, month_since)
        facts = _read_dossiers(connection, start, by_source.get("dossiers"))
        _refresh_dossiers(connection, facts, month_since)
        _refresh_backlog(connection, facts, today, start)
    if "steps" in sources:
        from data_access.steps import refresh_steps  # the steps module reads queries: import late

        refresh_steps(connection, month_since)
    _log_refresh(connection, "all" if len(sources) > 1 else sources[0], since, today)


def _log_refresh(connection: Connection, table_name: str, since: date | None, today: date) -> None:
    connection.execute(insert(refresh_log), [{"table_name": table_name, "from_day": since, "to_day": today, "refreshed_at": datetime.now()}])


def stored_versions(connection: Connection, table: Table, stage: Table, key: str) -> pd.DataFrame:
    """The stored facts (FACT_COLUMNS) of the rows an import is about to write over: those
    whose key is in the staging table. Read before the upsert."""
    names = FACT_COLUMNS[table.name]
    query = select(*_columns(table, names)).select_from(stage.join(table, stage.c[key] == table.c[key]))
    return _read(connection, query, _timestamps(table, names))


@dataclass
class ImportMoves:
    """What an import's rows move in the summaries, counted in memory from the rows alone
    (`import_moves`): no database, so it can run while SQLite writes (data_access/ingest.py)."""

    counts: list[str]  # the summed columns
    by_day: pd.DataFrame | None  # day, unit_code, the daily table's keys, counts; None: nothing moves
    by_month: pd.DataFrame | None
    backlog: pd.DataFrame | None = None  # dossiers: day, unit_code, d_open, d_overdue (every day)


def import_moves(fresh: Fresh, before: pd.DataFrame) -> ImportMoves:
    """The summary moves of an import: what the file's rows count now (`fresh.rows`) less
    what their stored versions counted (`before`, from stored_versions)."""
    now = fresh.rows
    if fresh.source == "ratings":
        events, keys, counts, daily = _less(rating_events(now), rating_events(before), RATING_COUNTS), ["channel"], RATING_COUNTS, rating_daily
    else:
        everything = pd.Timestamp.min
        events = _less(dossier_events(now, everything), dossier_events(before, everything), DOSSIER_COUNTS)
        keys, counts, daily = ["field_code", "channel"], DOSSIER_COUNTS, dossier_daily
    by_day, by_month = _sums(events, keys, counts, daily) if len(events) else (None, None)
    moves = ImportMoves(list(counts), by_day, by_month)
    if fresh.source == "dossiers":
        backlog = backlog_moves(now)
        if not before.empty:
            gone = backlog_moves(before)
            backlog = pd.concat([backlog, gone.assign(d_open=-gone["d_open"], d_overdue=-gone["d_overdue"])], ignore_index=True)
        moves.backlog = backlog.groupby(["day", "unit_code"], as_index=False)[["d_open", "d_overdue"]].sum()
    return moves


def refresh_after_import(
    connection: Connection, fresh: Fresh, before: pd.DataFrame, since: date, today: date | None = None, moves: ImportMoves | None = None
) -> None:
    """An import's summaries, by difference: every summary row moves by what the file's rows
    count now (`fresh.rows`) less what their stored versions counted (`before`, from
    stored_versions): `moves`, from import_moves (counted here when not given). No other
    fact is read, so a week's export into ten years of history costs what the week costs.
    Backlog days after the last stored one (today moved on since the last refresh) are
    computed from the facts as refresh_summaries_in does. When the working calendar changed,
    every working-day count may move: the refresh from `since`."""
    today = today or date.today()
    serialise_refresh(connection)
    if sync_calendar(connection):
        refresh_summaries_in(connection, since, today, sources=(fresh.source,), fresh=fresh)
        return
    moves = moves or import_moves(fresh, before)
    daily, monthly = (rating_daily, rating_monthly) if fresh.source == "ratings" else (dossier_daily, dossier_monthly)
    if moves.by_day is not None:
        _add_rows(connection, daily, "day", moves.by_day, moves.counts)
        _add_rows(connection, monthly, "month", moves.by_month, moves.counts)
    if moves.backlog is not None:
        _backlog_after_import(connection, moves.backlog, today, fresh)
    _log_refresh(connection, fresh.source, since, today)


def _less(now: pd.DataFrame, before: pd.DataFrame, counts) -> pd.DataFrame:
    """Events of the rows as they are now, and those of their stored versions counted negative."""
    if before.empty:
        return now
    return pd.concat([now, before.assign(**{name: -before[name] for name in counts})], ignore_index=True)


def _add_rows(connection: Connection, table: Table, period: str, sums: pd.DataFrame, counts: list[str]) -> None:
    """Stored rows plus `sums`, row by row of the same keys: the stored rows of the units and
    period range `sums` covers are read, added to, deleted and written again without the
    rows that come to nothing."""
    sums = sums[(sums[counts] != 0).any(axis=1)]
    if sums.empty:
        return
    keys = [c.name for c in table.primary_key.columns]
    c = table.c
    where = (c[period] >= sums[period].min().date(), c[period] <= sums[period].max().date(), c.unit_code.in_(sorted(set(sums["unit_code"]))))
    stored = _read(connection, select(*[c[name] for name in keys + counts]).where(*where), [])
    stored[period] = pd.to_datetime(stored[period])
    both = pd.concat([stored, sums[keys + counts].astype({name: object for name in keys if name != period})], ignore_index=True)
    added = both.groupby(keys, as_index=False, dropna=False)[counts].sum()
    added = added[(added[counts] != 0).any(axis=1)]
    connection.execute(delete(table).where(*where))
    bulk_insert(connection, table, added.assign(**{period: added[period].dt.date}))


# pg_advisory_xact_lock's key for "a summary refresh is running" (any fixed 64-bit number).
REFRESH_LOCK_KEY = 1_400_014


def serialise_refresh(connection: Connection) -> None:
    """On PostgreSQL, wait for any other transaction refreshing summaries to commit, and hold
    the turn until this one ends. Two imports at once otherwise each count the facts without
    the other's uncommitted rows, and the later commit overwrites (or collides with) the
    earlier one's sums. Every statement after the wait sees what the other committed.
    SQLite has one writer at a time already (db.take_write_lock)."""
    if connection.dialect.name == "postgresql":
        connection.execute(select(func.pg_advisory_xact_lock(REFRESH_LOCK_KEY)))


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


def _columns(table: Table, names) -> list:
    return [_raw(table.c[name]) if isinstance(table.c[name].type, DateTime) else table.c[name] for name in names]


def _timestamps(table: Table, names) -> list[str]:
    return [name for name in names if isinstance(table.c[name].type, DateTime)]


def _read_facts(connection: Connection, table: Table, query, fresh: Fresh | None, keep) -> pd.DataFrame:
    """`query`'s facts with the fresh rows that pass `keep` (a row mask) in place of the
    database's rows with their keys."""
    timestamps = _timestamps(table, FACT_COLUMNS[table.name])
    if fresh is None:
        return _read(connection, query, timestamps)
    if fresh.key is None:
        return fresh.rows[keep(fresh.rows)].reset_index(drop=True)
    # An anti-join: SQLite indexes the staging table for it on the fly (for a NOT EXISTS it
    # scanned the table once per row), PostgreSQL hashes it (a NOT IN past work_mem it would not).
    stage_key = fresh.key
    query = query.select_from(table.outerjoin(stage_key.table, stage_key == table.c[stage_key.name])).where(stage_key.is_(None))
    if fresh.last_old_id is not None:
        # The new rows skipped by id before any probe (6x quicker for 1 M of them); "+ 0" keeps
        # it a filter, not a rowid range SQLite might prefer to the date index on a long history.
        query = query.where(table.c.id + 0 <= fresh.last_old_id)
    stored = _read(connection, query, timestamps)
    rows = fresh.rows[keep(fresh.rows)][list(stored.columns)].reset_index(drop=True)
    if stored.empty:  # its columns are float64 for want of values: keep the fresh rows' types
        return rows
    if rows.empty:
        return stored
    # Booleans come back from SQLite as 0/1: give the fresh rows the stored types (not the
    # timestamps' unit, which concat reconciles without losing precision).
    types = {name: stored[name].dtype for name in stored.columns if name not in timestamps}
    return pd.concat([stored, rows.astype(types)], ignore_index=True)


def fresh_facts(connection: Connection, table: Table, frame: pd.DataFrame, stage: Table, key: str, existed: bool) -> Fresh:
    """An import's rows (`frame`, also in the staging table `stage`) as the refresh reads
    them. Call it before the upsert: a column the file lacks holds the table's default on a
    new row but keeps its stored value on a row that exists (an update does not touch it),
    which is read by key through `stage` when `existed` (some keys were in the table)."""
    names = FACT_COLUMNS[table.name]
    last_old_id = None
    if connection.dialect.name == "sqlite":  # one writer at a time: any larger id will be a new row of the file
        last_old_id = connection.execute(select(func.max(table.c.id))).scalar() or 0
    lacking = [name for name in names if name not in frame.columns]
    rows = frame[[key, *[name for name in names if name in frame.columns]]]
    if lacking and existed:
        query = select(table.c[key], *_columns(table, lacking)).select_from(stage.join(table, stage.c[key] == table.c[key]))
        stored = _read(connection, query, _timestamps(table, lacking))
        rows = rows.merge(stored, on=key, how="left")  # new keys: NaN, the default below
    else:
        rows = rows.copy()
    for name in lacking:
        column = table.c[name]
        default = column.default.arg if column.default is not None and column.default.is_scalar else None
        values = rows[name] if name in rows.columns else pd.Series(None, index=rows.index, dtype=object)
        if isinstance(column.type, DateTime):  # nullable, no default: NaT on new rows
            rows[name] = pd.to_datetime(values).astype("datetime64[us]")
        else:  # the optional flags and counts: NOT NULL with a default; 0/1 or bools as stored
            numbers = values.astype("float64")
            if default is not None:
                numbers = numbers.fillna(float(default))
            rows[name] = numbers.astype(bool if isinstance(column.type, Boolean) else "int64")
    return Fresh(table.name, rows[list(names)], stage.c[key], last_old_id)


def _replace_summaries(connection: Connection, daily, monthly, events: pd.DataFrame, keys: list[str], counts, month_since: date | None) -> None:
    """Delete the summary rows from `month_since` on and write the sums of `events` (one row
    per event, with `day`). The daily table keeps those of `keys` it has (dossier_daily has
    no field)."""
    for table, period in ((daily, "day"), (monthly, "month")):
        clear = delete(table)
        if month_since is not None:
            clear = clear.where(table.c[period] >= month_since)
        connection.execute(clear)
    if events.empty:
        return
    by_day, by_month = _sums(events, keys, counts, daily)
    bulk_insert(connection, daily, by_day.assign(day=by_day["day"].dt.date))
    bulk_insert(connection, monthly, by_month.assign(month=by_month["month"].dt.date))


def _sums(events: pd.DataFrame, keys: list[str], counts, daily: Table) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The events summed by day and by month, each by unit and `keys` (the daily table keeps
    those of `keys` it has: dossier_daily has no field)."""
    # Codes as categories: grouping a million Arrow-backed strings cost several times more.
    events = events.astype({key: "category" for key in ("unit_code", *keys) if events[key].dtype == object or pd.api.types.is_string_dtype(events[key])})
    by_day = events.groupby(["day", "unit_code", *keys], as_index=False, dropna=False, observed=True)[list(counts)].sum()
    by_month = (
        by_day.assign(month=by_day["day"].dt.to_period("M").dt.start_time)
        .groupby(["month", "unit_code", *keys], as_index=False, dropna=False, observed=True)[list(counts)]
        .sum()
    )
    daily_keys = [key for key in keys if key in daily.c]
    if daily_keys != keys:
        by_day = by_day.groupby(["day", "unit_code", *daily_keys], as_index=False, dropna=False, observed=True)[list(counts)].sum()
    return by_day, by_month


def _refresh_ratings(connection: Connection, month_since: date | None, fresh: Fresh | None = None) -> None:
    r = ratings.c
    query = select(*_columns(ratings, FACT_COLUMNS["ratings"]))
    if month_since is not None:
        query = query.where(r.rated_at >= datetime.combine(month_since, datetime.min.time()))
    since = pd.Timestamp(month_since) if month_since else pd.Timestamp.min
    frame = _read_facts(connection, ratings, query, fresh, lambda rows: rows["rated_at"] >= since)
    _replace_summaries(connection, rating_daily, rating_monthly, rating_events(frame), ["channel"], RATING_COUNTS, month_since)


def rating_events(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per rating: day, unit_code, channel and the RATING_COUNTS it adds."""
    events = pd.DataFrame({"day": frame["rated_at"].dt.normalize(), "unit_code": frame["unit_code"], "channel": frame["channel"], "ratings": 1})
    for name, level in RATING_LEVEL_COLUMNS.items():
        events[name] = (frame["level"] == level).astype("int64")
    return events


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


def _read_dossiers(connection: Connection, start: date | None, fresh: Fresh | None = None) -> pd.DataFrame:
    """Dossiers with an event on or after `start` (all when None): finished since, or not
    finished and either still open or withdrawn / stopped since. A dossier finished before
    `start` was received, fell overdue and finished before it: none of its counts moves;
    nor do those of one never received, or withdrawn or stopped (on its closing day, else
    its received day) before `start`: most of the unfinished ones of a long history."""
    d = dossiers.c
    query = select(*_columns(dossiers, FACT_COLUMNS["dossiers"]))
    if start is not None:
        moment = datetime.combine(start, datetime.min.time())
        left_since = or_(d.status.not_in(LEFT_WITHOUT_RESULT), d.received_at >= moment, d.closed_at >= moment)
        unfinished = and_(d.finished_at.is_(None), d.status.not_in(NOT_RECEIVED), left_since)
        query = query.where(or_(unfinished, d.finished_at >= moment))
    since = pd.Timestamp(start) if start else pd.Timestamp.min
    return _read_facts(connection, dossiers, query, fresh, lambda rows: rows["finished_at"].isna() | (rows["finished_at"] >= since))


def _refresh_dossiers(connection: Connection, facts: pd.DataFrame, month_since: date | None) -> None:
    since = pd.Timestamp(month_since) if month_since else pd.Timestamp.min
    events = dossier_events(facts, since)
    _replace_summaries(connection, dossier_daily, dossier_monthly, events, ["field_code", "channel"], DOSSIER_COUNTS, month_since)


def dossier_events(facts: pd.DataFrame, since: pd.Timestamp) -> pd.DataFrame:
    """One row per receipt or finish on or after `since` (day, unit_code, field_code,
    channel and the DOSSIER_COUNTS it adds): what the dossier summaries sum, and what a
    cut by field of part of a month sums from the facts (queries._dossier_counts)."""
    keys = ["unit_code", "field_code", "channel"]
    zero = {name: 0 for name in DOSSIER_COUNTS}

    received = facts[timeliness.is_received(facts) & (facts["received_at"] >= since)]
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
            "processing_days_sum": timeliness.processing_days(finished).astype("int64"),
            "processing_workdays_sum": timeliness.processing_working_days(finished).astype("int64"),
            "paid_online": finished["paid_online"].astype("int64"),
            "digitised": finished["digitised"].astype("int64"),
        }
    )
    return pd.concat([received_events, finished_events], ignore_index=True)


def read_dossier_facts(connection: Connection, start: date, end: date, codes) -> pd.DataFrame:
    """The facts of dossiers received or finished from `start` to `end` (inclusive) in the
    units `codes` (None: all), as the refresh reads them."""
    d = dossiers.c
    low, high = datetime.combine(start, datetime.min.time()), datetime.combine(end + timedelta(days=1), datetime.min.time())
    query = select(*_columns(dossiers, FACT_COLUMNS["dossiers"])).where(or_(d.received_at.between(low, high), d.finished_at.between(low, high)))
    if codes is not None:
        query = query.where(d.unit_code.in_(list(codes)))
    return _read(connection, query, _timestamps(dossiers, FACT_COLUMNS["dossiers"]))


def _refresh_backlog(connection: Connection, facts: pd.DataFrame, today: date, start: date | None = None) -> None:
    """Open and open-overdue dossiers at the end of every day up to `today`, per unit, as
    running totals of backlog_moves. From `start` on when given: the totals stored for the
    day before are the opening balance."""
    clear = delete(backlog_daily)
    if start is not None:
        clear = clear.where(backlog_daily.c.day >= start)
    opening = _opening_backlog(connection, start)
    connection.execute(clear)
    deltas = backlog_moves(facts)
    if start is not None:
        deltas = pd.concat([opening, deltas[deltas["day"] >= pd.Timestamp(start)]], ignore_index=True)
    if deltas.empty:
        return
    frame = _running_totals(deltas, pd.Timestamp(today))
    frame = frame[(frame["open_dossiers"] > 0) | (frame["open_overdue"] > 0)]
    bulk_insert(connection, backlog_daily, frame.assign(day=frame["day"].dt.date))


def backlog_moves(facts: pd.DataFrame) -> pd.DataFrame:
    """Per dossier, the days its unit's backlog moves (day, unit_code, d_open, d_overdue):
    received (+open), finished (-open), the first day past due while still open (+overdue),
    finished after being overdue (-overdue)."""
    counted = facts[timeliness.is_received(facts)]
    received_day = counted["received_at"].dt.normalize()
    # Finished, or withdrawn / stopped on the recorded day (timeliness.leave_day): a later
    # export that closes a dossier changes no day before its closing.
    left_day = timeliness.leave_day(counted)
    due_day = timeliness.effective_due(counted["due_at"], counted["supplement_days"]).dt.normalize()
    has_left = left_day.notna()
    left_late = has_left & (left_day > due_day)
    became_overdue = ~has_left | left_late
    unit = counted["unit_code"]
    return pd.concat(
        [
            pd.DataFrame({"day": received_day, "unit_code": unit, "d_open": 1, "d_overdue": 0}),
            pd.DataFrame({"day": left_day[has_left], "unit_code": unit[has_left], "d_open": -1, "d_overdue": 0}),
            pd.DataFrame({"day": due_day[became_overdue] + pd.Timedelta(days=1), "unit_code": unit[became_overdue], "d_open": 0, "d_overdue": 1}),
            pd.DataFrame({"day": left_day[left_late], "unit_code": unit[left_late], "d_open": 0, "d_overdue": -1}),
        ],
        ignore_index=True,
    ).astype({"d_open": "int64", "d_overdue": "int64"})


def _running_totals(deltas: pd.DataFrame, last_day: pd.Timestamp) -> pd.DataFrame:
    """Every day from the first move to `last_day` and every unit moved: the moves summed up
    to the end of that day (open_dossiers, open_overdue)."""
    days = pd.date_range(deltas["day"].min(), last_day, freq="D")
    wide = deltas.groupby(["day", "unit_code"])[["d_open", "d_overdue"]].sum().unstack("unit_code", fill_value=0)
    running = wide.reindex(days, fill_value=0).cumsum().stack("unit_code")
    frame = running.rename_axis(["day", "unit_code"]).reset_index()
    return frame.rename(columns={"d_open": "open_dossiers", "d_overdue": "open_overdue"})[["day", "unit_code", *BACKLOG_COUNTS]].astype(
        {name: np.int64 for name in BACKLOG_COUNTS}
    )


def _backlog_after_import(connection: Connection, moves: pd.DataFrame, today: date, fresh: Fresh) -> None:
    """The backlog moved by an import's rows (`moves`: their moves now less their stored
    versions', by day and unit) up to the last stored day, then the days after it up to
    `today` from the facts."""
    b = backlog_daily.c
    last = connection.execute(select(func.max(b.day))).scalar()
    if last is None:  # nothing stored yet: every day, from the facts
        _refresh_backlog(connection, _read_dossiers(connection, None, fresh), today)
        return
    last = min(pd.Timestamp(last).date(), today)
    connection.execute(delete(backlog_daily).where(b.day > last))  # past today: as a refresh on `today` leaves it
    moves = moves[(moves["day"] <= pd.Timestamp(last)) & ((moves["d_open"] != 0) | (moves["d_overdue"] != 0))]
    if not moves.empty:
        # After a unit's last move its backlog moves by the same amount every day up to `last`
        # (a file of 2022 with a dossier still open moves every day since): those rows are
        # changed in place, the days up to the last move are added row by row.
        running = _running_totals(moves, pd.Timestamp(last))
        last_move = running["unit_code"].map(moves.groupby("unit_code")["day"].max())
        _add_rows(connection, backlog_daily, "day", running[running["day"] <= last_move], list(BACKLOG_COUNTS))
        at_last = running["day"] == pd.Timestamp(last)
        tails = running[at_last].assign(after=last_move[at_last])  # each unit's amount after its last move
        _shift_backlog(connection, tails[tails["day"] > tails["after"]], last)
    if last < today:
        start = last + timedelta(days=1)
        _refresh_backlog(connection, _read_dossiers(connection, start, fresh), today, start)


def _shift_backlog(connection: Connection, shifts: pd.DataFrame, last: date) -> None:
    """Add each unit's (open_dossiers, open_overdue) in `shifts` to every day after its
    `after` day up to `last`: in place where a row is stored, as a new row where none was
    (nothing was open), and rows that come to nothing go."""
    shifts = shifts[(shifts["open_dossiers"] != 0) | (shifts["open_overdue"] != 0)]
    if shifts.empty:
        return
    b = backlog_daily.c
    connection.execute(
        update(backlog_daily)
        .where(b.unit_code == bindparam("unit"), b.day > bindparam("after"), b.day <= last)
        .values(open_dossiers=b.open_dossiers + bindparam("more_open"), open_overdue=b.open_overdue + bindparam("more_overdue")),
        [
            {"unit": row.unit_code, "after": row.after.date(), "more_open": int(row.open_dossiers), "more_overdue": int(row.open_overdue)}
            for row in shifts.itertuples()
        ],
    )
    first, units = shifts["after"].min().date(), sorted(shifts["unit_code"])
    in_range = (b.day > first, b.day <= last, b.unit_code.in_(units))
    stored = _read(connection, select(b.day, b.unit_code).where(*in_range), [])
    stored["day"] = pd.to_datetime(stored["day"])
    wanted = pd.concat(
        [pd.DataFrame({"day": pd.date_range(row.after + pd.Timedelta(days=1), last), "unit_code": row.unit_code}) for row in shifts.itertuples()],
        ignore_index=True,
    )
    missing = wanted.merge(stored, how="left", indicator=True).query("_merge == 'left_only'").drop(columns="_merge")
    missing = missing.merge(shifts[["unit_code", *BACKLOG_COUNTS]], on="unit_code")
    bulk_insert(connection, backlog_daily, missing.assign(day=missing["day"].dt.date))
    connection.execute(delete(backlog_daily).where(*in_range, b.open_dossiers == 0, b.open_overdue == 0))


def _opening_backlog(connection: Connection, start: date | None) -> pd.DataFrame:
    """The stored totals at the end of the day before `start`, as deltas on `start` (a unit
    with no row there had nothing open)."""
    b = backlog_daily.c
    rows = [] if start is None else connection.execute(select(b.unit_code, b.open_dossiers, b.open_overdue).where(b.day == start - timedelta(days=1))).all()
    frame = rows_frame(rows, columns=["unit_code", "d_open", "d_overdue"])
    return frame.assign(day=pd.Timestamp(start) if start else pd.NaT)[["day", "unit_code", "d_open", "d_overdue"]].astype(
        {"d_open": "int64", "d_overdue": "int64"}
    )
