"""Dossier steps: the monthly summary behind "Khâu nào chậm" and the lists a leader acts on.

- `refresh_steps(connection, since)`: rewrite step_monthly from the month of `since` (all
  when None) from the finished steps; durations counted by bucket (domain/steps.py).
- `step_stats`, `step_trend`: median, 90th percentile and share over the step's own due,
  per step (and procedure), from the summary.
- `overdue_steps`, `officers_holding_overdue`, `dossier_timeline`: read dossier_steps.
Every read takes `viewer=` and reads only the viewer's own units (queries.detail_codes):
steps name officers.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

import pandas as pd

from data_access.frames import rows_frame
from sqlalchemy import delete, func, select, true
from sqlalchemy.engine import Connection, Engine

from data_access import queries
from domain.access import Viewer
from data_access.bulk import bulk_insert
from data_access.refresh import _raw, _read
from data_access.schema import dossier_monthly, dossier_steps, dossiers, officers, procedures, step_monthly
from domain import steps as step_domain

s, m = dossier_steps.c, step_monthly.c
Codes = Sequence[str] | None


def refresh_steps(connection: Connection, since: date | None = None) -> None:
    month_since = since.replace(day=1) if since else None
    clear = delete(step_monthly)
    if month_since is not None:
        clear = clear.where(m.month >= month_since)
    connection.execute(clear)
    first, last = connection.execute(
        select(func.min(s.finished_at), func.max(s.finished_at)).where(
            s.finished_at >= datetime.combine(month_since, time.min) if month_since else s.finished_at.is_not(None)
        )
    ).one()
    if first is None:
        return
    # A quarter at a time: at city size the steps are tens of millions of rows.
    start = pd.Timestamp(first).to_period("M").start_time
    while start <= pd.Timestamp(last):
        end = start + pd.DateOffset(months=3)
        _refresh_step_months(connection, start.to_pydatetime(), end.to_pydatetime())
        start = end


def _refresh_step_months(connection: Connection, lo: datetime, hi: datetime) -> None:
    # Timestamps read as stored and parsed in bulk (data_access/refresh.py's way: 3x quicker).
    query = (
        select(s.unit_code, dossiers.c.procedure_code, s.step, _raw(s.started_at), _raw(s.finished_at), _raw(s.due_at))
        .select_from(dossier_steps.join(dossiers, dossiers.c.code == s.dossier_code))
        .where(s.finished_at >= lo, s.finished_at < hi)
    )
    frame = _read(connection, query, ("started_at", "finished_at", "due_at"))
    if frame.empty:
        return
    hours = (frame["finished_at"] - frame["started_at"]).dt.total_seconds() / 3600
    grouped = (
        frame.assign(
            month=frame["finished_at"].dt.to_period("M").dt.start_time.dt.date,
            bucket=step_domain.bucket_of(hours),
            steps=1,
            hours_sum=hours,
            with_due=frame["due_at"].notna().astype("int64"),
            over_due=(frame["due_at"].notna() & (frame["finished_at"] > frame["due_at"])).astype("int64"),
        )
        .groupby(["month", "unit_code", "procedure_code", "step", "bucket"], as_index=False)[["steps", "hours_sum", "with_due", "over_due"]]
        .sum()
    )
    bulk_insert(connection, step_monthly, grouped)


def _in_units(column, codes):
    return true() if codes is None else column.in_(list(codes))


def _buckets(engine: Engine, start: date, end: date, codes, by: list[str]) -> pd.DataFrame:
    keys = [m[k] for k in by]
    query = (
        select(*keys, m.bucket, func.sum(m.steps), func.sum(m.hours_sum), func.sum(m.with_due), func.sum(m.over_due))
        .where(m.month >= start.replace(day=1), m.month <= end, _in_units(m.unit_code, codes))
        .group_by(*keys, m.bucket)
    )
    with engine.connect() as connection:
        frame = rows_frame(connection.execute(query), columns=[*by, "bucket", "steps", "hours_sum", "with_due", "over_due"])
    for name in ("steps", "with_due", "over_due"):
        frame[name] = pd.to_numeric(frame[name]).astype("int64")
    frame["hours_sum"] = pd.to_numeric(frame["hours_sum"]).astype(float)
    return frame


def _stats(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    rows = []
    for key, group in frame.groupby(by, sort=False):
        counts = group.groupby("bucket")["steps"].sum()
        with_due, over_due = int(group["with_due"].sum()), int(group["over_due"].sum())
        rows.append(
            {
                **dict(zip(by, key if isinstance(key, tuple) else (key,))),
                "steps": int(group["steps"].sum()),
                "median_hours": step_domain.quantile_from_buckets(counts, 0.5),
                "p90_hours": step_domain.quantile_from_buckets(counts, 0.9),
                "mean_hours": float(group["hours_sum"].sum() / group["steps"].sum()),
                "with_due": with_due,
                "over_due": over_due,
                "over_due_share": over_due / with_due if with_due else float("nan"),
            }
        )
    return pd.DataFrame(rows, columns=[*by, "steps", "median_hours", "p90_hours", "mean_hours", "with_due", "over_due", "over_due_share"])


def step_stats(engine: Engine, start: date, end: date, codes: Codes = None, by: Sequence[str] = ("step",), *, viewer: Viewer) -> pd.DataFrame:
    """Per step (or per procedure_code and step) over the months of the period: steps
    finished, median and 90th percentile of the step time (hours, read from the buckets),
    and the share of steps with a due time that finished after it."""
    codes = queries.detail_codes(engine, viewer, codes)
    by = list(by)
    out = _stats(_buckets(engine, start, end, codes, by), by)
    if "procedure_code" in by:
        with engine.connect() as connection:
            names = dict(connection.execute(select(procedures.c.code, procedures.c.name)).all())
        out.insert(by.index("procedure_code") + 1, "procedure", out["procedure_code"].map(names))
    return out


def step_trend(engine: Engine, start: date, end: date, codes: Codes = None, *, viewer: Viewer) -> pd.DataFrame:
    """step_stats per month and step."""
    codes = queries.detail_codes(engine, viewer, codes)
    frame = _buckets(engine, start, end, codes, ["month", "step"])
    out = _stats(frame, ["month", "step"])
    out["month"] = pd.to_datetime(out["month"])
    return out.sort_values(["month", "step"]).reset_index(drop=True)


def overdue_steps(engine: Engine, as_of: datetime, codes: Codes = None, limit: int = 500, *, viewer: Viewer) -> pd.DataFrame:
    """Open steps past their own due time at `as_of`, the most late first, with the officer
    holding each (the "Việc cần nhắc" list)."""
    codes = queries.detail_codes(engine, viewer, codes)
    o = officers.c
    query = (
        select(
            s.id,
            s.dossier_code,
            s.step,
            s.step_order,
            s.unit_code,
            s.department,
            s.officer_code,
            o.full_name,
            o.email,
            s.started_at,
            s.due_at,
            procedures.c.name,
        )
        .select_from(
            dossier_steps.outerjoin(officers, o.code == s.officer_code)
            .join(dossiers, dossiers.c.code == s.dossier_code)
            .join(procedures, procedures.c.code == dossiers.c.procedure_code)
        )
        .where(s.finished_at.is_(None), s.due_at < as_of, _in_units(s.unit_code, codes))
        .order_by(s.due_at, s.id)
        .limit(max(1, min(int(limit), 5000)))
    )
    columns = [
        "step_id",
        "dossier_code",
        "step",
        "step_order",
        "unit_code",
        "department",
        "officer_code",
        "officer",
        "email",
        "started_at",
        "due_at",
        "procedure",
    ]
    with engine.connect() as connection:
        frame = rows_frame(connection.execute(query), columns=columns)
    for name in ("started_at", "due_at"):
        frame[name] = pd.to_datetime(frame[name])
    frame["days_late"] = ((pd.Timestamp(as_of) - frame["due_at"]).dt.total_seconds() // 86400).astype("int64")
    return frame


def officers_holding_overdue(engine: Engine, as_of: datetime, codes: Codes = None, limit: int = 20, *, viewer: Viewer) -> pd.DataFrame:
    """Officers with the most open steps past due at `as_of`: officer, unit, steps, the oldest due."""
    codes = queries.detail_codes(engine, viewer, codes)
    o = officers.c
    count = func.count().label("overdue_steps")
    query = (
        select(s.officer_code, o.full_name, s.unit_code, count, func.min(s.due_at).label("oldest_due"))
        .select_from(dossier_steps.join(officers, o.code == s.officer_code))
        .where(s.finished_at.is_(None), s.due_at < as_of, _in_units(s.unit_code, codes))
        .group_by(s.officer_code, o.full_name, s.unit_code)
        .order_by(count.desc(), s.officer_code)
        .limit(max(1, min(int(limit), 500)))
    )
    with engine.connect() as connection:
        frame = rows_frame(connection.execute(query), columns=["officer_code", "officer", "unit_code", "overdue_steps", "oldest_due"])
    frame["oldest_due"] = pd.to_datetime(frame["oldest_due"])
    return frame


def dossier_timeline(engine: Engine, dossier_code: str, *, viewer: Viewer) -> pd.DataFrame:
    """The steps of one dossier in order; OutOfScope when its unit is not the viewer's."""
    with engine.connect() as connection:
        unit = connection.execute(select(dossiers.c.unit_code).where(dossiers.c.code == dossier_code)).scalar()
    if unit is None:
        return pd.DataFrame(columns=["step_order", "step", "department", "officer", "started_at", "finished_at", "due_at", "hours", "over_due"])
    queries.detail_codes(engine, viewer, [unit])  # raises OutOfScope
    o = officers.c
    query = (
        select(s.step_order, s.step, s.department, o.full_name, s.started_at, s.finished_at, s.due_at)
        .select_from(dossier_steps.outerjoin(officers, o.code == s.officer_code))
        .where(s.dossier_code == dossier_code)
        .order_by(s.step_order)
    )
    with engine.connect() as connection:
        frame = rows_frame(connection.execute(query), columns=["step_order", "step", "department", "officer", "started_at", "finished_at", "due_at"])
    for name in ("started_at", "finished_at", "due_at"):
        frame[name] = pd.to_datetime(frame[name])
    end = frame["finished_at"].fillna(pd.Timestamp.now())
    frame["hours"] = (end - frame["started_at"]).dt.total_seconds() / 3600
    frame["over_due"] = frame["due_at"].notna() & (end > frame["due_at"])
    return frame


