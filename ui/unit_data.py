"""Cached loaders for trends, rankings and the unit profile (the pattern of ui/data.py).

Keyed by the database URL and small arguments (dates, a tuple of codes); drill-down lists
are bounded in SQL, so an entry holds at most a few hundred rows.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from data_access import unit_queries
from ui.data import TTL, _engine, _reachable


@_reachable
@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def flow_counts(key: str, start: date, end: date, grain: str, codes: tuple[str, ...] | None, by: tuple[str, ...], source: str) -> pd.DataFrame:
    return unit_queries.flow_counts(_engine(key), start, end, grain, codes, by, source)


@_reachable
@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def fields(key: str) -> pd.DataFrame:
    return unit_queries.load_fields(_engine(key))


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def officer_stats(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.officer_stats(_engine(key), start, end, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def overdue_dossiers(key: str, as_of: date, codes: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """The bounded list and how many there are in all (so the page can say "200 of 1.234")."""
    engine = _engine(key)
    return unit_queries.overdue_dossiers(engine, as_of, codes), unit_queries.count_overdue(engine, as_of, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def late_without_apology(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.late_without_apology(_engine(key), start, end, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def procedure_breakdown(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.procedure_breakdown(_engine(key), start, end, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def dissatisfied_reasons(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.dissatisfied_reasons(_engine(key), start, end, codes)
