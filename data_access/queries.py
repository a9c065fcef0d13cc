"""Read queries for the pages: counts for a period and a scope, as pandas DataFrames.

Every query takes the period (first and last day, inclusive) and the scope: the unit
codes whose rows count (None = the whole city). Whole-month periods read the monthly
summary tables, anything else the daily ones; both hold the same counts.

Every count query takes a required keyword `viewer` (domain.access.Viewer) and applies
access.summary_scope before building SQL: outside the viewer's own units only whole
districts/departments (and the city) are read, and rows per unit are folded into them.
Dimensions and metadata - load_units (the official unit list), load_targets (published
targets), load_surveys (published independent survey results), data_extent (first and last
day) - hold nothing about people or dossiers and are open to every signed-in viewer.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import nullcontext
from datetime import date, timedelta

import numpy as np
import pandas as pd

from data_access.frames import rows_frame, int_counts
from sqlalchemy import and_, func, select
from sqlalchemy.engine import Engine

from domain import access
from domain.access import Viewer
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
    surveys,
    targets,
    unit_lineage,
    units,
)
from domain import units as unit_versions
from metrics.restate import restate

Codes = Sequence[str] | None
# What a caller may group rating or dossier counts by, besides the period.
RATING_KEYS = ("unit_code", "channel")
DOSSIER_KEYS = ("unit_code", "field_code", "channel")


def is_whole_months(start: date, end: date) -> bool:
    return start.day == 1 and (end + timedelta(days=1)).day == 1


def load_units(engine: Engine) -> pd.DataFrame:
    query = select(units).order_by(units.c.level, units.c.code)
    with engine.connect() as connection:
        frame = rows_frame(connection.execute(query), columns=[c.name for c in units.columns])
    return frame


def load_lineage(engine: Engine) -> pd.DataFrame:
    """The crosswalk: old_code, new_code, effective_date, kind, whole, weight (public geography)."""
    columns = ["old_code", "new_code", "effective_date", "kind", "whole", "weight"]
    with engine.connect() as connection:
        rows = connection.execute(select(*[unit_lineage.c[name] for name in columns]).order_by(unit_lineage.c.id)).all()
    return rows_frame(rows, columns=columns)


UNIT_TREE_COLUMNS = ["code", "level", "parent_code", "valid_to", "area_km2"]


def _connected(bind):
    """A connection context for an Engine, or the caller's own open Connection."""
    return bind.connect() if isinstance(bind, Engine) else nullcontext(bind)


def unit_tree(engine: Engine, links: pd.DataFrame | None = None) -> pd.DataFrame:
    """code, level, parent_code, valid_to, area_km2 of every unit version: what the access
    rules walk (the end and the area tell today's units and an area leader's area). `links`:
    unit_links, when the caller has read them already."""
    with _connected(engine) as connection:
        rows = connection.execute(select(*[units.c[name] for name in UNIT_TREE_COLUMNS])).all()
    links = unit_links(engine) if links is None else links
    # A province merged into the city sits under it: outside one's scope it folds into one total.
    return unit_versions.with_merged_provinces(rows_frame(rows, columns=UNIT_TREE_COLUMNS), links)


def unit_links(engine: Engine) -> pd.DataFrame:
    """old_code, new_code, whole, weight of every crosswalk link: what the access rules follow
    to a unit's former units and to an area's units."""
    columns = ["old_code", "new_code", "whole", "weight"]
    with _connected(engine) as connection:
        rows = connection.execute(select(*[unit_lineage.c[name] for name in columns])).all()
    return rows_frame(rows, columns=columns)


def summary_scope(engine: Engine, viewer: Viewer, codes: Codes) -> access.SummaryScope:
    """access.summary_scope for the viewer; a full-access viewer costs no query."""
    if access.require_viewer(viewer).full_access:
        return access.SummaryScope(None if codes is None else tuple(codes), None)
    links = unit_links(engine)
    return access.summary_scope(viewer, unit_tree(engine, links), codes, links)


