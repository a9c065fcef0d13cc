"""Realistic demo data: Ho Chi Minh City's units, ratings and dossiers, before and since the
1 July 2025 reform.

    python -m demo (or python -m data_access.demo) [--size small|default|city] [--seed 42]
                               [--start 2021-01-01] [--end YYYY-MM-DD] [--url DB_URL] [--migrate]
                               [--step-months N|all]

`generate(engine, ...)` writes dimensions (units of both eras and their crosswalk
unit_lineage, fields, procedures, officers, targets) and facts (dossiers, ratings, steps)
into an empty database at the current schema; with `refresh=True` it also fills the
summary tables in the same transaction from the rows it holds (data_access/refresh.py,
the same counting as a refresh that reads them back).

Model, in short (every draw from a seeded numpy Generator; vectorised, chunked by months):
- Geography (demo/plan.py): HCMC from the packaged reference layout. Until 30 June 2025 the
  former layout: old HCMC's 22 districts / 273 wards, and the former provinces Bình Dương
  and Bà Rịa–Vũng Tàu (their own trees: 74 and 77) - 442 former commune-level units, the
  38 districts' one-stop shops and 15 city departments. From 1 July 2025 the 168 units
  directly under the city and 11 departments (the 2025 restructuring, catalogue.toml). The
  package knows only the layout of June 2025, used for every earlier month (old HCMC had
  312 wards before 1 January 2025). Ward volume weights are lognormal (two orders of
  magnitude); a new unit handles what its former wards and districts handled.
- Calendar: counters work Monday-Friday 7:30-11:30 and 13:00-17:00 and Saturday morning;
  closed on Sundays and public holidays (Tết week, 1/1, 30/4, 1/5, 2/9). Online dossiers
  arrive at any hour, any day. Volume: busier weeks before Tết, near zero in Tết week,
  the HCMC lockdown of July-September 2021, mild seasonality, +6 %/year growth. Since the
  reform no month falls below MONTH_FLOOR of the era's mean (the pre-Tết rush and the
  quiet Tết week share a month or two).
- Size: small and city fix the total number of dossiers over the range (20k, 10M), with
  about as many ratings. The default demo is at the city's real scale since the reform
  (PER_MONTH_SINCE_REFORM dossiers a month; HCMC resolved 1,304,371 in Q3 2025) with a
  thinner history (HISTORY_SCALE) and RATINGS_PER_DOSSIER ratings per dossier since the
  reform (demo/model.py).
- Satisfaction per rating channel is calibrated to HCMC's published 2019 figures
  (kiosk/tablet 99.24 / 0.59 / 0.17 %, web 94.95 / 4.67 / 0.37 %; the web figures sum to
  99.99 %, the remaining 0.01 % is added to "dissatisfied", i.e. 0.38 %). App and SMS
  ratings use the web calibration. Weak wards, incidents, late dossiers and repeated
  supplement requests raise the odds of neutral/dissatisfied; within each channel class
  the odds are renormalised per chunk so city-level shares keep the published figures.
- Processing steps (demo/steps.py) for every dossier of the small and city demos; the
  default demo gives them to the open dossiers only (its first start stays within budget);
  `--step-months` changes that.
- Truth for tests: `incidents(seed, start, end)` lists the weak wards and the incidents
  (unit, months, kind) that `generate` plants with the same seed and range.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from data_access import schema
from data_access.bulk import bulk_insert, drop_secondary_indexes
from i18n.format import fmt_int
from demo.days import _by_year, _day_factors, default_end
from demo.catalogue import ONLINE_SHARE
from demo.dimensions import _dimension_frames
from demo.facts import _context, _make_chunk, _text
from data_access.refresh import FACT_COLUMNS, Fresh, refresh_summaries_in
from demo.model import (
    CURRENT,
    DEFAULT_START,
    FORMER,
    HISTORY_SCALE,
    MAX_CHUNK_DOSSIERS,
    MONTH_FLOOR,
    PER_MONTH_SINCE_REFORM,
    RATINGS_PER_DOSSIER,
    SIZES,
    DemoDataError,
)
from ingest.admin_units import REFORM_DATE
from demo.plan import _plan, incidents
from demo.surveys import write_demo_surveys

# --- orchestration ----------------------------------------------------------------------


def _chunks(month_of_day: np.ndarray, per_day: np.ndarray, limit: int, breaks=()) -> list[tuple[int, int]]:
    """Day ranges [lo, hi) made of whole months, each about `limit` dossiers at most; no
    chunk spans a day position in `breaks` (the reform: each chunk is of one era)."""
    boundaries = np.flatnonzero(np.diff(month_of_day)) + 1
    month_starts = np.concatenate([[0], boundaries, [len(month_of_day)]])
    breaks = {int(b) for b in breaks}
    chunks, lo, acc = [], 0, 0
    for a, b in zip(month_starts[:-1], month_starts[1:]):
        volume = int(per_day[a:b].sum())
        if acc and (acc + volume > limit or a in breaks):
            chunks.append((lo, a))
            lo, acc = a, 0
        acc += volume
    chunks.append((lo, len(month_of_day)))
    return chunks


# Published survey figures (see docs/surveys.md): each row cites where it comes from. Links
# are left empty rather than guessed.


STEP_MONTHS = {"small": None, "default": 0, "city": None}


def steps_since(size: str, end: date, months: int | None | str = "size"):
    """The first received time with steps for every dossier (None: all dossiers).
    `months`: "size" for the size's default (STEP_MONTHS), None for all dossiers."""
    months = STEP_MONTHS.get(size) if months == "size" else months
    if months is None:
        return None
    first = (pd.Timestamp(end).to_period("M") - (months - 1)).start_time
    return np.datetime64(first, "us")


