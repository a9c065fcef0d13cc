"""Drill-down queries for trends, rankings and the unit profile.

Counts per unit and period come from the summary tables (thousands of rows). The lists a
leader acts on - officers, overdue dossiers, late dossiers without an apology letter,
dissatisfied comments, the breakdown by procedure - read the fact tables through their
(unit_code, time) indexes and are bounded by LIMIT. Every query takes the period and the
scope codes; the timeliness rule comes from data_access.timeliness_sql, its one SQL spelling.

Every read takes a required keyword `viewer`: the lists (officers, dossiers, reasons, the
breakdown by procedure) read only the viewer's own units (access.detail_codes, OutOfScope
when the request names none of them); flow_counts follows the count rule of queries.py.
The field list (load_fields) is the public catalogue of fields: open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import pandas as pd

from data_access.frames import rows_frame, int_counts
from sqlalchemy import and_, func, literal, not_, select, true, union_all
from sqlalchemy.engine import Engine

from data_access import queries
from domain import access
from domain.access import Viewer
from data_access import timeliness_sql as rule
from data_access.schema import (
    DOSSIER_COUNTS,
    RATING_COUNTS,
    UNFINISHED,
    dossiers,
    fields,
    officers,
    procedures,
    ratings,
)
from data_access.sql_dates import days_between
from domain.vocab import DISSATISFIED, SATISFIED, VERY_SATISFIED

Codes = Sequence[str]
MAX_ROWS = 500  # a drill-down list is read on a screen, never the whole table
d, r = dossiers.c, ratings.c


def _moments(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, day after end 00:00): timestamps of the inclusive day range, index-friendly."""
    return datetime.combine(start, time.min), datetime.combine(end + timedelta(days=1), time.min)


def _frame(engine: Engine, query, columns: list[str]) -> pd.DataFrame:
    with engine.connect() as connection:
        return rows_frame(connection.execute(query), columns=columns)


def _in_units(column, codes: Codes | None):
    """The scope condition. None means the whole city: no unit filter at all, so the database
    reads the time index instead of walking every unit's history through the unit index."""
    return true() if codes is None else column.in_(list(codes))


def _limit(limit: int) -> int:
    return max(1, min(int(limit), MAX_ROWS))


# --- counts per unit (or channel, field) and period, from the summaries ---------------------


def flow_counts(
    engine: Engine,
    start: date,
    end: date,
    grain: str,
    codes: Codes | None,
    by: Sequence[str] = ("unit_code",),
    source: str = "both",
    *,
    viewer: Viewer,
    restated: bool = False,
) -> pd.DataFrame:
    """Rating and/or dossier counts per `grain` ("day" or "month") and `by` keys.

    `by` may hold unit_code and channel (ratings and dossiers name channels differently, so a
    channel split reads one source), or field_code (dossiers only). `source`: "ratings",
    "dossiers" or "both" (both only when `by` is unit_code alone). `restated`: periods before
    a reform read on today's units (queries.restated_counts).
    """
    by = list(by)
    if restated:
        keys = ("period", *[b for b in by if b != "unit_code"])
        frame = queries.restated_counts(
            engine,
            start,
            codes,
            "unit_code" in by,
            keys,
            lambda wanted, per_unit, reader: flow_counts(
                engine, start, end, grain, wanted, (("unit_code",) if per_unit else ()) + keys[1:], source, viewer=reader
            ),
            viewer=viewer,
        )
        if frame is not None:
            how = frame.attrs["restated"]
            frame = frame.sort_values(["period", *by]).reset_index(drop=True)
            frame.attrs["restated"] = how
            return frame
    scope = queries.summary_scope(engine, viewer, codes)
    parts = []
    if source in ("ratings", "both"):
        parts.append(access.fold_rows(queries._rating_counts(engine, start, end, scope.codes, by, period_grain=grain), scope.fold, RATING_COUNTS))
    if source in ("dossiers", "both"):
        parts.append(access.fold_rows(queries._dossier_counts(engine, start, end, scope.codes, by, period_grain=grain), scope.fold, DOSSIER_COUNTS))
    if len(parts) == 1:
        frame = parts[0]
    else:
        frame = parts[0].merge(parts[1], on=["period", *by], how="outer")
    frame = int_counts(frame, [name for name in (*RATING_COUNTS, *DOSSIER_COUNTS) if name in frame])
    if "channel" in frame:
        frame["channel"] = frame["channel"].astype(str)
    return frame.sort_values(["period", *by]).reset_index(drop=True)


# --- dimensions --------------------------------------------------------------------------


def load_fields(engine: Engine) -> pd.DataFrame:
    return _frame(engine, select(fields.c.code, fields.c.name, fields.c.name_en).order_by(fields.c.code), ["code", "name", "name_en"])


# --- officers -----------------------------------------------------------------------------


