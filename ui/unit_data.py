"""Cached loaders for trends, rankings and the unit profile (ui/data.py's `loader`).

Called with domain arguments only (dates, a tuple of codes); `loader` keys each answer by
the database and the viewer's scope too, and data_access enforces the scope. Drill-down lists
are bounded in SQL, so an entry holds at most a few hundred rows.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from data_access import unit_queries
from ui.data import loader


@loader(max_entries=256)
def flow_counts(
    engine, start: date, end: date, grain: str, codes: tuple[str, ...] | None, by: tuple[str, ...], source: str, *, restated: bool = False, viewer
) -> pd.DataFrame:
    return unit_queries.flow_counts(engine, start, end, grain, codes, by, source, viewer=viewer, restated=restated)


@loader(max_entries=8, scoped=False)
def fields(engine) -> pd.DataFrame:
    return unit_queries.load_fields(engine)


@loader(max_entries=64)
def officer_stats(engine, start: date, end: date, codes: tuple[str, ...], *, viewer) -> pd.DataFrame:
    return unit_queries.officer_stats(engine, start, end, codes, viewer=viewer)


@loader(max_entries=64)
def overdue_dossiers(engine, as_of: date, codes: tuple[str, ...], *, viewer) -> tuple[pd.DataFrame, int]:
    """The bounded list and how many there are in all (so the page can say "200 of 1.234")."""
    return unit_queries.overdue_dossiers(engine, as_of, codes, viewer=viewer), unit_queries.count_overdue(engine, as_of, codes, viewer=viewer)


@loader(max_entries=64)
def late_without_apology(engine, start: date, end: date, codes: tuple[str, ...], *, viewer) -> pd.DataFrame:
    return unit_queries.late_without_apology(engine, start, end, codes, viewer=viewer)


@loader(max_entries=64)
def procedure_breakdown(engine, start: date, end: date, codes: tuple[str, ...], *, viewer) -> pd.DataFrame:
    return unit_queries.procedure_breakdown(engine, start, end, codes, viewer=viewer)


@loader(max_entries=64)
def dissatisfied_reasons(engine, start: date, end: date, codes: tuple[str, ...], *, viewer) -> pd.DataFrame:
    return unit_queries.dissatisfied_reasons(engine, start, end, codes, viewer=viewer)
