"""Realistic demo data: Ho Chi Minh City's units, ratings and dossiers.

    python -m demo (or python -m data_access.demo) [--size small|default|city] [--seed 42]
                               [--start 2021-01-01] [--end YYYY-MM-DD] [--url DB_URL] [--migrate]
                               [--step-months N|all]

`generate(engine, ...)` writes dimensions (units, fields, procedures, officers, targets)
and facts (dossiers, ratings) into an empty database at the current schema. It does not
refresh summary tables (data_access/refresh.py does, afterwards) and leaves unit_lineage
empty.

Model, in short (every draw from a seeded numpy Generator; vectorised, chunked by months):
- Geography: the 22 districts / 273 wards of HCMC (GSO codes, centroids) from the
  `vietnamadminunits` package, plus 15 city departments ("79.STP"...). Ward volume weights
  are lognormal (two orders of magnitude; tiny communes in Cần Giờ); districts' one-stop
  shops and departments receive dossiers too.
- Calendar: counters work Monday-Friday 7:30-11:30 and 13:00-17:00 and Saturday morning;
  closed on Sundays and public holidays (Tết week, 1/1, 30/4, 1/5, 2/9). Online dossiers
  arrive at any hour, any day. Volume: busier weeks before Tết, near zero in Tết week,
  the HCMC lockdown of July-September 2021, mild seasonality, +6 %/year growth.
- `size` fixes the total number of dossiers (and about as many ratings) over the range:
  small 20k, default 1M, city 10M.
- Satisfaction per rating channel is calibrated to HCMC's published 2019 figures
  (kiosk/tablet 99.24 / 0.59 / 0.17 %, web 94.95 / 4.67 / 0.37 %; the web figures sum to
  99.99 %, the remaining 0.01 % is added to "dissatisfied", i.e. 0.38 %). App and SMS
  ratings use the web calibration. Weak wards, incidents, late dossiers and repeated
  supplement requests raise the odds of neutral/dissatisfied; within each channel class
  the odds are renormalised per chunk so city-level shares keep the published figures.
- Processing steps (demo/steps.py) for every dossier of the small and city
  demos; the default demo gives them to the last 3 months' dossiers and every open one
  (its first start stays within budget); `--step-months` changes that.
- Truth for tests: `incidents(seed, start, end)` lists the weak wards and the incidents
  (ward, months, kind) that `generate` plants with the same seed and range.
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
from demo.model import DEFAULT_START, DemoDataError, MAX_CHUNK_DOSSIERS, SIZES
from demo.plan import _plan, incidents
from demo.surveys import write_demo_surveys

# --- orchestration ----------------------------------------------------------------------


def _chunks(month_of_day: np.ndarray, per_day: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Day ranges [lo, hi) made of whole months, each about `limit` dossiers at most."""
    boundaries = np.flatnonzero(np.diff(month_of_day)) + 1
    month_starts = np.concatenate([[0], boundaries, [len(month_of_day)]])
    chunks, lo, acc = [], 0, 0
    for a, b in zip(month_starts[:-1], month_starts[1:]):
        volume = int(per_day[a:b].sum())
        if acc and acc + volume > limit:
            chunks.append((lo, a))
            lo, acc = a, 0
        acc += volume
    chunks.append((lo, len(month_of_day)))
    return chunks


# Published survey figures (see docs/surveys.md): each row cites where it comes from. Links
# are left empty rather than guessed.


STEP_MONTHS = {"small": None, "default": 3, "city": None}


def steps_since(size: str, end: date, months: int | None | str = "size"):
    """The first received time with steps for every dossier (None: all dossiers).
    `months`: "size" for the size's default (STEP_MONTHS), None for all dossiers."""
    months = STEP_MONTHS.get(size) if months == "size" else months
    if months is None:
        return None
    first = (pd.Timestamp(end).to_period("M") - (months - 1)).start_time
    return np.datetime64(first, "us")


