"""Load a city's real exports: `python -m data_access.ingest ratings|dossiers|steps|surveys FILE`.

    python -m data_access.ingest ratings|dossiers|steps|surveys FILE [--url DB_URL] [--check]
        [--three-level] [--mapping MAPPING.toml] [--rejected REJECTED.csv]
        [--actor NAME] [--lang vi|en] [--max-mb MB]

Exit codes: 0 imported (or nothing new), 1 file refused (nothing written; the report says
why, row by row), 2 usage error (file not found, bad arguments), 3 database error (the
transaction was rolled back, nothing written).

Public API (the Data admin page pages/admin/data.py uses the same functions):
- `check(engine, source, file, name, ...) -> Checked`: read and validate, no writes;
  raises `FileRejected` when the file as a whole cannot be read.
- `write(engine, checked, actor, ...) -> ImportResult`: ONE transaction: a temporary
  staging table (bulk_insert), an upsert into the fact table by the source's own key
  (ratings.source_key, dossiers.code) that inserts new rows and updates changed ones,
  the summaries moved by the difference the file's rows make (their new values counted
  from memory, less their stored versions read before the upsert: no other fact is
  read; data_access/refresh.py), and the audit row. Whole or nothing.
- `import_file(...)`: check + write.
- `freshness(engine) -> DataFrame`: the latest record per source and unit.
- `record_audit(connection_or_engine, actor, action, what, details)`: one audit row
  (data_access/audit.py, re-exported here; imports write it in their transaction, exports
  from their download buttons).
Policies and the column mapping: docs/ingest.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

import pandas as pd
from sqlalchemy import (
    Column,
    MetaData,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, OperationalError

from data_access import schema
from data_access.audit import audit_entries, record_audit  # noqa: F401 - part of this module's API
from data_access.bulk import bulk_insert, drop_secondary_indexes
from data_access.command_line import os_user, print_database_error, print_refusal
from data_access.db import take_write_lock
from ingest import (
    SOURCES,
    Checked,
    FileRejected,
    Mapping,
    Options,
    Reference,
    load_mapping,
    map_headers,
    read_file,
    validate,
)
from data_access.refresh import fresh_facts, import_moves, refresh_after_import, refresh_summaries_in, serialise_refresh, stored_versions
from ingest.safe_csv import write_csv
from domain import vocab
from i18n.format import fmt_int, fmt_num
from i18n.text import pick

__all__ = [
    "SOURCES",
    "Checked",
    "FileRejected",
    "ImportResult",
    "check",
    "freshness",
    "import_file",
    "load_mapping",
    "main",
    "record_audit",
    "write",
]

Progress = Callable[[float, str], None]
FACTS = {"ratings": schema.ratings, "dossiers": schema.dossiers}
KEYS = {"ratings": "source_key", "dossiers": "code"}
# The columns whose old and new values decide which summary days must be recomputed.
SUMMARY_DATES = {"ratings": ("rated_at",), "dossiers": ("received_at", "finished_at")}
STAGE_CHUNK = 100_000
# SQLite: an import adding at least this many rows, and at least as many as the table holds,
# drops the fact table's secondary indexes and builds them again after (measured on 1 M
# dossiers into 1 M: 9 s instead of 12 s; adding 1 M to 2 M is about even).
REBUILD_INDEXES_FROM_ROWS = 200_000
EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_DATABASE = 0, 1, 2, 3


def _quiet(_fraction: float, _message: str) -> None:
    pass


# --- reading and checking --------------------------------------------------------------------
def load_reference(connection_or_engine) -> Reference:
    """The unit, procedure (-> field) and officer codes a file may refer to, and each unit's province."""

    def read(connection: Connection) -> Reference:
        units = {row[0] for row in connection.execute(select(schema.units.c.code))}
        procedures = dict(connection.execute(select(schema.procedures.c.code, schema.procedures.c.field_code)).all())
        officers = {row[0] for row in connection.execute(select(schema.officers.c.code))}
        parents = dict(connection.execute(select(schema.units.c.code, schema.units.c.parent_code)).all())
        u = schema.units.c
        versions = pd.DataFrame(
            connection.execute(select(u.code, u.gso_code, u.valid_from, u.valid_to)).all(), columns=["code", "gso_code", "valid_from", "valid_to"]
        )
        return Reference(units, procedures, officers, {code: _top(code, parents) for code in parents}, unit_versions=versions)

    if isinstance(connection_or_engine, Engine):
        with connection_or_engine.connect() as connection:
            return read(connection)
    return read(connection_or_engine)