def detail_codes(engine: Engine, viewer: Viewer, codes: Codes) -> tuple | None:
    """access.detail_codes for the viewer; a full-access viewer costs no query."""
    if access.require_viewer(viewer).full_access:
        return None if codes is None else tuple(codes)
    links = unit_links(engine)
    return access.detail_codes(viewer, unit_tree(engine, links), codes, links)


def _summary_counts(
    engine: Engine,
    daily,
    monthly,
    count_names: Sequence[str],
    allowed_keys: Sequence[str],
    start: date,
    end: date,
    codes: Codes,
    by: Sequence[str],
    period_grain: str | None,
) -> pd.DataFrame:
    """Summed counts grouped by `by` keys and, when asked, by day or month."""
    unknown = set(by) - set(allowed_keys)
    if unknown:
        raise ValueError(f"cannot group by {sorted(unknown)}; allowed: {list(allowed_keys)}")
    use_months = is_whole_months(start, end) and period_grain != "day"
    table = monthly if use_months else daily
    period_column = table.c.month if use_months else table.c.day
    period_start = start.replace(day=1) if use_months else start

    group = [table.c[key] for key in by]
    if period_grain:
        group.insert(0, period_column.label("period"))
    query = select(*group, *[func.sum(table.c[name]).label(name) for name in count_names]).where(and_(period_column >= period_start, period_column <= end))
    if codes is not None:
        query = query.where(table.c.unit_code.in_(list(codes)))
    if group:
        query = query.group_by(*group)
    names = (["period"] if period_grain else []) + list(by) + list(count_names)
    with engine.connect() as connection:
        frame = int_counts(rows_frame(connection.execute(query), columns=names), count_names)
    if period_grain:
        frame["period"] = pd.to_datetime(frame["period"])
    return frame


def _rating_counts(engine, start, end, codes, by=(), period_grain=None) -> pd.DataFrame:
    return _summary_counts(engine, rating_daily, rating_monthly, RATING_COUNTS, RATING_KEYS, start, end, codes, by, period_grain)


def _dossier_counts(engine, start, end, codes, by=(), period_grain=None) -> pd.DataFrame:
    if "field_code" in by and not (is_whole_months(start, end) and period_grain != "day"):
        return _dossier_counts_from_facts(engine, start, end, codes, by, period_grain)
    return _summary_counts(engine, dossier_daily, dossier_monthly, DOSSIER_COUNTS, DOSSIER_KEYS, start, end, codes, by, period_grain)


def _dossier_counts_from_facts(engine, start, end, codes, by, period_grain) -> pd.DataFrame:
    """Dossier counts by field for part of a month, or by day: the daily summary has no
    field, so they are counted from the period's dossiers with the refresh's own rules. A
    rare view (the trends page split by field over weeks or days), bounded by its period."""
    from data_access import refresh  # refresh reads the steps module, which reads this one

    with engine.connect() as connection:
        facts = refresh.read_dossier_facts(connection, start, end, codes)
    events = refresh.dossier_events(facts, pd.Timestamp(start))
    events = events[events["day"] <= pd.Timestamp(end)]
    group = list(by)
    if period_grain == "month":
        events = events.assign(period=events["day"].dt.to_period("M").dt.start_time)
    elif period_grain:
        events = events.assign(period=events["day"])
    if period_grain:
        group.insert(0, "period")
    names = group + list(DOSSIER_COUNTS)
    if events.empty:
        return pd.DataFrame({name: pd.Series(dtype="int64") for name in names})
    frame = events.groupby(group, as_index=False)[list(DOSSIER_COUNTS)].sum()[names]
    for name in DOSSIER_COUNTS:
        frame[name] = frame[name].astype("int64")
    if "channel" in frame:
        frame["channel"] = frame["channel"].astype("int64")
    return frame


def rating_counts(
    engine: Engine, start: date, end: date, codes: Codes = None, by: Sequence[str] = (), period_grain: str | None = None, *, viewer: Viewer
) -> pd.DataFrame:
    """Rating counts (schema.RATING_COUNTS) in the period, grouped by `by` (unit_code, channel)."""
    scope = summary_scope(engine, viewer, codes)
    return access.fold_rows(_rating_counts(engine, start, end, scope.codes, by, period_grain), scope.fold, RATING_COUNTS)