def generate(engine: Engine, size: str = "default", seed: int = 42, start: date = DEFAULT_START,
             end: date | None = None, progress=None, step_months: int | None | str = "size") -> dict[str, int]:
    """Fill an empty database (already at the current schema) with demo data; row counts per table.

    Writes units, fields, procedures, officers, targets, dossiers and ratings in one
    transaction; does not refresh summary tables. Refuses a database that already has units.
    `progress(fraction, message)` is called as the work advances.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {', '.join(SIZES)}, not {size!r}")
    end = end or default_end()
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    report = progress or (lambda fraction, message: None)
    report(0.0, "Chuẩn bị dữ liệu mẫu")
    n_dossiers = SIZES[size]

    plan = _plan(seed)
    anomalies = incidents(seed, start, end)
    rng = np.random.default_rng([seed, 10])
    dims = _dimension_frames(plan, start, end, rng)
    ctx = _context(plan, dims, anomalies, start, end)

    days = np.arange(np.datetime64(start, "D"), np.datetime64(end, "D") + 1)
    counter_f, online_f = _day_factors(days, ctx.holidays, rng)
    online_share = _by_year(ONLINE_SHARE, days)
    expected = np.stack([counter_f * (1 - online_share) * 0.97, online_f * online_share, counter_f * (1 - online_share) * 0.03], 1)
    counts = rng.multinomial(n_dossiers, (expected / expected.sum()).ravel()).reshape(expected.shape)
    per_day = counts.sum(1)
    chunks = _chunks(days.astype("datetime64[M]").astype(np.int64), per_day, MAX_CHUNK_DOSSIERS)
    steps_from = steps_since(size, end, step_months)

    written = {}
    with engine.begin() as connection:
        missing = [name for name in ("units", "dossiers", "ratings") if not inspect(connection).has_table(name)]
        if missing:
            raise DemoDataError(
                f"table(s) {', '.join(missing)} missing: bring the database to the current schema first "
                "(python -m data_access.migrate URL, or --migrate)"
            )
        existing = connection.execute(select(func.count()).select_from(schema.units)).scalar_one()
        if existing:
            raise DemoDataError(
                f"the database already has {existing} units; demo data is only written into an empty database"
            )
        for name in ("units", "fields", "procedures", "officers", "targets"):
            frame = dims[name]
            if name == "officers":
                # Reminders in the demo go nowhere: the .invalid domain never resolves.
                frame = frame[["code", "full_name", "unit_code", "title"]].assign(email=frame["code"].str.lower() + "@demo.invalid")
            written[name] = bulk_insert(connection, schema.metadata.tables[name], frame)
        written["dossiers"] = written["ratings"] = written["dossier_steps"] = 0
        # Secondary indexes are rebuilt once at the end: far faster than updating them row by row.
        dropped = drop_secondary_indexes(connection, (schema.dossiers, schema.ratings, schema.dossier_steps))
        report(0.02, "Đã tạo danh mục đơn vị, lĩnh vực, thủ tục, cán bộ")
        for k, (lo, hi) in enumerate(chunks):
            chunk_rng = np.random.default_rng([seed, 20, k])
            rating_target = int(round(n_dossiers * per_day[lo:hi].sum() / max(per_day.sum(), 1)))
            dossiers, ratings, steps = _make_chunk(
                ctx, chunk_rng, days[lo:hi], counts[lo:hi], counter_f[lo:hi], written["dossiers"], rating_target, steps_from,
                np.random.default_rng([seed, 30, k]),  # its own stream: the dossiers and ratings stay as they were
            )
            keys = [f"R{written['ratings'] + i + 1:010d}" for i in range(len(ratings))]
            ratings.insert(0, "source_key", _text(keys))
            written["dossiers"] += bulk_insert(connection, schema.dossiers, dossiers)
            written["ratings"] += bulk_insert(connection, schema.ratings, ratings)
            written["dossier_steps"] += bulk_insert(connection, schema.dossier_steps, steps) if len(steps) else 0
            report(0.02 + 0.9 * (k + 1) / len(chunks),
                   f"Dữ liệu mẫu đến {pd.Timestamp(days[hi - 1]).strftime('%m/%Y')}: "
                   f"{fmt_int(written['dossiers'])} hồ sơ, {fmt_int(written['ratings'])} đánh giá")
        written["surveys"] = write_demo_surveys(connection, seed)
        report(0.99, "Đang tạo chỉ mục")
        for index in dropped:
            index.create(connection)
        report(1.0, f"Xong: {fmt_int(written['dossiers'])} hồ sơ, {fmt_int(written['ratings'])} đánh giá")
    written["unit_lineage"] = 0
    return written
