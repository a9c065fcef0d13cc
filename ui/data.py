"""Cached loaders between the pages and data_access: one per kind of card.

Pages call them with domain arguments only (dates, unit codes, keyword flags); `loader`
supplies the rest. Caches are keyed by the database URL and those arguments, hold each
answer for ten minutes, and turn a database that cannot be reached into
DatabaseUnavailable, which app.py shows as a clear message instead of a traceback.

Every loader of figures is keyed by the viewer's scope too (`scope()`: role and unit, from
the session, never from the URL), and passes the viewer to data_access, which enforces it:
a cached answer for one viewer is never handed to another with less access.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import threading
import time
from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access import queries
from domain import units as unit_versions
from domain import access
from domain.access import viewer_for_scope
from data_access.db import database_url, make_engine, user_facing_error
from geo import boundaries as boundary_layers
from geo.simplify import to_feature_collection

TTL = 600


# SQLite's page cache per connection in the app: with up to 15 pooled connections under load,
# the 200 MB an import uses made each app process hold 1.7 GB with 50 sessions at the city's
# scale (benchmarks.load_ws, issue 14).
APP_PAGE_CACHE_MB = 16


@st.cache_resource(show_spinner=False)
def _engine(url: str):
    return make_engine(url, page_cache_mb=APP_PAGE_CACHE_MB)


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
        clear_caches()


def scope() -> tuple[str, str | None]:
    """The signed-in viewer's access (role and unit): part of every cache key of figures."""
    from ui.auth import current_viewer

    return current_viewer().scope_key()


def loader(*, max_entries: int, ttl: int = TTL, scoped: bool = True):
    """Make `read(engine, *arguments, viewer=...)` a cached loader that pages call with the
    domain arguments only: `data.kpi_counts(start, end, codes, by_unit=True)`.

    The one place that supplies the app's database and the viewer's scope: both are part of
    every cache key (two databases, or two viewers with different access, never share an
    entry), and data_access gets the viewer and enforces its scope. `scoped=False` for public
    data (the unit list, surveys, boundaries), which take no viewer. A database that cannot be
    reached becomes DatabaseUnavailable, which the frame shows instead of a traceback.
    """

    def decorate(read):
        def compute(key: str, access_scope: tuple | None, *args, **kwargs):
            if scoped:
                kwargs["viewer"] = viewer_for_scope(access_scope)
            return read(_engine(key), *args, **kwargs)

        return _cached_per_database(read, compute, max_entries=max_entries, ttl=ttl, scoped=scoped)

    return decorate


def derived(*, max_entries: int, ttl: int = TTL):
    """Make a computation over the loaders' answers (an alert scan over seven periods, a
    12-period trend table) a cache of its own, keyed like the loaders by the database and the
    viewer's scope: a view computes it once for its inputs, not on every run. Its loaders
    apply the viewer's scope, so an entry never crosses to a viewer with other access."""

    def decorate(function):
        def compute(key: str, access_scope: tuple | None, *args, **kwargs):
            return function(*args, **kwargs)

        return _cached_per_database(function, compute, max_entries=max_entries, ttl=ttl, scoped=True)

    return decorate


def _digest(value) -> bytes:
    """An exact fingerprint of a cache argument: its pickle, digested. Streamlit's own hasher
    walks a frame column by column and deep-copies a dataclass (the filters, with every area's
    members) first: ten times slower, and a derived computation's key was hashed on every run
    (issue 14, py-spy)."""
    return hashlib.blake2b(pickle.dumps(value, protocol=5), digest_size=16).digest()


_HASH_FUNCS = {
    pd.DataFrame: _digest,
    pd.Series: _digest,
    tuple: _digest,
    "ui.filters.Filters": _digest,
    "metrics.kpis.Kpi": _digest,
    "metrics.periods.Period": _digest,
}