def dossier_counts(
    engine: Engine, start: date, end: date, codes: Codes = None, by: Sequence[str] = (), period_grain: str | None = None, *, viewer: Viewer
) -> pd.DataFrame:
    """Dossier counts (schema.DOSSIER_COUNTS) in the period, grouped by `by` (unit_code, field_code, channel)."""
    scope = summary_scope(engine, viewer, codes)
    return access.fold_rows(_dossier_counts(engine, start, end, scope.codes, by, period_grain), scope.fold, DOSSIER_COUNTS)


def backlog_counts(engine: Engine, days: Sequence[date], codes: Codes = None, by_unit: bool = False, *, viewer: Viewer, restated: bool = False) -> pd.DataFrame:
    """Open and open-overdue dossiers at the end of each given day (a snapshot, not a sum over days);
    `restated`: on today's units when the first day is before a reform."""
    if restated and days:
        frame = restated_counts(
            engine,
            min(days),
            codes,
            by_unit,
            ("period",),
            lambda wanted, per_unit, reader: backlog_counts(engine, days, wanted, per_unit, viewer=reader),
            viewer=viewer,
        )
        if frame is not None:
            return frame
    scope = summary_scope(engine, viewer, codes)
    return access.fold_rows(_backlog_counts(engine, days, scope.codes, by_unit), scope.fold, BACKLOG_COUNTS)


def _backlog_counts(engine: Engine, days: Sequence[date], codes: Codes, by_unit: bool) -> pd.DataFrame:
    b = backlog_daily.c
    group = [b.day.label("period")] + ([b.unit_code] if by_unit else [])
    query = select(*group, *[func.sum(b[name]).label(name) for name in BACKLOG_COUNTS]).where(b.day.in_(list(days)))
    if codes is not None:
        query = query.where(b.unit_code.in_(list(codes)))
    query = query.group_by(*group)
    names = ["period"] + (["unit_code"] if by_unit else []) + list(BACKLOG_COUNTS)
    with engine.connect() as connection:
        frame = int_counts(rows_frame(connection.execute(query), columns=names), BACKLOG_COUNTS)
    frame["period"] = pd.to_datetime(frame["period"])
    return frame


# --- history restated on today's units ----------------------------------------------------
# A period before a reform holds facts of the former units. "Restated" counts move them along
# the crosswalk (domain.units.restatement) onto the units they went into, so a current unit
# has a history back to the start of the data. The frame's attrs["restated"] says how:
# None (nothing moved), "exact" (whole units only) or "approximate" (some split unit's share).


def _moves(engine: Engine, start: date) -> pd.DataFrame | None:
    """The moves that apply to a period starting on `start` (None when no reform came after,
    or nothing is stored from before it: nothing to move)."""
    # Most views are of periods after the last reform: indexed max() and min() answer them,
    # not the whole crosswalk and unit list (a tenth of a cache miss's time at the city's scale).
    with engine.connect() as connection:
        last_reform = connection.execute(select(func.max(unit_lineage.c.effective_date))).scalar()
        if last_reform is None or start >= pd.Timestamp(last_reform).date():
            return None
        stored_from = [connection.execute(select(func.min(table.c.month))).scalar() for table in (rating_monthly, dossier_monthly)]
    if all(day is None or pd.Timestamp(day) >= pd.Timestamp(last_reform) for day in stored_from):
        return None
    return unit_versions.restatement(load_units(engine), load_lineage(engine))


