"""Import speed and the big-file hardening cases: python -m benchmarks.ingest [--rows 1000000]

1. Builds the small demo database (or copies --demo FILE) into a temporary folder.
2. Writes a 1-million-row dossiers CSV (UTF-8 with BOM, dd/mm/yyyy dates, Vietnamese
   headers) with valid unit / procedure / officer codes from that database, and imports it
   end to end (read, validate, stage, upsert, summary refresh, audit): prints rows/s.
3. Re-imports the same file: prints that nothing was added or updated.
4. A ~200 MB ratings CSV (1 million ratings with long comments): imports it, prints rows/s
   and the peak memory.
5. A CSV with 1 million duplicate rows: refused with a clear message, database unchanged.
6. The 200 MB file against a 150 MB limit: refused by the size check before reading.
7. With --history DB (e.g. benchmarks/out/city.sqlite, 10 M dossiers): a copy of it takes
   a week's export, the everyday case: new dossiers of the last week and open ones now
   finished. The refresh reads only what can count from the export's first month.
Target: at least 100,000 rows/s end to end on SQLite for the 1-million-row CSV.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
from sqlalchemy import and_, delete, func, or_, select

import demo
from data_access import ingest, refresh, schema
from data_access.db import make_engine
from ingest import FileRejected, load_mapping
from data_access.migrate import upgrade
from benchmarks.common import postgres_url

BOM = b"\xef\xbb\xbf"


def _fmt(values: pd.Series) -> pa.Array:
    return pa.array(values.dt.strftime("%d/%m/%Y %H:%M:%S").fillna(""), type=pa.string())


def _write_csv(path: Path, columns: dict[str, pa.Array]) -> None:
    table = pa.table(columns)
    with path.open("wb") as handle:
        handle.write(BOM)
        pacsv.write_csv(table, handle, pacsv.WriteOptions(quoting_style="needed"))


def dossiers_csv(
    engine, path: Path, rows: int, seed: int = 1, first: str = "2026-05-01", days: int = 180, prefix: str = "BENCH", open_share: float = 0.2
) -> None:
    """`rows` new dossiers received over `days` days from `first`, in the units in force
    over all of them, finished by the end of that time or not at all (`open_share` of them
    stay open: a fifth of a recent export, a few in a file of history)."""
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp(first), pd.Timestamp(first) + pd.Timedelta(days=days)
    u = schema.units.c
    in_force = and_(u.level != "city", or_(u.valid_from.is_(None), u.valid_from <= start.date()), or_(u.valid_to.is_(None), u.valid_to >= end.date()))
    with engine.connect() as c:
        units = [r[0] for r in c.execute(select(u.code).where(in_force))]
        procedures = c.execute(select(schema.procedures.c.code)).scalars().all()
        officers = pd.DataFrame(c.execute(select(schema.officers.c.code, schema.officers.c.unit_code)).all(), columns=["code", "unit"])
    unit = np.asarray(units, dtype=object)[rng.integers(0, len(units), rows)]
    first_officer = officers.groupby("unit")["code"].first()
    officer = pd.Series(unit).map(first_officer).fillna("")
    received = pd.Series(pd.to_datetime(start.value // 1000 + rng.integers(0, days * 86_400_000_000, rows), unit="us")).dt.floor("s")
    due = received + pd.to_timedelta(rng.integers(1, 20, rows), unit="D")
    finished = received + pd.to_timedelta(rng.integers(3600, 25 * 86400, rows), unit="s")
    done = (rng.random(rows) >= open_share) & (finished <= end).to_numpy()
    finished = finished.where(done)
    status = np.where(done, 10, 4)
    _write_csv(
        path,
        {
            "Mã hồ sơ": pa.array([f"{prefix}-{i:08d}" for i in range(rows)]),
            "Mã đơn vị": pa.array(unit.tolist(), type=pa.string()),
            "Mã thủ tục": pa.array(np.asarray(procedures, dtype=object)[rng.integers(0, len(procedures), rows)].tolist(), type=pa.string()),
            "Kênh nộp": pa.array(rng.integers(1, 4, rows)),
            "Ngày tiếp nhận": _fmt(received),
            "Ngày hẹn trả": _fmt(due),
            "Ngày hoàn thành": _fmt(finished),
            "Trạng thái": pa.array(status),
            "Số hóa": pa.array(np.where(rng.random(rows) < 0.6, "1", "0")),
            "Mã cán bộ": pa.array(officer.tolist(), type=pa.string()),
        },
    )


def ratings_csv(engine, path: Path, rows: int, comment_chars: int, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    with engine.connect() as c:
        units = [r[0] for r in c.execute(select(schema.units.c.code).where(schema.units.c.level != "city", schema.units.c.valid_to.is_(None)))]
    start = pd.Timestamp("2026-05-01").value // 1000
    rated = pd.Series(pd.to_datetime(start + rng.integers(0, 180 * 86_400_000_000, rows), unit="us")).dt.floor("s")
    words = "Cán bộ hướng dẫn tận tình, thủ tục nhanh gọn; phòng chờ sạch sẽ, có chỗ ngồi và nước uống. "
    comment = (words * (comment_chars // len(words) + 1))[:comment_chars]
    _write_csv(
        path,
        {
            "Mã đánh giá": pa.array([f"BR{i:09d}" for i in range(rows)]),
            "Mã đơn vị": pa.array(np.asarray(units, dtype=object)[rng.integers(0, len(units), rows)].tolist(), type=pa.string()),
            "Kênh đánh giá": pa.array(np.asarray(["kiosk", "tablet", "web", "app"], dtype=object)[rng.integers(0, 4, rows)].tolist(), type=pa.string()),
            "Mức độ hài lòng": pa.array(
                np.asarray(["Rất hài lòng", "Hài lòng", "Bình thường", "Không hài lòng"], dtype=object)[
                    rng.choice(4, rows, p=[0.7, 0.27, 0.02, 0.01])
                ].tolist(),
                type=pa.string(),
            ),
            "Thời gian đánh giá": _fmt(rated),
            "Ý kiến": pa.array([comment] * rows, type=pa.string()),
        },
    )


def weekly_csv(engine, path: Path, new_rows: int, seed: int = 3) -> int:
    """A week's export: `new_rows` dossiers received in the week after the latest one, and
    every open dossier of the week before finished (on time or late). Returns the rows."""
    rng = np.random.default_rng(seed)
    d = schema.dossiers.c
    with engine.connect() as c:
        latest = pd.Timestamp(c.execute(select(func.max(d.received_at))).scalar())
        finishing = pd.DataFrame(
            c.execute(
                select(d.code, d.unit_code, d.procedure_code, d.channel, d.received_at, d.due_at, d.officer_code).where(
                    d.finished_at.is_(None), d.status == 4, d.received_at >= latest - pd.Timedelta(days=7)
                )
            ).all(),
            columns=["code", "unit", "procedure", "channel", "received", "due", "officer"],
        )
        units = c.execute(select(schema.units.c.code).where(schema.units.c.level != "city", schema.units.c.valid_to.is_(None))).scalars().all()
        procedures = c.execute(select(schema.procedures.c.code)).scalars().all()
    # The week after the latest dossier, but never later than now: the import refuses dates in
    # the future (a demo that ends with last month has fewer than six days left).
    now = pd.Timestamp.now().floor("s")
    span = int(min(6 * 86_400, max((now - latest).total_seconds() - 3_600, 120)))
    received = latest + pd.to_timedelta(rng.integers(60, span, new_rows), unit="s")
    new = pd.DataFrame(
        {
            "code": [f"WEEK-{i:08d}" for i in range(new_rows)],
            "unit": np.asarray(units, dtype=object)[rng.integers(0, len(units), new_rows)],
            "procedure": np.asarray(procedures, dtype=object)[rng.integers(0, len(procedures), new_rows)],
            "channel": rng.integers(1, 4, new_rows),
            "received": received,
            "due": received + pd.to_timedelta(rng.integers(1, 15, new_rows), unit="D"),
            "officer": None,
            "finished": pd.NaT,
            "status": 4,
        }
    )
    finished = pd.to_datetime(finishing["received"]) + pd.to_timedelta(rng.integers(3600, 9 * 86_400, len(finishing)), unit="s")
    finishing = finishing.assign(finished=finished.clip(upper=min(latest + pd.Timedelta(days=6), now)), status=10)
    export = pd.concat([finishing, new], ignore_index=True)
    _write_csv(
        path,
        {
            "Mã hồ sơ": pa.array(export["code"].tolist(), type=pa.string()),
            "Mã đơn vị": pa.array(export["unit"].tolist(), type=pa.string()),
            "Mã thủ tục": pa.array(export["procedure"].tolist(), type=pa.string()),
            "Kênh nộp": pa.array(export["channel"].astype(int)),
            "Ngày tiếp nhận": _fmt(pd.to_datetime(export["received"])),
            "Ngày hẹn trả": _fmt(pd.to_datetime(export["due"])),
            "Ngày hoàn thành": _fmt(pd.to_datetime(export["finished"])),
            "Trạng thái": pa.array(export["status"].astype(int)),
            "Mã cán bộ": pa.array(export["officer"].tolist(), type=pa.string()),
        },
    )
    return len(export)


def fingerprint(engine) -> tuple:
    """Row counts of every table and a checksum of the fact tables."""
    counts = {}
    digest = hashlib.sha256()
    with engine.connect() as c:
        for table in schema.metadata.sorted_tables:
            counts[table.name] = c.execute(select(func.count()).select_from(table)).scalar()
        for table in (schema.ratings, schema.dossiers):
            for row in c.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    return counts, digest.hexdigest()


def timed_import(engine, source, path, mapping=None) -> float:
    started, cpu = time.perf_counter(), time.process_time()
    marks = []

    def progress(fraction, message):
        marks.append((time.perf_counter() - started, message.split("…")[0][:40]))

    checked, result = ingest.import_file(engine, source, path, path.name, actor="benchmark", mapping=mapping, lang="en", progress=progress)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if result is None:
        raise SystemExit(checked.message)
    print(f"   {result.message('en')}")
    steps, previous = {}, 0.0
    for at, label in marks:
        steps[label] = steps.get(label, 0.0) + at - previous
        previous = at
    print("   steps (wall s, each ending at the label): " + ", ".join(f"{label} {value:.1f}" for label, value in steps.items() if value >= 0.05))
    print(f"   end to end: {seconds:,.1f} s wall ({cpu:,.1f} s CPU) -> {checked.rows / seconds:,.0f} rows/s wall, {checked.rows / cpu:,.0f} rows/s of CPU")
    return seconds


def other_steps(engine, folder: Path, args) -> None:
    """Steps 3-5: the big ratings file, a file of duplicates, the size limit."""
    print("3. ratings: a ~200 MB CSV")
    ratings_path = folder / "ratings.csv"
    ratings_csv(engine, ratings_path, args.rows, comment_chars=100)
    print(f"   file: {ratings_path.stat().st_size / 2**20:,.0f} MB")
    timed_import(engine, "ratings", ratings_path)
    print(f"   peak memory so far: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")

    print("4. a CSV with 1,000,000 duplicate rows")
    duplicate_path = folder / "duplicates.csv"
    with duplicate_path.open("w", encoding="utf-8-sig") as handle:
        handle.write("Mã hồ sơ,Mã đơn vị,Mã thủ tục,Kênh nộp,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái\n")
        handle.write("DUP-1,760,H.DD.01,1,01/10/2026 08:00,10/10/2026 17:00,4\n" * args.rows)
    before = fingerprint(engine)
    started = time.perf_counter()
    checked = ingest.check(engine, "dossiers", duplicate_path, duplicate_path.name, lang="en")
    print(f"   {time.perf_counter() - started:,.1f} s, ok={checked.ok}: {checked.message[:300]}")
    print(f"   problems listed {len(checked.problems):,} of {checked.problem_count:,}; rejected rows offered {len(checked.rejected_rows):,}")
    print(f"   database unchanged: {fingerprint(engine) == before}")

    print("5. the 200 MB file against a 150 MB limit")
    mapping = load_mapping()
    small = replace(mapping, limits=replace(mapping.limits, max_file_mb=150))
    try:
        ingest.check(engine, "ratings", ratings_path, ratings_path.name, mapping=small, lang="en")
        print("   NOT refused")
    except FileRejected as error:
        print(f"   refused: {error}")
    engine.dispose()


FACT_TABLES = (
    "dossier_steps",
    "step_monthly",
    "step_reminders",
    "ratings",
    "rating_daily",
    "rating_monthly",
    "dossiers",
    "dossier_daily",
    "dossier_monthly",
    "backlog_daily",
)


def history_load(demo_path: Path, folder: Path, millions: float) -> None:
    """Step 8: a city's five-year history loaded from files into a database that holds the
    demo's units and lists but no facts: `millions` million dossiers received from 01/11/2021
    to 31/10/2026, in thirty two-month files (none straddles the reform of 1 July 2025, so
    each names the units in force then), imported one after another as the command line does."""
    db = folder / "history_load.sqlite"
    shutil.copy(demo_path, db)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    with engine.begin() as c:
        for name in FACT_TABLES:
            c.execute(delete(schema.metadata.tables[name]))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM")
    files, rows = 30, int(millions * 1_000_000 / 30)
    total_seconds, total_rows = 0.0, 0
    for k in range(files):
        first = pd.Timestamp("2021-11-01") + pd.DateOffset(months=2 * k)
        days = (first + pd.DateOffset(months=2) - first).days
        path = folder / f"history_{k:02d}.csv"
        # Nearly all of a past period's dossiers are finished: 0.3 % stay open, as in the demo.
        dossiers_csv(engine, path, rows, seed=100 + k, first=str(first.date()), days=days, prefix=f"H{k:02d}", open_share=0.003)
        print(f"   file {k + 1}/{files}: {first:%m/%Y}, {rows:,} dossiers, {path.stat().st_size / 2**20:,.0f} MB")
        total_seconds += timed_import(engine, "dossiers", path)
        total_rows += rows
        path.unlink()
        print(
            f"   so far: {total_rows:,} dossiers in {total_seconds:,.0f} s of imports -> {total_rows / total_seconds:,.0f} rows/s; file {db.stat().st_size / 2**30:,.1f} GB"
        )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--demo", help="an existing small-demo SQLite file to copy (default: build one)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--history", help="also import a week's export into a copy of this SQLite database (step 7)")
    parser.add_argument("--week-rows", type=int, default=20_000, help="new dossiers in the week's export (default 20,000)")
    parser.add_argument("--dossiers-only", action="store_true", help="only steps 1, 2 and 7 (the dossier imports)")
    parser.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql"], help="postgresql: steps 1, 2 and 7 on a temporary server")
    parser.add_argument("--history-load", type=float, metavar="MILLIONS", help="only step 8: a five-year history of MILLIONS million dossiers from files")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ingest_bench_"))
    try:
        db = folder / "demo.sqlite"
        if args.demo:
            shutil.copy(args.demo, db)
        else:
            print("building the small demo database…")
            engine = make_engine(f"sqlite:///{db}")
            upgrade(engine)
            demo.generate(engine, size="small", seed=7)
            refresh.refresh_summaries(engine)
            engine.dispose()
        if args.history_load:
            print(f"8. a five-year history of {args.history_load:g} million dossiers from files")
            history_load(db, folder, args.history_load)
        elif args.backend == "postgresql":
            with postgres_url("small", seed=7) as url:
                dossier_steps(make_engine(url), folder, args, week_into=make_engine(url))
        else:
            engine = make_engine(f"sqlite:///{db}")
            upgrade(engine)
            dossier_steps(engine, folder, args, week_into=_history_copy(args.history, folder) if args.history else None)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def _history_copy(history: str, folder: Path):
    copy = folder / "history.sqlite"
    shutil.copy(history, copy)
    engine = make_engine(f"sqlite:///{copy}")
    upgrade(engine)
    return engine


def dossier_steps(engine, folder: Path, args, week_into=None) -> None:
    """Steps 1, 2 (and 3-6 unless --dossiers-only) on `engine`; step 7 on `week_into`."""
    print(f"1. dossiers: {args.rows:,}-row CSV")
    path = folder / "dossiers.csv"
    dossiers_csv(engine, path, args.rows)
    print(f"   file: {path.stat().st_size / 2**20:,.0f} MB")
    timed_import(engine, "dossiers", path)

    print("2. the same file again")
    before = fingerprint(engine)
    checked, result = ingest.import_file(engine, "dossiers", path, path.name, actor="benchmark", lang="en")
    print(f"   {result.message('en')}")
    after = fingerprint(engine)
    same = before[1] == after[1] and {k: v for k, v in before[0].items() if k != "audit_log"} == {k: v for k, v in after[0].items() if k != "audit_log"}
    print(f"   facts and summaries unchanged: {same} (audit rows {before[0]['audit_log']} -> {after[0]['audit_log']})")

    if args.dossiers_only or engine.dialect.name != "sqlite":
        engine.dispose()
    else:
        other_steps(engine, folder, args)

    if week_into is not None:
        print(f"7. a week's export into {week_into.url.database or week_into.url}")
        with week_into.connect() as c:
            held = c.execute(select(func.count()).select_from(schema.dossiers)).scalar()
        week_path = folder / "week.csv"
        rows = weekly_csv(week_into, week_path, args.week_rows)
        print(f"   {held:,} dossiers held; export {rows:,} rows")
        timed_import(week_into, "dossiers", week_path)
        week_into.dispose()


if __name__ == "__main__":
    main()