def _top(code: str, parents: dict) -> str:
    """The unit at the top of a unit's tree: the province (city) it belongs to."""
    seen = set()
    while parents.get(code) is not None and code not in seen:
        seen.add(code)
        code = parents[code]
    return code


def check(
    engine: Engine,
    source: str,
    file,
    name: str | None = None,
    *,
    options: Options | None = None,
    mapping: Mapping | None = None,
    lang: str = "vi",
    progress: Progress | None = None,
) -> Checked:
    """Read and validate a file (path, bytes or binary file object); nothing is written.

    Raises FileRejected when the file as a whole cannot be read (size, encoding, format,
    formulas, missing columns); otherwise returns a Checked whose `ok` says whether every
    row passed and whose `problems` / `rejected_rows` say what did not."""
    if source not in SOURCES:
        raise ValueError(f"source must be one of {', '.join(SOURCES)}, not {source!r}")
    progress = progress or _quiet
    mapping = mapping or load_mapping()
    if name is None:
        name = Path(file).name if isinstance(file, (str, os.PathLike)) else (getattr(file, "name", None) or "upload")
    raw = read_file(file, name, mapping, lang, progress)
    progress(0.4, pick(lang, f"Đang kiểm tra {fmt_int(len(raw.frame), 'vi')} dòng…", f"Checking {len(raw.frame):,} rows…"))
    reference = load_reference(engine)
    if source == "steps":
        reference.dossiers = _known_dossiers(engine, mapping.sources[source], raw, name, lang)
    checked = validate(mapping.sources[source], raw, reference, mapping, options, name, lang)
    progress(0.5, checked.message)
    return checked


def _known_dossiers(engine: Engine, spec, raw, name: str, lang: str) -> dict[str, str]:
    """The file's dossier codes that the database holds, with their unit (read by chunks:
    a steps file names far fewer dossiers than the table holds)."""
    found, _ = map_headers(spec, raw.headers, name, lang)
    codes = [c for c in pd.unique(raw.frame[found["dossier_code"]].fillna("").str.strip()) if c]
    d = schema.dossiers.c
    known: dict[str, str] = {}
    with engine.connect() as connection:
        for start in range(0, len(codes), 900):
            known.update(connection.execute(select(d.code, d.unit_code).where(d.code.in_(codes[start : start + 900]))).all())
    return known


def _audit_import(connection: Connection, actor: str, result: ImportResult, **extra) -> None:
    """One audit row per import, in the import's transaction: "<source>: <file>, <n> rows"
    (the Data page's log re-words it) with the result and `extra` as details."""
    details = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(result).items()}
    record_audit(connection, actor, "import", f"{result.source}: {result.name}, {result.rows:,} rows", {**details, **extra})