def _resource_cache(named, compute, *, max_entries: int, ttl: int):
    """st.cache_resource over `compute`, named after `named`, and its caller `call(*args,
    **kwargs)`. The call hands Streamlit two keywords, the arguments as one tuple (digested
    whole by _digest) and the keywords as sorted pairs: Streamlit looks up a positional
    argument's name with inspect.signature and walks a tuple item by item, a quarter of a
    warm view's cache lookups (issue 14, py-spy)."""

    def keyed(arguments: tuple, keywords: tuple):
        return compute(*arguments, **dict(keywords))

    # Streamlit names a cache by the function's module, qualified name and source: a
    # closure would share one cache between every loader without its reader's name.
    keyed.__module__, keyed.__qualname__ = named.__module__, named.__qualname__
    cached = st.cache_resource(ttl=ttl, max_entries=max_entries, show_spinner=False, hash_funcs=_HASH_FUNCS)(keyed)

    def call(*args, **kwargs):
        return cached(arguments=args, keywords=tuple(sorted(kwargs.items())))

    return call, cached


def shared(*, max_entries: int, ttl: int = TTL):
    """Keep a pure builder's answer (a figure made from its arguments) by those arguments, and
    hand every caller the same object: a warm view then draws the figure without building it
    again (plotly checks every property it is given: a tenth of a view's time). Callers must
    not change the answer; what varies is an argument of the builder."""

    def decorate(function):
        call, _ = _resource_cache(function, function, max_entries=max_entries, ttl=ttl)
        call.__module__, call.__name__, call.__qualname__, call.__doc__ = function.__module__, function.__name__, function.__qualname__, function.__doc__
        return call

    return decorate


# Every loader's cache, so that clear_caches() empties them all (an import, "Try again").
_CACHES: list = []


def _cached_per_database(named, compute, *, max_entries: int, ttl: int, scoped: bool):
    """`compute(database key, viewer's scope, *arguments)` cached, called as `named(*arguments)`.

    The answers are kept as they are (st.cache_resource), and each caller gets its own
    shallow copy (private_view): st.cache_data unpickled a full copy on every hit, a tenth of
    the app's CPU under load at the city's scale (issue 14, py-spy). With pandas' copy-on-write
    a caller that changes its copy copies what it changes; the cached answer never changes.
    """
    call, cached = _resource_cache(named, compute, max_entries=max_entries, ttl=ttl)
    _CACHES.append(cached)

    def load(*args, **kwargs):
        try:
            return private_view(call(db_key(), scope() if scoped else None, *args, **kwargs))
        except DBAPIError as error:
            raise user_facing_error(error) from error

    load.__module__, load.__name__, load.__qualname__, load.__doc__ = named.__module__, named.__name__, named.__qualname__, named.__doc__
    load.clear = cached.clear
    return load


def private_view(answer):
    """A caller's own copy of a cached answer, without copying its data: frames and series
    shallow-copied (copy-on-write keeps the cached one as it is), dicts, lists and tuples one
    level down. Deeper plain data (a GeoJSON's features) is shared: read it, do not change it."""
    if isinstance(answer, pd.DataFrame | pd.Series):
        return answer.copy(deep=False)
    if isinstance(answer, dict):
        return {key: private_view(value) if isinstance(value, pd.DataFrame | pd.Series) else value for key, value in answer.items()}
    if isinstance(answer, list | tuple):
        return type(answer)(private_view(value) if isinstance(value, pd.DataFrame | pd.Series) else value for value in answer)
    return answer


def clear_caches() -> None:
    """Empty every loader's cache and Streamlit's data caches: the next views read the database."""
    for cached in _CACHES:
        cached.clear()
    st.cache_data.clear()


@loader(max_entries=16, scoped=False)
def units(engine) -> pd.DataFrame:
    return queries.load_units(engine)


@loader(max_entries=16, scoped=False)
def lineage(engine) -> pd.DataFrame:
    """The crosswalk between unit versions (public geography)."""
    return queries.load_lineage(engine)


def own_codes(viewer) -> frozenset | None:
    """The units `viewer` sees in full (None: every unit), with their former units and, for an
    area leader, their area's units: the access rules on every unit version and the crosswalk,
    as data_access applies them (a page's layout frame alone lacks the former units)."""
    return access.own_codes(viewer, units(), lineage())


@loader(max_entries=32, scoped=False)
def layout(engine, day: date) -> pd.DataFrame:
    """The units in force on `day` as the dashboard walks them (domain.units.layout_on): read
    by the filter bar on every view, so computed once per day asked."""
    return unit_versions.layout_on(queries.load_units(engine), queries.load_lineage(engine), day)