def _volumes(days: np.ndarray, former: np.ndarray, expected: np.ndarray, size: str) -> tuple[np.ndarray, int]:
    """Expected dossiers per day and channel scaled by era (and months since the reform
    floored), and the number of dossiers to draw."""
    months = days.astype("datetime64[M]")
    expected = expected * np.where(former, HISTORY_SCALE.get(size, 1.0), 1.0)[:, None]
    if (~former).any():
        current_months, month_of_day = np.unique(months[~former], return_inverse=True)
        totals = np.bincount(month_of_day, weights=expected[~former].sum(1))
        lift = np.maximum(MONTH_FLOOR * totals.mean(), totals) / totals
        expected[~former] *= lift[month_of_day][:, None]
    if size in PER_MONTH_SINCE_REFORM and (~former).any():
        per_month = expected[~former].sum() / len(current_months)
        return expected, int(round(PER_MONTH_SINCE_REFORM[size] * expected.sum() / per_month))
    return expected, SIZES[size]


def _draw(size: str, seed: int, start: date, end: date):
    """The plan, dimensions, era contexts and the dossiers to receive per day and channel."""
    plan = _plan(seed)
    anomalies = incidents(seed, start, end)
    rng = np.random.default_rng([seed, 10])
    dims = _dimension_frames(plan, start, end, rng)
    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    former = days < np.datetime64(REFORM_DATE, "D")
    contexts = {era: _context(plan, dims, anomalies, start, end, era) for era, mask in ((FORMER, former), (CURRENT, ~former)) if mask.any()}
    holidays = next(iter(contexts.values())).holidays
    counter_f, online_f = _day_factors(days, holidays, rng)
    online_share = _by_year(ONLINE_SHARE, days)
    expected = np.stack([counter_f * (1 - online_share) * 0.97, online_f * online_share, counter_f * (1 - online_share) * 0.03], 1)
    expected, n_dossiers = _volumes(days, former, expected, size)
    counts = rng.multinomial(n_dossiers, (expected / expected.sum()).ravel()).reshape(expected.shape)
    return plan, dims, contexts, days, former, counter_f, counts


