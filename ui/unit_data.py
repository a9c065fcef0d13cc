"""Cached loaders for trends, rankings and the unit profile (the pattern of ui/data.py).

Keyed by the database URL and small arguments (dates, a tuple of codes); drill-down lists
are bounded in SQL, so an entry holds at most a few hundred rows.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

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


def view_link(path: str, **params) -> str:
    """A link to another view that keeps the viewer's period, comparison, scope and language."""
    keep = {k: st.query_params.get(k) for k in ("pk", "period", "range", "cmp", "scope", "lang") if st.query_params.get(k)}
    keep.update({k: v for k, v in params.items() if v is not None})
    return f"/{path}?{urlencode(keep)}" if keep else f"/{path}"


# --- page choices kept in the URL as codes ---------------------------------------------------
# `bind="query-params"` writes a selectbox's FORMATTED label into the URL (?kpi=Tỷ+lệ+hài+lòng),
# which changes with the language and cannot be written by a link built from codes
# (/unit?unit=26734, /rankings?level=wards&district=760). These two keep the code instead:
# the URL wins when it names a valid option, the widget's remembered value otherwise, and the
# URL is rewritten after every run so the address bar is always a shareable link. A value
# that is not an option is dropped, never passed on.


def url_select(container, label: str, options, format_func, key: str, default, keep: bool = False, **kwargs):
    """A selectbox whose choice is the URL parameter `key` (a code). `keep`: write it even
    when it is the default (a profile link always names its unit)."""
    options = list(options)
    wanted = st.query_params.get(key)
    state_key = f"_url_{key}"
    if wanted in options:
        if st.session_state.get(state_key) != wanted:
            st.session_state[state_key] = wanted
    elif st.session_state.get(state_key) not in options:
        st.session_state[state_key] = default
    picked = container.selectbox(label, options, format_func=format_func, key=state_key, **kwargs)
    _write(key, picked if keep or picked != default else None)
    return picked


def url_multiselect(container, label: str, options, format_func, key: str, default: list, **kwargs) -> list:
    options = list(options)
    limit = kwargs.get("max_selections") or len(options)
    wanted = [v for v in dict.fromkeys(st.query_params.get_all(key)) if v in options][:limit]
    state_key = f"_url_{key}"
    current = st.session_state.get(state_key)
    if wanted:
        if current != wanted:
            st.session_state[state_key] = wanted
    elif not isinstance(current, list) or any(v not in options for v in current):
        st.session_state[state_key] = list(default)
    picked = container.multiselect(label, options, format_func=format_func, key=state_key, **kwargs)
    _write(key, picked if picked != list(default) else None)
    return picked


def _write(key: str, value) -> None:
    if value is None or value == []:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get_all(key) != (value if isinstance(value, list) else [str(value)]):
        st.query_params[key] = value