def coverage(engine: Engine, share: float = 0.9) -> dict:
    """What the steps cover, from the summaries: the months whose received dossiers mostly
    (at least `share`) have their first step recorded, up to the latest month. "first" /
    "last": those months (None when no month is covered), "dossiers": first steps recorded."""
    first_step = next(iter(step_domain.step_names()))
    with engine.connect() as connection:
        received = dict(connection.execute(select(dossier_monthly.c.month, func.sum(dossier_monthly.c.received)).group_by(dossier_monthly.c.month)).all())
        # Named months lead the index (month, step, ...) to each month's first steps: without
        # them SQLite read all of it (11.8 M rows at city size: 0.9 s warm, 3 s cold; now 0.2 s).
        first_steps = select(m.month, func.sum(m.steps)).where(m.step == first_step, m.month.in_(list(received))).group_by(m.month)
        steps_by_month = dict(connection.execute(first_steps).all())
    steps_by_month = {month: int(n) for month, n in steps_by_month.items()}  # PostgreSQL sums are Decimal
    received = {month: int(n or 0) for month, n in received.items()}
    covered = {month for month in received if received[month] and steps_by_month.get(month, 0) >= share * received[month]}
    run = []  # the latest run of covered months
    for month in sorted(received, reverse=True):
        if month in covered:
            run.append(month)
        elif run:
            break
    return {  # SQLite gives the months as text, PostgreSQL as dates
        "first": pd.Timestamp(min(run)) if run else None,
        "last": pd.Timestamp(max(run)) if run else None,
        "dossiers": int(sum(steps_by_month.values())),
    }