def restated_counts(engine: Engine, start: date, codes: Codes, by_unit: bool, keys: Sequence[str], count, *, viewer: Viewer) -> pd.DataFrame | None:
    """`count(codes, per_unit, reader)` (stored counts, per unit or totals, read as `reader`)
    read for `codes` and their former units, moved onto `codes` (every current unit when
    None); totals unless `by_unit`. None: no move applies.

    The whole city's totals are its stored totals when every former unit's links carry all of
    it (weights summing to one): nothing is lost or added by moving, so they are read as
    totals, with the label the move would have (approximate when any link is a split's
    share). Less than half the time of reading every unit and moving it at the city's scale.

    Scope: the viewer's access rules apply to the requested units (OutOfScope when none may be
    read; a sibling former ward of a ward chair is refused like any unit outside their scope),
    then to the rows that come out: a unit outside the viewer's own shows only as its
    aggregate (each of today's units right under the city, whole). A restated unit is one
    figure made of its former units' counts, so those are read in full (`reader` SYSTEM)
    and never come out on their own: otherwise another unit's history would be cut to the
    former units the viewer owns, and the viewer's own unit would get area shares of former
    districts' totals.
    """
    moves = _moves(engine, start)
    if moves is None:
        return None
    scope = summary_scope(engine, viewer, codes)
    codes = scope.codes
    if codes is None and not by_unit and _carried_whole(moves):
        frame = count(None, False, viewer)
        frame.attrs["restated"] = "exact" if moves["exact"].all() else "approximate"
        return frame
    if codes is not None:
        moves = moves[moves["new_code"].isin(list(codes))]
    wanted = None if codes is None else tuple(sorted(set(codes) | set(moves["old_code"])))
    moved_rows = count(wanted, True, access.SYSTEM)
    frame = restate(moved_rows, moves)
    if codes is not None:
        frame = frame[frame["unit_code"].isin(list(codes))]
    # unique(): pandas turns a Series of Arrow strings into a value set slowly (0.15 s at 34,000 rows).
    touched = moves["old_code"].isin(moved_rows["unit_code"].unique())
    how = None if not touched.any() else ("exact" if moves.loc[touched, "exact"].all() else "approximate")
    counts = [c for c in frame.columns if c not in ("unit_code", "exact", *keys)]
    frame = access.fold_rows(frame.drop(columns="exact"), scope.fold, counts)
    if not by_unit:
        frame = frame.groupby(list(keys), as_index=False)[counts].sum() if keys else frame[counts].sum().to_frame().T
    # Whole counts again, rounded down: a part (satisfied, on time) then never exceeds its
    # whole (ratings, finished), as rounding each to nearest could (1.5 + 5 of 6.5).
    for name in counts:
        frame[name] = np.floor(frame[name].astype(float) + 1e-9).astype("int64")
    frame = frame.reset_index(drop=True)
    frame.attrs["restated"] = how
    return frame


def _carried_whole(moves: pd.DataFrame) -> bool:
    """Every former unit's links carry all of it (their weights sum to one)."""
    return bool(np.allclose(moves.groupby("old_code")["weight"].sum(), 1.0, rtol=0, atol=1e-9))


def kpi_counts(engine: Engine, start: date, end: date, codes: Codes = None, by_unit: bool = False, *, viewer: Viewer, restated: bool = False) -> pd.DataFrame:
    """Every count the KPI catalog needs, for the period: one row, or one row per unit.

    The backlog is the snapshot at the period's last day. Units with no row in one source
    get zeros there; a KPI whose denominator is zero reads as "no data", not as 0.
    `restated`: on today's units (see above) when the period starts before a reform.
    """
    if restated:
        frame = restated_counts(
            engine, start, codes, by_unit, (), lambda wanted, per_unit, reader: kpi_counts(engine, start, end, wanted, per_unit, viewer=reader), viewer=viewer
        )
        if frame is not None:
            return frame
    scope = summary_scope(engine, viewer, codes)
    codes = scope.codes
    by = ["unit_code"] if by_unit else []
    rating = access.fold_rows(_rating_counts(engine, start, end, codes, by), scope.fold, RATING_COUNTS)
    dossier = access.fold_rows(_dossier_counts(engine, start, end, codes, by), scope.fold, DOSSIER_COUNTS)
    backlog = access.fold_rows(_backlog_counts(engine, [end], codes, by_unit), scope.fold, BACKLOG_COUNTS).drop(columns="period")
    if by_unit:
        frame = rating.merge(dossier, on="unit_code", how="outer").merge(backlog, on="unit_code", how="outer")
    else:
        frame = pd.concat([part.reset_index(drop=True) for part in (rating, dossier, backlog)], axis=1)
        if frame.empty:
            frame = pd.DataFrame([{}])
    return int_counts(frame, (*RATING_COUNTS, *DOSSIER_COUNTS, *BACKLOG_COUNTS))


