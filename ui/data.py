"""Cached loaders between the pages and data_access: one per kind of card.

Caches are keyed by small arguments (the database URL, dates, unit codes), hold each
answer for ten minutes, and turn a database that cannot be reached into
DatabaseUnavailable, which app.py shows as a clear message instead of a traceback.

Every loader of figures is keyed by the viewer's scope too (`scope()`: role and unit, from
the session, never from the URL), and passes the viewer to data_access, which enforces it:
a cached answer for one viewer is never handed to another with less access. Pages call the
public loaders below, which add the scope themselves.
"""

from __future__ import annotations

import functools
import threading
import time
from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access import boundaries as boundary_store
from data_access import queries
from domain.access import viewer_for_scope
from data_access.db import database_url, make_engine, user_facing_error
from geo.simplify import to_feature_collection

TTL = 600


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return make_engine(url)


def engine():
    return _engine(database_url())


def db_key() -> str:
    url = database_url()
    follow_other_processes(url)
    return url


# How often a process looks whether the data changed (an import, a commitment saved) in
# another app process behind the proxy: its cached answers are then dropped (issue 14).
VERSION_CHECK_SECONDS = 5.0
_version = {"url": None, "value": None, "checked": -1e9}
_version_lock = threading.Lock()


def data_version(url: str) -> tuple:
    """The last refresh, audit row and commitment change: any import, data-page action or
    commitment saved by any process moves one of them."""
    from sqlalchemy import func, select

    from data_access.schema import audit_log, commitment_updates, commitments, refresh_log

    with _engine(url).connect() as connection:
        latest = [select(func.max(table.c.id)).scalar_subquery() for table in (refresh_log, audit_log, commitments, commitment_updates)]
        return tuple(connection.execute(select(*latest)).one())


def follow_other_processes(url: str) -> None:
    """Drop this process's cached data when the database changed since it last looked (at
    most every VERSION_CHECK_SECONDS): several processes then show the same figures within
    seconds of an import, whichever one ran it. A database that cannot be read is left to
    the loaders, which say so."""
    now = time.monotonic()
    with _version_lock:
        if _version["url"] == url and now - _version["checked"] < VERSION_CHECK_SECONDS:
            return
        _version["checked"] = now
    try:
        value = data_version(url)
    except Exception:  # noqa: BLE001 - the loaders report an unreachable database
        return
    with _version_lock:
        changed = _version["url"] == url and _version["value"] is not None and value != _version["value"]
        _version["url"], _version["value"] = url, value
    if changed:
        st.cache_data.clear()


def scope() -> tuple[str, str | None]:
    """The signed-in viewer's access (role and unit): part of every cache key of figures."""
    from ui.auth import current_viewer

    return current_viewer().scope_key()


def _reachable(loader):
    """Translate driver errors into one message the user can act on."""

    @functools.wraps(loader)
    def wrapper(*args, **kwargs):
        try:
            return loader(*args, **kwargs)
        except DBAPIError as error:
            raise user_facing_error(error) from error

    return wrapper


@_reachable
@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def units(key: str) -> pd.DataFrame:
    return queries.load_units(_engine(key))


@_reachable
@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def lineage(key: str) -> pd.DataFrame:
    """The crosswalk between unit versions (public geography)."""
    return queries.load_lineage(_engine(key))


def reform_days(key: str) -> tuple[date, ...]:
    """The days units were reorganised (1 July 2025 for the two-tier reform), oldest first."""
    days = lineage(key)["effective_date"]
    return tuple(sorted({pd.Timestamp(d).date() for d in days.dropna()}))


@_reachable
@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def data_extent(key: str) -> dict:
    return queries.data_extent(_engine(key))


@_reachable
@st.cache_data(ttl=TTL, max_entries=512, show_spinner=False)
def _kpi_counts(key: str, access_scope: tuple, start: date, end: date, codes: tuple[str, ...] | None, by_unit: bool) -> pd.DataFrame:
    return queries.kpi_counts(_engine(key), start, end, codes, by_unit, viewer=viewer_for_scope(access_scope))


def kpi_counts(key: str, start: date, end: date, codes: tuple[str, ...] | None, by_unit: bool) -> pd.DataFrame:
    return _kpi_counts(key, scope(), start, end, codes, by_unit)


@_reachable
@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _flow_counts_by_period(key: str, access_scope: tuple, start: date, end: date, grain: str, codes: tuple[str, ...] | None) -> pd.DataFrame:
    return queries.flow_counts_by_period(_engine(key), start, end, grain, codes, viewer=viewer_for_scope(access_scope))


def flow_counts_by_period(key: str, start: date, end: date, grain: str, codes: tuple[str, ...] | None) -> pd.DataFrame:
    return _flow_counts_by_period(key, scope(), start, end, grain, codes)


@_reachable
@st.cache_data(ttl=TTL, max_entries=256, show_spinner=False)
def _backlog_counts(key: str, access_scope: tuple, days: tuple[date, ...], codes: tuple[str, ...] | None, by_unit: bool) -> pd.DataFrame:
    return queries.backlog_counts(_engine(key), days, codes, by_unit, viewer=viewer_for_scope(access_scope))


def backlog_counts(key: str, days: tuple[date, ...], codes: tuple[str, ...] | None, by_unit: bool = False) -> pd.DataFrame:
    return _backlog_counts(key, scope(), days, codes, by_unit)


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def targets(key: str, on_day: date) -> pd.DataFrame:
    return queries.load_targets(_engine(key), on_day)


@_reachable
@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def surveys(key: str) -> pd.DataFrame:
    """Published independent survey results (public figures: not keyed by the viewer)."""
    return queries.load_surveys(_engine(key))


@_reachable
@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def boundaries(key: str, codes: tuple[str, ...]) -> dict:
    """{"geojson": FeatureCollection of the units that have a boundary, "approximate": bool}.
    Boundaries are public geography (no figures): not keyed by the viewer."""
    frame = boundary_store.load_boundaries(_engine(key), list(codes))
    return {"geojson": to_feature_collection(frame), "approximate": bool(frame["approximate"].any())}
