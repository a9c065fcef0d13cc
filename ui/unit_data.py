"""Cached loaders for trends, rankings and the unit profile (the pattern of ui/data.py).

Keyed by the database URL, the viewer's scope (ui.data.scope(): role and unit) and small
arguments (dates, a tuple of codes); data_access enforces the scope. Drill-down lists are
bounded in SQL, so an entry holds at most a few hundred rows.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from data_access import unit_queries
from domain.access import viewer_for_scope
from ui.data import TTL, _engine, _reachable, scope


@_reachable
@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _flow_counts(key: str, access_scope: tuple, start: date, end: date, grain: str, codes: tuple[str, ...] | None, by: tuple[str, ...], source: str) -> pd.DataFrame:
    return unit_queries.flow_counts(_engine(key), start, end, grain, codes, by, source, viewer=viewer_for_scope(access_scope))


def flow_counts(key: str, start: date, end: date, grain: str, codes: tuple[str, ...] | None, by: tuple[str, ...], source: str) -> pd.DataFrame:
    return _flow_counts(key, scope(), start, end, grain, codes, by, source)


@_reachable
@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def fields(key: str) -> pd.DataFrame:
    return unit_queries.load_fields(_engine(key))


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _officer_stats(key: str, access_scope: tuple, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.officer_stats(_engine(key), start, end, codes, viewer=viewer_for_scope(access_scope))


def officer_stats(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return _officer_stats(key, scope(), start, end, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _overdue_dossiers(key: str, access_scope: tuple, as_of: date, codes: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    engine, viewer = _engine(key), viewer_for_scope(access_scope)
    return unit_queries.overdue_dossiers(engine, as_of, codes, viewer=viewer), unit_queries.count_overdue(engine, as_of, codes, viewer=viewer)


def overdue_dossiers(key: str, as_of: date, codes: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    """The bounded list and how many there are in all (so the page can say "200 of 1.234")."""
    return _overdue_dossiers(key, scope(), as_of, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _late_without_apology(key: str, access_scope: tuple, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.late_without_apology(_engine(key), start, end, codes, viewer=viewer_for_scope(access_scope))


def late_without_apology(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return _late_without_apology(key, scope(), start, end, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _procedure_breakdown(key: str, access_scope: tuple, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.procedure_breakdown(_engine(key), start, end, codes, viewer=viewer_for_scope(access_scope))


def procedure_breakdown(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return _procedure_breakdown(key, scope(), start, end, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _dissatisfied_reasons(key: str, access_scope: tuple, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return unit_queries.dissatisfied_reasons(_engine(key), start, end, codes, viewer=viewer_for_scope(access_scope))


def dissatisfied_reasons(key: str, start: date, end: date, codes: tuple[str, ...]) -> pd.DataFrame:
    return _dissatisfied_reasons(key, scope(), start, end, codes)