def officer_stats(engine: Engine, start: date, end: date, codes: Codes | None, limit: int = 200, *, viewer: Viewer) -> pd.DataFrame:
    """Per civil servant of the units: ratings, very satisfied, satisfied, dissatisfied (ratings
    given in the period) and dossiers finished in the period, early, on time and late. The
    counts carry the summary tables' names and meanings, so the KPI catalog's rates apply.

    One row per officer of the units who had a rating or a finished dossier, busiest first.
    """
    codes = queries.detail_codes(engine, viewer, codes)
    lo, hi = _moments(start, end)
    rated = (
        select(
            r.officer_code.label("officer_code"),
            func.count().label("ratings"),
            func.sum(rule.flag(r.level == VERY_SATISFIED)).label("very_satisfied"),
            func.sum(rule.flag(r.level == SATISFIED)).label("satisfied"),
            func.sum(rule.flag(r.level == DISSATISFIED)).label("dissatisfied"),
        )
        .where(_in_units(r.unit_code, codes), r.rated_at >= lo, r.rated_at < hi, r.officer_code.is_not(None))
        .group_by(r.officer_code)
        .subquery()
    )
    handled = (
        select(
            d.officer_code.label("officer_code"),
            func.count().label("finished"),
            func.sum(rule.flag(rule.is_early())).label("finished_early"),
            func.sum(rule.flag(rule.is_on_time())).label("finished_on_time"),
            func.sum(rule.flag(rule.is_late())).label("finished_late"),
        )
        .where(_in_units(d.unit_code, codes), d.finished_at >= lo, d.finished_at < hi, rule.is_finished(), d.officer_code.is_not(None))
        .group_by(d.officer_code)
        .subquery()
    )
    o = officers.c
    query = (
        select(
            o.code,
            o.full_name,
            o.title,
            o.unit_code,
            func.coalesce(rated.c.ratings, 0),
            func.coalesce(rated.c.very_satisfied, 0),
            func.coalesce(rated.c.satisfied, 0),
            func.coalesce(rated.c.dissatisfied, 0),
            func.coalesce(handled.c.finished, 0),
            func.coalesce(handled.c.finished_early, 0),
            func.coalesce(handled.c.finished_on_time, 0),
            func.coalesce(handled.c.finished_late, 0),
        )
        .select_from(officers.outerjoin(rated, rated.c.officer_code == o.code).outerjoin(handled, handled.c.officer_code == o.code))
        .where(_in_units(o.unit_code, codes), (rated.c.ratings.is_not(None)) | (handled.c.finished.is_not(None)))
        .order_by((func.coalesce(rated.c.ratings, 0) + func.coalesce(handled.c.finished, 0)).desc(), o.code)
        .limit(_limit(limit))
    )
    counts = ["ratings", "very_satisfied", "satisfied", "dissatisfied", "finished", "finished_early", "finished_on_time", "finished_late"]
    return int_counts(_frame(engine, query, ["officer_code", "full_name", "title", "unit_code", *counts]), counts)


# --- dossier lists ---------------------------------------------------------------------------


# What every dossier list starts with (ui/unit_profile.py dossier_columns shows them).
DOSSIER_LIST_COLUMNS = ["code", "unit_code", "procedure", "field_code", "received_at", "due_day"]


def _dossier_list(due, *more):
    """The select of a dossier list: DOSSIER_LIST_COLUMNS (`due`: the due day rule), then `more`."""
    return select(d.code, d.unit_code, procedures.c.name, d.field_code, d.received_at, due.label("due_day"), *more).select_from(
        dossiers.join(procedures, procedures.c.code == d.procedure_code)
    )


def _overdue_prefilter(as_of_end: datetime, codes: Codes | None):
    """The dossiers that may be open at the end of as_of, as two index reads; the rule
    (rule.is_overdue_at) still decides. Open then means a status that is not a finished one
    (the partial index of those: few rows), or a finished status with a finish time after
    as_of (the (unit_code, finished_at) index). Not the units' whole history, which a
    due-date bound would read for a past period."""
    in_units = () if codes is None else (d.unit_code.in_(list(codes)),)
    candidates = union_all(
        select(d.id).where(*in_units, d.finished_at >= as_of_end),
        select(d.id).where(*in_units, UNFINISHED),
    )
    return (d.id.in_(candidates),)


def overdue_dossiers(engine: Engine, as_of: date, codes: Codes | None, limit: int = 200, *, viewer: Viewer) -> pd.DataFrame:
    """Dossiers still open and past their (effective) due day at the end of `as_of`, most late first.

    days_late counts calendar days from the due day to `as_of`; apology_in_time says whether
    the letter with a new appointment was issued by the due day.
    """
    codes = queries.detail_codes(engine, viewer, codes)
    due = rule.due_day()
    _, as_of_end = _moments(as_of, as_of)
    query = (
        _dossier_list(
            due,
            days_between(due, literal(as_of)).label("days_late"),
            d.apology_issued_at,
            rule.flag(rule.apology_in_time()).label("apology_in_time"),
            d.status,
        )
        .where(*_overdue_prefilter(as_of_end, codes), rule.is_overdue_at(as_of))
        .order_by(due.asc(), d.code)
        .limit(_limit(limit))
    )
    columns = [*DOSSIER_LIST_COLUMNS, "days_late", "apology_issued_at", "apology_in_time", "status"]
    frame = _frame(engine, query, columns)
    return _dates(int_counts(frame, ["days_late", "apology_in_time"]))