def planned_receipts(size: str = "default", seed: int = 42, start: date = DEFAULT_START, end: date | None = None) -> pd.DataFrame:
    """Dossiers `generate` receives per month (index: first day), in all and online: the
    same draw, without writing anything (checking a size's volumes costs no build)."""
    end = end or default_end()
    _, _, _, days, _, _, counts = _draw(size, seed, start, end)
    frame = pd.DataFrame({"received": counts.sum(1), "online": counts[:, 1]}, index=pd.DatetimeIndex(days))
    return frame.groupby(frame.index.to_period("M").start_time).sum()


def _build_mode(engine: Engine) -> str | None:
    """On SQLite, write the build without the write-ahead log: one transaction of millions of
    rows grew a 2.5 GB log whose every page look-up slowed the index builds fivefold. The
    rollback journal keeps the transaction all-or-nothing (a new file holds almost nothing
    to journal). Returns the journal mode to restore afterwards (None: unchanged)."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None  # in memory: disposing the pool would drop the database
    engine.dispose()  # leaving WAL mode needs the only connection to the file
    with engine.connect() as connection:
        before = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
        if str(before).lower() != "wal":
            return None
        now = connection.exec_driver_sql("PRAGMA journal_mode=DELETE").scalar()
        if str(now).lower() != "delete":
            return None
        # Nothing synced until the commit: a build that fails half-way is started again.
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
    return before


def _restore_mode(engine: Engine, mode: str | None) -> None:
    if mode is not None:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA journal_mode={mode}")
            connection.exec_driver_sql("PRAGMA synchronous=NORMAL")  # as data_access.db sets it


def _set_build_pragmas(connection) -> dict:
    """On SQLite, a bigger page cache while the facts are written and indexed; returns the
    previous values."""
    if connection.dialect.name != "sqlite":
        return {}
    before = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar() for name in BUILD_PRAGMAS}
    for name, value in BUILD_PRAGMAS.items():
        connection.exec_driver_sql(f"PRAGMA {name}={value}")
    return before


def _restore_pragmas(connection, before: dict) -> None:
    for name, value in before.items():
        connection.exec_driver_sql(f"PRAGMA {name}={value}")


# PRAGMAs for the build's connection (restored at the end; the app's are in data_access/db.py).
BUILD_PRAGMAS = {"cache_size": -1_000_000}


def generate(
    engine: Engine,
    size: str = "default",
    seed: int = 42,
    start: date = DEFAULT_START,
    end: date | None = None,
    progress=None,
    step_months: int | None | str = "size",
    refresh: bool = False,
    today: date | None = None,
) -> dict[str, int]:
    """Fill an empty database (already at the current schema) with demo data; row counts per table.

    Writes units and their lineage, fields, procedures, officers, targets, dossiers, ratings
    and steps in one transaction; with `refresh` the summary tables too (counted from the
    rows in memory: refresh.refresh_summaries_in with every row fresh; `today` as there).
    Refuses a database that already has units. `progress(fraction, message)` is called as
    the work advances.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    end = end or default_end()
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    report = progress or (lambda fraction, message: None)
    report(0.0, "Chuẩn bị dữ liệu mẫu")

    plan, dims, contexts, days, former, counter_f, counts = _draw(size, seed, start, end)
    per_day = counts.sum(1)
    chunks = _chunks(days.astype("datetime64[M]").astype(np.int64), per_day, MAX_CHUNK_DOSSIERS, np.flatnonzero(np.diff(former)) + 1)
    steps_from = steps_since(size, end, step_months)
    rating_ratio = {FORMER: 1.0, CURRENT: RATINGS_PER_DOSSIER.get(size, 1.0)}

    written = {}
    kept = {"dossiers": [], "ratings": []}  # the refresh's columns of every fact written
    mode = _build_mode(engine)
    try:
        with engine.begin() as connection:
            missing = [name for name in ("units", "dossiers", "ratings") if not inspect(connection).has_table(name)]
            if missing:
                raise DemoDataError(
                    f"table(s) {', '.join(missing)} missing: bring the database to the current schema first (python -m data_access.migrate URL, or --migrate)"
                )
            existing = connection.execute(select(func.count()).select_from(schema.units)).scalar_one()
            if existing:
                raise DemoDataError(f"the database already has {existing} units; demo data is only written into an empty database")
            pragmas = _set_build_pragmas(connection)
            for name in ("units", "unit_lineage", "fields", "procedures", "officers", "targets"):
                frame = dims[name]
                if name == "officers":
                    # Reminders in the demo go nowhere: the .invalid domain never resolves.
                    frame = frame[["code", "full_name", "unit_code", "title"]].assign(email=frame["code"].str.lower() + "@demo.invalid")
                written[name] = bulk_insert(connection, schema.metadata.tables[name], frame)
            written["dossiers"] = written["ratings"] = written["dossier_steps"] = 0
            # Secondary indexes are rebuilt once at the end: far faster than updating them row by row.
            dropped = drop_secondary_indexes(connection, (schema.dossiers, schema.ratings, schema.dossier_steps))
            report(0.02, "Đã tạo danh mục đơn vị, lĩnh vực, thủ tục, cán bộ")
            share = 0.75 if refresh else 0.9
            for k, (lo, hi) in enumerate(chunks):
                era = FORMER if former[lo] else CURRENT
                chunk_rng = np.random.default_rng([seed, 20, k])
                rating_target = int(round(rating_ratio[era] * per_day[lo:hi].sum()))
                dossiers, ratings, steps = _make_chunk(
                    contexts[era],
                    chunk_rng,
                    days[lo:hi],
                    counts[lo:hi],
                    counter_f[lo:hi],
                    written["dossiers"],
                    rating_target,
                    steps_from,
                    np.random.default_rng([seed, 30, k]),  # its own stream: the dossiers and ratings stay as they were
                )
                keys = [f"R{written['ratings'] + i + 1:010d}" for i in range(len(ratings))]
                ratings.insert(0, "source_key", _text(keys))
                written["dossiers"] += bulk_insert(connection, schema.dossiers, dossiers)
                written["ratings"] += bulk_insert(connection, schema.ratings, ratings)
                written["dossier_steps"] += bulk_insert(connection, schema.dossier_steps, steps) if len(steps) else 0
                if refresh:
                    kept["dossiers"].append(_as_stored(dossiers[list(FACT_COLUMNS["dossiers"])]))
                    kept["ratings"].append(_as_stored(ratings[list(FACT_COLUMNS["ratings"])]))
                report(
                    0.02 + share * (k + 1) / len(chunks),
                    f"Dữ liệu mẫu đến {pd.Timestamp(days[hi - 1]).strftime('%m/%Y')}: "
                    f"{fmt_int(written['dossiers'])} hồ sơ, {fmt_int(written['ratings'])} đánh giá",
                )
            written["surveys"] = write_demo_surveys(connection, seed)
            report(0.02 + share, "Đang tạo chỉ mục")
            for index in dropped:
                index.create(connection)
            if refresh:
                report(0.05 + share, "Đang tổng hợp số liệu theo ngày và tháng")
                fresh = tuple(Fresh(source, pd.concat(frames, ignore_index=True), None) for source, frames in kept.items() if frames)
                kept.clear()
                refresh_summaries_in(connection, None, today, fresh=fresh)
            _restore_pragmas(connection, pragmas)
            report(1.0, f"Xong: {fmt_int(written['dossiers'])} hồ sơ, {fmt_int(written['ratings'])} đánh giá")
    finally:
        _restore_mode(engine, mode)
    return written


def _as_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """Fact columns as the refresh reads them back from the database: timestamps in
    nanoseconds, flags as 0/1 integers, codes as plain strings."""
    out = {}
    for name, values in frame.items():
        if pd.api.types.is_datetime64_any_dtype(values.dtype):
            out[name] = values.astype("datetime64[ns]")
        elif pd.api.types.is_bool_dtype(values.dtype):
            out[name] = values.astype("int64")
        else:
            out[name] = values
    return pd.DataFrame(out)