def flow_counts_by_period(engine: Engine, start: date, end: date, grain: str, codes: Codes = None, *, viewer: Viewer, restated: bool = False) -> pd.DataFrame:
    """Rating and dossier counts per day or month (`grain` "day" or "month") in the period;
    `restated`: on today's units when the period starts before a reform."""
    if restated:

        def stored(wanted, per_unit, reader):
            if not per_unit:
                return flow_counts_by_period(engine, start, end, grain, wanted, viewer=reader)
            scoped = summary_scope(engine, reader, wanted).codes
            rating = _rating_counts(engine, start, end, scoped, ("unit_code",), grain)
            dossier = _dossier_counts(engine, start, end, scoped, ("unit_code",), grain)
            return rating.merge(dossier, on=["period", "unit_code"], how="outer").fillna(0)

        frame = restated_counts(engine, start, codes, False, ("period",), stored, viewer=viewer)
        if frame is not None:
            how = frame.attrs["restated"]
            frame = frame.sort_values("period").reset_index(drop=True)
            frame.attrs["restated"] = how
            return frame
    codes = summary_scope(engine, viewer, codes).codes  # totals: nothing to fold
    rating = _rating_counts(engine, start, end, codes, period_grain=grain)
    dossier = _dossier_counts(engine, start, end, codes, period_grain=grain)
    frame = rating.merge(dossier, on="period", how="outer").sort_values("period").reset_index(drop=True)
    return int_counts(frame, (*RATING_COUNTS, *DOSSIER_COUNTS))


def load_targets(engine: Engine, on_day: date) -> pd.DataFrame:
    """Targets in force on a day: kpi_id, unit_code (None = every unit), value, amber_margin."""
    t = targets.c
    query = select(t.kpi_id, t.unit_code, t.value, t.amber_margin).where(t.valid_from <= on_day, (t.valid_to.is_(None)) | (t.valid_to >= on_day))
    with engine.connect() as connection:
        return rows_frame(connection.execute(query), columns=["kpi_id", "unit_code", "value", "amber_margin"])


def data_extent(engine: Engine) -> dict:
    """The first and last day with data, and the latest record of each source (data freshness)."""
    with engine.connect() as connection:
        first_day, last_day = connection.execute(select(func.min(rating_daily.c.day), func.max(rating_daily.c.day))).one()
        latest_rating = connection.execute(select(func.max(ratings.c.rated_at))).scalar()
        latest_dossier = connection.execute(select(func.max(dossiers.c.received_at))).scalar()
    return {
        "first_day": pd.Timestamp(first_day).date() if first_day else None,
        "last_day": pd.Timestamp(last_day).date() if last_day else None,
        "latest_rating": latest_rating,
        "latest_dossier": latest_dossier,
    }


SURVEY_COLUMNS = [c.name for c in surveys.columns if c.name not in ("id", "survey_key")]


def load_surveys(engine: Engine) -> pd.DataFrame:
    """Every independent survey figure (published results: public), oldest period first."""
    query = select(*[surveys.c[name] for name in SURVEY_COLUMNS]).order_by(surveys.c.period_end, surveys.c.source, surveys.c.id)
    with engine.connect() as connection:
        frame = rows_frame(connection.execute(query), columns=SURVEY_COLUMNS)
    for name in ("period_start", "period_end"):
        frame[name] = pd.to_datetime(frame[name])
    frame["value"] = pd.to_numeric(frame["value"]).astype("float64")
    frame["scale_max"] = pd.to_numeric(frame["scale_max"]).astype("float64")
    frame["sample_size"] = pd.to_numeric(frame["sample_size"]).astype("Int64")
    return frame