@loader(max_entries=16, scoped=False)
def former_areas(engine) -> pd.DataFrame:
    """Each unit formed by a reform with the former district and province most of it came
    from (domain.units.former_areas): the rankings group today's units by it."""
    return unit_versions.former_areas(queries.load_units(engine), queries.load_lineage(engine))


@loader(max_entries=16, scoped=False)
def reform_days(engine) -> tuple[date, ...]:
    """The days units were reorganised (1 July 2025 for the two-tier reform), oldest first."""
    days = queries.load_lineage(engine)["effective_date"]
    return tuple(sorted({pd.Timestamp(d).date() for d in days.dropna()}))


@loader(max_entries=16, scoped=False)
def home_city(engine) -> str | None:
    """The province the dashboard serves (domain.units.home_city)."""
    return unit_versions.home_city(queries.load_units(engine))


@loader(max_entries=32, scoped=False)
def areas_on(engine, day: date) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The groupings of the units in force on `day` by where they came from, as the filter
    bar offers them on every view: (former unit's code, its name, the codes of its units now),
    former provinces first (when more than one merged), then former districts by name.
    Derived from the crosswalk alone (domain.units.members_by_area), so any province gets its own."""
    all_units, crosswalk = queries.load_units(engine), queries.load_lineage(engine)
    if crosswalk.empty:
        return ()
    layout = unit_versions.layout_on(all_units, crosswalk, day)
    members = unit_versions.members_by_area(unit_versions.former_areas(all_units, crosswalk), layout["code"])
    level = dict(zip(all_units["code"], all_units["level"]))
    names = dict(zip(all_units["code"], all_units["name"]))
    provinces = [c for c in members if level.get(c) == "city"]
    ordered = (provinces if len(provinces) > 1 else []) + sorted(
        (c for c in members if level.get(c) == "district"), key=lambda c: unit_versions.natural_key(names.get(c, c))
    )
    return tuple((c, names.get(c, c), members[c]) for c in ordered)


@loader(max_entries=16, scoped=False)
def data_extent(engine) -> dict:
    return queries.data_extent(engine)


@loader(max_entries=512)
def kpi_counts(engine, start: date, end: date, codes: tuple[str, ...] | None, *, by_unit: bool = False, restated: bool = False, viewer) -> pd.DataFrame:
    """`restated`: a period before a reform read on today's units (frame.attrs["restated"] says how)."""
    return queries.kpi_counts(engine, start, end, codes, by_unit, viewer=viewer, restated=restated)


@loader(max_entries=256)
def flow_counts_by_period(engine, start: date, end: date, grain: str, codes: tuple[str, ...] | None, *, restated: bool = False, viewer) -> pd.DataFrame:
    return queries.flow_counts_by_period(engine, start, end, grain, codes, viewer=viewer, restated=restated)


@loader(max_entries=256)
def backlog_counts(engine, days: tuple[date, ...], codes: tuple[str, ...] | None, *, by_unit: bool = False, restated: bool = False, viewer) -> pd.DataFrame:
    return queries.backlog_counts(engine, days, codes, by_unit, viewer=viewer, restated=restated)


@loader(max_entries=64, scoped=False)
def targets(engine, on_day: date) -> pd.DataFrame:
    return queries.load_targets(engine, on_day)


@loader(max_entries=16, scoped=False)
def surveys(engine) -> pd.DataFrame:
    """Published independent survey results (public figures: not keyed by the viewer)."""
    return queries.load_surveys(engine)


@loader(max_entries=64, scoped=False)
def boundaries(engine, codes: tuple[str, ...]) -> dict:
    """{"geojson": FeatureCollection of the units that have a boundary, "approximate": bool,
    "key": a fingerprint of the geometry (ui.maps keys the map's layout by it)}.
    Boundaries are public geography (no figures): not keyed by the viewer."""
    frame = boundary_layers.load_boundaries(engine, list(codes))
    geojson = to_feature_collection(frame)
    key = hashlib.blake2b(json.dumps(geojson, sort_keys=True).encode(), digest_size=16).hexdigest()
    return {"geojson": geojson, "approximate": bool(frame["approximate"].any()), "key": key}