def _write_steps(engine: Engine, checked: Checked, actor: str, lang: str, progress: Progress, today: date | None) -> ImportResult:
    """Replace every step of the file's dossiers by the file's steps, refresh the step
    summary from the earliest month touched, write the audit row: one transaction."""
    started = time.perf_counter()
    frame = checked.frame
    table = schema.dossier_steps
    columns = [c.name for c in table.columns if c.name in frame.columns]
    frame = frame[columns]
    codes = list(pd.unique(frame["dossier_code"]))
    st = table.c
    with engine.begin() as connection:
        earliest = None
        removed = 0
        for start in range(0, len(codes), 900):
            chunk = codes[start : start + 900]
            old_first = connection.execute(select(func.min(st.finished_at)).where(st.dossier_code.in_(chunk))).scalar()
            if old_first is not None:
                earliest = min(earliest, _as_moment(old_first)) if earliest else _as_moment(old_first)
            removed += connection.execute(schema.dossier_steps.delete().where(st.dossier_code.in_(chunk))).rowcount or 0
        progress(0.7, pick(lang, f"Đang ghi {fmt_int(len(frame), 'vi')} bước…", f"Writing {len(frame):,} steps…"))
        bulk_insert(connection, table, frame)
        new_first = frame["finished_at"].min() if "finished_at" in frame else None
        if pd.notna(new_first):
            earliest = min(earliest, _as_moment(new_first)) if earliest else _as_moment(new_first)
        since = earliest.date() if earliest else None
        refresh_summaries_in(connection, since, today, sources=("steps",))
        result = ImportResult("steps", checked.name, len(frame), len(frame), 0, 0, since, time.perf_counter() - started)
        _audit_import(connection, actor, result, dossiers=len(codes), steps_replaced=removed, columns=checked.mapping)
    result.seconds = time.perf_counter() - started
    progress(1.0, result.message(lang))
    return result


# --- writing -----------------------------------------------------------------------------------
@dataclass
class ImportResult:
    source: str
    name: str
    rows: int
    added: int
    updated: int
    unchanged: int
    refreshed_from: date | None
    seconds: float

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    def message(self, lang: str = "vi") -> str:
        if self.source == "surveys":  # no summaries behind survey figures
            return pick(
                lang,
                f"Đã nhập {self.name}: {fmt_int(self.rows, 'vi')} số liệu khảo sát, thêm mới {fmt_int(self.added, 'vi')}, cập nhật {fmt_int(self.updated, 'vi')}, không đổi {fmt_int(self.unchanged, 'vi')}.",
                f"Imported {self.name}: {self.rows:,} survey figures, {self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged.",
            )
        since = self.refreshed_from.strftime("%d/%m/%Y") if self.refreshed_from else None
        refreshed_vi = f" Bảng tổng hợp đã cập nhật từ {since}." if since else " Không có gì thay đổi, không cần cập nhật bảng tổng hợp."
        refreshed_en = f" Summaries refreshed from {since}." if since else " Nothing changed, so no summary refresh was needed."
        return pick(
            lang,
            f"Đã nhập {self.name}: {fmt_int(self.rows, 'vi')} dòng, thêm mới {fmt_int(self.added, 'vi')}, cập nhật {fmt_int(self.updated, 'vi')}, không đổi {fmt_int(self.unchanged, 'vi')} ({fmt_num(self.seconds, 'vi', 1)} giây).{refreshed_vi}",
            f"Imported {self.name}: {self.rows:,} rows, {self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged ({self.seconds:,.1f} s).{refreshed_en}",
        )


def _stage_table(source: str, columns: list[str]) -> Table:
    """A temporary table with the fact table's column types (no constraints, no defaults)."""
    fact = FACTS[source]
    return Table(
        f"ingest_stage_{source}",
        MetaData(),
        *[Column(name, fact.c[name].type) for name in columns],
        prefixes=["TEMPORARY"],
        postgresql_on_commit="DROP",
    )


def _insert_function(connection: Connection):
    if connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    elif connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:  # pragma: no cover
        raise NotImplementedError(f"ingest supports SQLite and PostgreSQL, not {connection.dialect.name}")
    return dialect_insert


def _as_moment(value) -> datetime | None:
    if value is None:
        return None
    return pd.Timestamp(value).to_pydatetime()