def count_overdue(engine: Engine, as_of: date, codes: Codes | None, *, viewer: Viewer) -> int:
    """How many dossiers the bounded overdue list would show without its limit."""
    codes = queries.detail_codes(engine, viewer, codes)
    _, as_of_end = _moments(as_of, as_of)
    query = select(func.count()).where(*_overdue_prefilter(as_of_end, codes), rule.is_overdue_at(as_of))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def late_without_apology(engine: Engine, start: date, end: date, codes: Codes | None, limit: int = 200, *, viewer: Viewer) -> pd.DataFrame:
    """Dossiers finished late in the period with no apology letter issued by the due day, latest first."""
    codes = queries.detail_codes(engine, viewer, codes)
    lo, hi = _moments(start, end)
    due = rule.due_day()
    query = (
        _dossier_list(due, d.finished_at, days_between(due, d.finished_at).label("days_late"), d.apology_issued_at)
        .where(_in_units(d.unit_code, codes), d.finished_at >= lo, d.finished_at < hi, rule.is_late(), not_(rule.apology_in_time()))
        .order_by(d.finished_at.desc(), d.code)
        .limit(_limit(limit))
    )
    columns = [*DOSSIER_LIST_COLUMNS, "finished_at", "days_late", "apology_issued_at"]
    frame = _dates(int_counts(_frame(engine, query, columns), ["days_late"]))
    # Late by the supplement rule (more than one request) yet finished before the date: 0 days.
    frame["days_late"] = frame["days_late"].clip(lower=0)
    return frame


def _dates(frame: pd.DataFrame) -> pd.DataFrame:
    # SQLite hands back ISO text for computed dates, PostgreSQL real dates: one type for pages.
    for name in ("received_at", "finished_at", "apology_issued_at"):
        if name in frame:
            frame[name] = pd.to_datetime(frame[name])
    if "due_day" in frame:
        frame["due_day"] = pd.to_datetime(frame["due_day"]).dt.date
    return frame


# --- breakdown by procedure ----------------------------------------------------------------


def procedure_breakdown(engine: Engine, start: date, end: date, codes: Codes | None, limit: int = 30, *, viewer: Viewer) -> pd.DataFrame:
    """Per procedure, dossiers finished in the period: finished, early/on time, late, late
    without a timely apology letter. The procedures with most late dossiers first."""
    codes = queries.detail_codes(engine, viewer, codes)
    lo, hi = _moments(start, end)
    late = func.sum(rule.flag(rule.is_late()))
    query = (
        select(
            d.procedure_code,
            procedures.c.name,
            d.field_code,
            func.count().label("finished"),
            func.sum(rule.flag(rule.is_early())).label("finished_early"),
            func.sum(rule.flag(rule.is_on_time())).label("finished_on_time"),
            late.label("finished_late"),
            func.sum(rule.flag(and_(rule.is_late(), not_(rule.apology_in_time())))).label("late_without_apology"),
        )
        .select_from(dossiers.join(procedures, procedures.c.code == d.procedure_code))
        .where(_in_units(d.unit_code, codes), d.finished_at >= lo, d.finished_at < hi, rule.is_finished())
        .group_by(d.procedure_code, procedures.c.name, d.field_code)
        .order_by(late.desc(), func.count().desc(), d.procedure_code)
        .limit(_limit(limit))
    )
    counts = ["finished", "finished_early", "finished_on_time", "finished_late", "late_without_apology"]
    return int_counts(_frame(engine, query, ["procedure_code", "procedure", "field_code", *counts]), counts)


# --- comments --------------------------------------------------------------------------------


def dissatisfied_reasons(engine: Engine, start: date, end: date, codes: Codes | None, limit: int = 20, *, viewer: Viewer) -> pd.DataFrame:
    """The latest dissatisfied ratings of the period that carry a reason, newest first."""
    codes = queries.detail_codes(engine, viewer, codes)
    lo, hi = _moments(start, end)
    query = (
        select(r.rated_at, r.unit_code, r.channel, officers.c.full_name, r.dossier_code, r.reason)
        .select_from(ratings.outerjoin(officers, officers.c.code == r.officer_code))
        .where(_in_units(r.unit_code, codes), r.rated_at >= lo, r.rated_at < hi, r.level == DISSATISFIED, r.reason.is_not(None), r.reason != "")
        .order_by(r.rated_at.desc(), r.id.desc())
        .limit(_limit(limit))
    )
    frame = _frame(engine, query, ["rated_at", "unit_code", "channel", "officer", "dossier_code", "reason"])
    frame["rated_at"] = pd.to_datetime(frame["rated_at"])
    return frame