def write(
    engine: Engine,
    checked: Checked,
    actor: str,
    *,
    lang: str = "vi",
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportResult:
    """Write a checked file in one transaction (see the module docstring)."""
    if not checked.ok or checked.frame is None:
        raise FileRejected(checked.message)
    progress = progress or _quiet
    if checked.source == "steps":
        return _write_steps(engine, checked, actor, lang, progress, today)
    started = time.perf_counter()
    if checked.source == "surveys":
        return _write_surveys(engine, checked, actor, lang, progress, started)
    source, frame = checked.source, checked.frame
    fact, key = FACTS[source], KEYS[source]
    if source == "dossiers":
        frame = _closing_times_from_file(frame)
    columns = [c.name for c in fact.columns if c.name in frame.columns]
    frame = frame[columns]
    stage = _stage_table(source, columns)
    compared = [c for c in columns if c != key]
    with engine.begin() as connection:
        take_write_lock(connection)  # a second import waits for the first instead of failing
        # PostgreSQL: the summaries move by the difference between the file's rows and their
        # stored versions, read below: a second import waits until this one has committed.
        serialise_refresh(connection)
        stage.drop(connection, checkfirst=True)
        stage.create(connection)
        for start in range(0, len(frame), STAGE_CHUNK):
            bulk_insert(connection, stage, frame.iloc[start : start + STAGE_CHUNK])
            done = min(start + STAGE_CHUNK, len(frame))
            progress(
                0.5 + 0.25 * done / len(frame),
                pick(lang, f"Đang ghi… {fmt_int(done, 'vi')} / {fmt_int(len(frame), 'vi')} dòng", f"Writing… {done:,} / {len(frame):,} rows"),
            )

        if source == "dossiers":
            frame = _record_closing_times(connection, stage, frame, today)
        s, f = stage.c, fact.c
        matched = f[key] == s[key]
        differs = or_(*[f[name].is_distinct_from(s[name]) for name in compared]) if compared else literal(False)
        is_new = not_(exists().where(matched))
        is_changed = exists().where(and_(matched, differs))
        # Counts and the earliest summary day touched, old and new values, in one pass.
        joined = stage.outerjoin(fact, matched)
        found = f[key].is_not(None)
        changed = and_(found, differs)
        measures = [
            func.count().label("rows"),
            func.sum(case((f[key].is_(None), 1), else_=0)).label("added"),
            func.sum(case((changed, 1), else_=0)).label("updated"),
        ]
        for name in SUMMARY_DATES[source]:
            if name in columns:
                measures.append(func.min(case((or_(f[key].is_(None), changed), s[name]))).label(f"new_{name}"))
                measures.append(func.min(case((changed, f[name]))).label(f"old_{name}"))
        counts = connection.execute(select(*measures).select_from(joined)).mappings().one()
        added, updated = int(counts["added"] or 0), int(counts["updated"] or 0)
        progress(0.8, pick(lang, f"Thêm {fmt_int(added, 'vi')}, cập nhật {fmt_int(updated, 'vi')}…", f"Adding {added:,}, updating {updated:,}…"))

        fresh = moves = None
        if added or updated:
            # The refresh counts the file's rows from memory; what they keep from the table is
            # read now, before the upsert makes every key an existing one.
            fresh = fresh_facts(connection, fact, frame, stage, key, existed=added < len(frame))
            before = stored_versions(connection, fact, stage, key) if added < len(frame) else fresh.rows.iloc[:0]
            insert_fn = _insert_function(connection)
            names, selected = list(columns), [s[name] for name in columns]
            for column in fact.columns:  # defaults for new rows; an update keeps them
                if column.name not in columns and column.default is not None and column.default.is_scalar:
                    names.append(column.name)
                    selected.append(literal(column.default.arg, column.type).label(column.name))
            # WHERE also settles SQLite's INSERT ... SELECT ... ON CONFLICT parsing ambiguity.
            rows = select(*selected).where(or_(is_new, is_changed) if compared else is_new)
            statement = insert_fn(fact).from_select(names, rows)
            # fresh.last_old_id: the rows held, SQLite only (on PostgreSQL a dropped index would
            # lock readers out for the whole import).
            rebuild = fresh.last_old_id is not None and added >= max(REBUILD_INDEXES_FROM_ROWS, fresh.last_old_id)
            dropped = drop_secondary_indexes(connection, [fact]) if rebuild else []
            if added == len(frame):
                # Every key is new, and stays so: this transaction has held the write lock
                # (PostgreSQL: the refresh lock) since the count. A plain append, with no probe
                # or conflict clause per row (1 M rows: 1.9 s instead of 2.8 s); the unique key
                # still refuses a duplicate.
                statement = fact.insert().from_select(names, select(*selected))
            elif compared:
                statement = statement.on_conflict_do_update(
                    index_elements=[fact.c[key]],
                    set_={name: statement.excluded[name] for name in compared},
                    where=or_(*[fact.c[name].is_distinct_from(statement.excluded[name]) for name in compared]),
                )
            else:
                statement = statement.on_conflict_do_nothing(index_elements=[fact.c[key]])
            # The summary moves are counted from memory (pandas, no database) on a second
            # thread while SQLite writes the rows and builds the indexes: sqlite3 and psycopg
            # let go of the GIL while the database works (1 M rows: about 3 s saved).
            with ThreadPoolExecutor(max_workers=1) as pool:
                counting = pool.submit(import_moves, fresh, before)
                connection.execute(statement)
                if dropped:
                    progress(0.83, pick(lang, "Đang dựng lại chỉ mục…", "Rebuilding indexes…"))
                for index in dropped:
                    index.create(connection)
                moves = counting.result()

        moments = [_as_moment(v) for k, v in counts.items() if k.startswith(("new_", "old_")) and v is not None]
        since = min(moments).date() if moments and (added or updated) else None
        if since is not None:
            progress(0.85, pick(lang, f"Đang cập nhật bảng tổng hợp từ {since:%d/%m/%Y}…", f"Refreshing summaries from {since:%d/%m/%Y}…"))
            refresh_after_import(connection, fresh, before, since, today, moves)  # may read the stage: drop it after
        stage.drop(connection)
        seconds = time.perf_counter() - started
        result = ImportResult(source, checked.name, len(frame), added, updated, len(frame) - added - updated, since, seconds)
        _audit_import(connection, actor, result, file_kind=checked.raw.kind, encoding=checked.raw.encoding_note, columns=checked.mapping)
    result.seconds = time.perf_counter() - started
    progress(1.0, result.message(lang))
    return result


SURVEY_COLUMNS = [c.name for c in schema.surveys.columns if c.name != "id"]


def _write_surveys(engine: Engine, checked: Checked, actor: str, lang: str, progress: Progress, started: float) -> ImportResult:
    """Survey figures, one transaction: a figure whose key is new is added, one whose values
    differ replaces the stored one; nothing to refresh (surveys have no summaries)."""
    frame = checked.frame.reindex(columns=SURVEY_COLUMNS)
    records = [
        {name: (None if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA else value) for name, value in row.items()}
        for row in frame.astype(object).to_dict("records")
    ]
    for record in records:
        for name in ("period_start", "period_end"):
            record[name] = pd.Timestamp(record[name]).date()
        if record["sample_size"] is not None:
            record["sample_size"] = int(record["sample_size"])
    table = schema.surveys
    with engine.begin() as connection:
        stored = {
            row["survey_key"]: dict(row)
            for row in connection.execute(select(table).where(table.c.survey_key.in_([r["survey_key"] for r in records]))).mappings()
        }
        added = updated = 0
        for record in records:
            old = stored.get(record["survey_key"])
            if old is None:
                connection.execute(table.insert().values(**record))
                added += 1
            elif any(_differs(old[name], record[name]) for name in SURVEY_COLUMNS):
                connection.execute(table.update().where(table.c.id == old["id"]).values(**record))
                updated += 1
        result = ImportResult("surveys", checked.name, len(records), added, updated, len(records) - added - updated, None, time.perf_counter() - started)
        _audit_import(connection, actor, result, file_kind=checked.raw.kind, encoding=checked.raw.encoding_note, columns=checked.mapping)
    result.seconds = time.perf_counter() - started
    progress(1.0, result.message(lang))
    return result


def _differs(old, new) -> bool:
    if isinstance(old, float) or isinstance(new, float):
        return old is None or new is None or abs(float(old) - float(new)) > 1e-9
    return old != new


def _closing_times_from_file(frame: pd.DataFrame) -> pd.DataFrame:
    """closed_at is kept only for withdrawn (7) and stopped (8) dossiers."""
    left = frame["status"].isin(vocab.LEFT_WITHOUT_RESULT).to_numpy()
    given = frame["closed_at"] if "closed_at" in frame else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[us]")
    return frame.assign(closed_at=given.where(left).astype("datetime64[us]"))


def _record_closing_times(connection: Connection, stage: Table, frame: pd.DataFrame, today: date | None) -> pd.DataFrame:
    """When a withdrawn or stopped dossier left the process, if the file does not say:
    the time already stored; for a dossier stored open, the file's updated_at, else now (the
    first import that sees the change); for a dossier new to the database, its updated_at
    (none: it never counts as open). So a later export never reopens or shortens past days."""
    needs = frame["status"].isin(vocab.LEFT_WITHOUT_RESULT) & frame["closed_at"].isna()
    if not needs.any():
        return frame
    s, f = stage.c, schema.dossiers.c
    stored = pd.DataFrame(
        connection.execute(
            select(f.code, f.status, f.closed_at)
            .select_from(stage.join(schema.dossiers, f.code == s.code))
            .where(s.status.in_(vocab.LEFT_WITHOUT_RESULT), s.closed_at.is_(None))
        ).all(),
        columns=["code", "stored_status", "stored_closed_at"],
    )
    rows = frame.loc[needs, ["code"]].merge(stored, on="code", how="left")
    rows.index = frame.index[needs]
    now = datetime.combine(today, datetime.now().time()) if today else datetime.now()
    updated = frame.loc[needs, "updated_at"] if "updated_at" in frame else pd.Series(pd.NaT, index=rows.index)
    updated = pd.to_datetime(updated).astype("datetime64[us]")
    kept = pd.to_datetime(rows["stored_closed_at"]).astype("datetime64[us]").where(rows["stored_status"].isin(vocab.LEFT_WITHOUT_RESULT))
    was_open = rows["stored_status"].notna() & ~rows["stored_status"].isin(vocab.LEFT_WITHOUT_RESULT)
    seen_now = updated.fillna(pd.Timestamp(now)).where(was_open)
    closed = kept.fillna(seen_now).fillna(updated)
    frame = frame.copy()
    frame.loc[needs, "closed_at"] = closed.astype("datetime64[us]")
    changed = closed.notna()
    if changed.any():
        connection.execute(
            update(stage).where(stage.c.code == bindparam("b_code")).values(closed_at=bindparam("b_closed_at")),
            [{"b_code": c, "b_closed_at": t.to_pydatetime()} for c, t in zip(rows.loc[changed, "code"], closed[changed])],
        )
    return frame


def import_file(
    engine: Engine,
    source: str,
    file,
    name: str | None = None,
    *,
    actor: str,
    options: Options | None = None,
    mapping: Mapping | None = None,
    lang: str = "vi",
    progress: Progress | None = None,
) -> tuple[Checked, ImportResult | None]:
    """Check, then write when every row passed. FileRejected for unreadable files."""
    checked = check(engine, source, file, name, options=options, mapping=mapping, lang=lang, progress=progress)
    if not checked.ok:
        return checked, None
    return checked, write(engine, checked, actor, lang=lang, progress=progress)


# --- audit: one implementation, in data_access/audit.py (re-exported here) ----------------------


# --- data freshness --------------------------------------------------------------------------------
def freshness(engine: Engine) -> pd.DataFrame:
    """The latest record per source and unit: source, unit_code, unit_name, records, latest.

    ratings: the latest rated_at; dossiers: the latest of received_at and updated_at."""
    r, d, u = schema.ratings.c, schema.dossiers.c, schema.units.c
    with engine.connect() as connection:
        rated = connection.execute(select(r.unit_code, func.count().label("records"), func.max(r.rated_at).label("latest")).group_by(r.unit_code)).all()
        dossier = connection.execute(
            select(
                d.unit_code,
                func.count().label("records"),
                func.max(d.received_at).label("latest_received"),
                func.max(d.updated_at).label("latest_updated"),
            ).group_by(d.unit_code)
        ).all()
        names = dict(connection.execute(select(u.code, u.name)).all())
    ratings_frame = pd.DataFrame(rated, columns=["unit_code", "records", "latest"]).assign(source="ratings")
    dossiers_frame = pd.DataFrame(dossier, columns=["unit_code", "records", "latest_received", "latest_updated"])
    for column in ("latest_received", "latest_updated"):
        dossiers_frame[column] = pd.to_datetime(dossiers_frame[column])
    dossiers_frame["latest"] = dossiers_frame[["latest_received", "latest_updated"]].max(axis=1)
    dossiers_frame = dossiers_frame[["unit_code", "records", "latest"]].assign(source="dossiers")
    out = pd.concat([ratings_frame, dossiers_frame], ignore_index=True)
    out["latest"] = pd.to_datetime(out["latest"])
    out["unit_name"] = out["unit_code"].map(names)
    return out[["source", "unit_code", "unit_name", "records", "latest"]].sort_values(["source", "latest"], ascending=[False, False], ignore_index=True)


# --- command line ------------------------------------------------------------------------------------
def _cli_progress(fraction: float, message: str) -> None:
    print(f"\r[{fraction * 100:5.1f}%] {message[:100]:<100}", end="", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data_access.ingest", description="Import a ratings or dossiers export, or independent survey results (CSV UTF-8 or .xlsx)."
    )
    parser.add_argument("source", choices=SOURCES)
    parser.add_argument("file")
    parser.add_argument("--url", help="database URL (default: DASHBOARD_DATABASE_URL, secrets, or the demo SQLite file)")
    parser.add_argument("--check", action="store_true", help="validate only, write nothing")
    parser.add_argument("--three-level", action="store_true", help="numeric rating levels are a three-level form: 1 satisfied, 2 neutral, 3 dissatisfied")
    parser.add_argument("--mapping", help="column mapping TOML (default: ingest/mapping.toml)")
    parser.add_argument("--rejected", help="write the rejected rows to this CSV (UTF-8 with BOM)")
    parser.add_argument("--actor", default=None, help="name recorded in the audit log (default: the OS user name)")
    parser.add_argument("--lang", choices=("vi", "en"), default="vi")
    parser.add_argument("--max-mb", type=float, help="refuse files larger than this (default from the mapping: 250)")
    parser.add_argument("--quiet", action="store_true", help="no progress line")
    args = parser.parse_args(argv)

    from dataclasses import replace

    from data_access.db import make_engine

    path = Path(args.file)
    if not path.is_file():
        print(pick(args.lang, f"Không tìm thấy tệp {path}", f"File not found: {path}"), file=sys.stderr)
        return EXIT_USAGE
    try:
        mapping = load_mapping(args.mapping)
    except (OSError, KeyError, TypeError, ValueError) as error:
        print(f"mapping: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.max_mb:
        mapping = replace(mapping, limits=replace(mapping.limits, max_file_mb=args.max_mb))
    actor = args.actor or os_user()
    progress = _quiet if args.quiet else _cli_progress
    engine = make_engine(args.url)
    try:
        try:
            checked = check(
                engine, args.source, path, path.name, options=Options(three_level=args.three_level), mapping=mapping, lang=args.lang, progress=progress
            )
        except FileRejected as error:
            print(file=sys.stderr)
            print(str(error))
            return EXIT_REFUSED
        if not checked.ok:
            print(file=sys.stderr)
            print_refusal(checked, args.lang)
            if args.rejected:
                write_csv(checked.rejected_rows, args.rejected)
                print(pick(args.lang, f"Các dòng bị từ chối: {args.rejected}", f"Rejected rows: {args.rejected}"))
            return EXIT_REFUSED
        if len(checked.warnings):
            print(file=sys.stderr)
            print(checked.warnings.head(50).to_string(index=False))
        if args.check:
            print(file=sys.stderr)
            print(checked.message)
            return EXIT_OK
        result = write(engine, checked, actor, lang=args.lang, progress=progress)
        print(file=sys.stderr)
        print(result.message(args.lang))
        print(f"{result.rows_per_second:,.0f} rows/s")
        return EXIT_OK
    except (OperationalError, DBAPIError) as error:
        print(file=sys.stderr)
        print_database_error(error, args.lang)
        return EXIT_DATABASE
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
