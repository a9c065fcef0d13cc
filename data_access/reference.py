"""Reference data: a province's units of both layouts from the packaged data, and a city's own
lists (units, departments, lineage, procedures, officers, targets) from CSV or Excel.

    python -m data_access.reference init --province CODE [--url URL]
    python -m data_access.reference import units|lineage|departments|procedures|officers|targets FILE
        [--url URL] [--check] [--actor NAME] [--lang vi|en]

Exit codes: 0 done (or nothing new), 1 file refused (nothing written; the report says why, row
by row), 2 usage error (unknown province, file not found), 3 database error (rolled back).

`init` writes the province's units (former districts and wards until 30 June 2025, the
two-tier units from 1 July 2025) and the crosswalk (ingest.admin_units.province_layout) into
an empty database or one that already has units. A unit already there is kept with its key:
the same official code, level and validity is the same unit; a unit of a database made before
unit versions (every unit valid from its start with no end) is the former unit of the same
official code and level, and is ended on 30 June 2025. New units get keys by the key rule
(domain.units.unit_key), so the new Phường Sài Gòn is "26740@2025-07-01" where 26740 is
already Phường Bến Nghé. Running it again adds nothing.

`import` checks the whole file first (ingest/reference.py; docs/reference.md) and writes it in
one transaction with its audit record: an upsert by the source's own keys (official code and
start for units, the code for procedures and officers, old unit, new unit and date for
links, KPI, unit and start for targets).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from data_access.frames import rows_frame
from sqlalchemy import and_, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from data_access import schema
from data_access.audit import record_audit
from data_access.command_line import os_user, print_database_error, print_refusal
from data_access.db import take_write_lock
from domain.errors import UserFacingError
from domain.units import unit_key
from i18n.format import fmt_int
from i18n.text import pick
from ingest import FileRejected, load_mapping, read_file
from ingest.admin_units import FORMER_UNTIL, UnknownProvince, province_layout
from ingest.checks import Checked
from ingest.reference import KINDS, LINK_FIELDS, UNIT_FIELDS, Existing, load_specs  # noqa: F401 - load_specs: the Data page's column list
from ingest.reference import check as check_rows

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_DATABASE = 0, 1, 2, 3
KIND_LABELS = {
    "units": ("Danh mục đơn vị hành chính", "Administrative units"),
    "departments": ("Danh mục sở, ban, ngành", "City departments"),
    "lineage": ("Bảng chuyển đổi đơn vị cũ - mới", "Unit crosswalk (former to new)"),
    "procedures": ("Danh mục thủ tục hành chính", "Administrative procedures"),
    "officers": ("Danh sách cán bộ, công chức", "Officer roster"),
    "targets": ("Chỉ tiêu", "Targets"),
}


@dataclass
class ReferenceResult:
    source: str
    name: str
    rows: int
    added: int
    updated: int
    unchanged: int
    seconds: float
    links_added: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")

    def message(self, lang: str = "vi") -> str:
        vi, en = KIND_LABELS.get(self.source, (self.source, self.source))
        links_vi = f", thêm {fmt_int(self.links_added, 'vi')} liên kết chuyển đổi" if self.links_added else ""
        links_en = f", {self.links_added:,} crosswalk links added" if self.links_added else ""
        return pick(
            lang,
            f"Đã nhập {vi.lower()} {self.name}: {fmt_int(self.rows, 'vi')} dòng, thêm mới {fmt_int(self.added, 'vi')}, cập nhật {fmt_int(self.updated, 'vi')}, không đổi {fmt_int(self.unchanged, 'vi')}{links_vi}.",
            f"Imported {en.lower()} {self.name}: {self.rows:,} rows, {self.added:,} added, {self.updated:,} updated, {self.unchanged:,} unchanged{links_en}.",
        )


# --- what the database holds ---------------------------------------------------------------------
def _read_units(connection: Connection) -> pd.DataFrame:
    u = schema.units.c
    return rows_frame(connection.execute(select(*[u[n] for n in UNIT_FIELDS])), columns=UNIT_FIELDS)


def _read_links(connection: Connection) -> pd.DataFrame:
    lk = schema.unit_lineage.c
    return rows_frame(connection.execute(select(*[lk[n] for n in LINK_FIELDS])), columns=LINK_FIELDS)


def existing(engine_or_connection, today: date | None = None) -> Existing:
    def read(connection: Connection) -> Existing:
        return Existing(
            _read_units(connection),
            _read_links(connection),
            {row[0] for row in connection.execute(select(schema.fields.c.code))},
            {row[0] for row in connection.execute(select(schema.officers.c.code))},
            today or date.today(),
        )

    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as connection:
            return read(connection)
    return read(engine_or_connection)


# --- init: a province from the packaged data ------------------------------------------------------
@dataclass
class InitResult:
    province: str
    name: str
    units_added: int
    units_ended: int
    units_kept: int
    links_added: int

    def message(self, lang: str = "vi") -> str:
        return pick(
            lang,
            f"{self.name} ({self.province}): thêm {fmt_int(self.units_added, 'vi')} đơn vị, kết thúc hiệu lực {fmt_int(self.units_ended, 'vi')} đơn vị có sẵn (ngày {FORMER_UNTIL:%d/%m/%Y}), "
            f"giữ nguyên {fmt_int(self.units_kept, 'vi')}; thêm {fmt_int(self.links_added, 'vi')} liên kết chuyển đổi.",
            f"{self.name} ({self.province}): {self.units_added:,} units added, {self.units_ended:,} existing units ended on {FORMER_UNTIL:%d/%m/%Y}, "
            f"{self.units_kept:,} kept; {self.links_added:,} crosswalk links added.",
        )


def _missing(v) -> bool:
    return v is None or (not isinstance(v, (str, date)) and pd.isna(v))


def _same(a, b) -> bool:
    return (_missing(a) and _missing(b)) or (not _missing(a) and not _missing(b) and a == b)


def plan_init(layout, stored: pd.DataFrame) -> tuple[dict, list, pd.DataFrame]:
    """Match the layout's units to the stored ones: (layout key -> database key, stored keys to
    end on FORMER_UNTIL, the units to add with their database keys and parents)."""
    key_of: dict[str, str] = {}
    ends: list[str] = []
    free = {str(r.code): r for r in stored.itertuples()}
    by_code: dict[tuple, list] = {}
    for r in stored.itertuples():
        by_code.setdefault((str(r.gso_code), r.level), []).append(r)
    rows = list(layout.units.itertuples())
    # The same unit already there: same official code, level and end, and the same start
    # (or the layout's start is "since before the data").
    for u in rows:
        for r in by_code.get((u.gso_code, u.level), []):
            if str(r.code) in free and _same(r.valid_to, u.valid_to) and (_missing(u.valid_from) or _same(r.valid_from, u.valid_from)):
                key_of[u.code] = str(r.code)
                del free[str(r.code)]
                break
    # A database made before unit versions: its open units are the former ones; end them.
    for u in rows:
        if u.code in key_of or _missing(u.valid_to):
            continue
        for r in by_code.get((u.gso_code, u.level), []):
            started = _missing(r.valid_from) or r.valid_from <= u.valid_to
            if str(r.code) in free and _missing(r.valid_to) and started:
                key_of[u.code] = str(r.code)
                ends.append(str(r.code))
                del free[str(r.code)]
                break
    taken = set(stored["code"].astype(str))
    added = []
    for u in rows:  # layout order: parents first, current units before former ones
        if u.code in key_of:
            continue
        start, end = (None if _missing(u.valid_from) else u.valid_from), (None if _missing(u.valid_to) else u.valid_to)
        key = unit_key(u.gso_code, start, end, taken)
        taken.add(key)
        key_of[u.code] = key
        parent = None if _missing(u.parent_code) else key_of[u.parent_code]
        added.append(u._asdict() | {"code": key, "parent_code": parent, "valid_from": start, "valid_to": end})
    frame = pd.DataFrame(added, columns=["Index", *UNIT_FIELDS]).drop(columns="Index")
    return key_of, ends, frame


def init_province(engine: Engine, province: str, actor: str = "cli") -> InitResult:
    """Write a province's two layouts and crosswalk (see the module docstring); one transaction."""
    layout = province_layout(province)  # UnknownProvince before anything is touched
    with engine.begin() as connection:
        take_write_lock(connection)
        stored = _read_units(connection)
        key_of, ends, added = plan_init(layout, stored)
        records = [{k: (None if v is None or (isinstance(v, float) and pd.isna(v)) else v) for k, v in row.items()} for row in added.to_dict("records")]
        if records:
            connection.execute(insert(schema.units), records)
        if ends:
            connection.execute(update(schema.units).where(schema.units.c.code.in_(ends)).values(valid_to=FORMER_UNTIL))
        links = layout.lineage.assign(old_code=layout.lineage["old_code"].map(key_of), new_code=layout.lineage["new_code"].map(key_of))
        have = {(o, n, pd.Timestamp(e).date()) for o, n, e in _read_links(connection)[["old_code", "new_code", "effective_date"]].itertuples(index=False)}
        new_links = [
            {"old_code": r.old_code, "new_code": r.new_code, "effective_date": r.effective_date, "kind": r.kind, "whole": bool(r.whole), "weight": None}
            for r in links.itertuples()
            if (r.old_code, r.new_code, r.effective_date) not in have
        ]
        if new_links:
            connection.execute(insert(schema.unit_lineage), new_links)
        result = InitResult(province, layout.name, len(records), len(ends), len(layout.units) - len(records) - len(ends), len(new_links))
        record_audit(
            connection,
            actor,
            "import",
            f"reference init: {layout.name} ({province}), {len(layout.units):,} rows",
            {"province": province, "units_added": result.units_added, "units_ended": result.units_ended, "links_added": result.links_added},
        )
    return result


# --- import: a city's own lists --------------------------------------------------------------------
def check(engine: Engine, kind: str, file, name: str | None = None, *, lang: str = "vi", today: date | None = None) -> Checked:
    """Read and check a reference file; nothing is written. FileRejected when it cannot be read."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if name is None:
        name = Path(file).name if isinstance(file, (str, os.PathLike)) else (getattr(file, "name", None) or "upload")
    mapping = load_mapping()
    raw = read_file(file, name, mapping, lang)
    return check_rows(kind, raw, existing(engine, today), mapping, name, lang)


def _value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and pd.isna(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.date()
    return v


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    present = [c for c in columns if c in frame.columns]
    return [{c: _value(v) for c, v in row.items()} for row in frame[present].astype(object).to_dict("records")]


def _upsert(connection: Connection, table, key_columns: list[str], records: list[dict], compared: list[str]) -> tuple[int, int]:
    """Insert new rows, update changed ones (matched on key_columns, nulls equal): (added, updated)."""
    added = updated = 0
    for record in records:
        condition = and_(*[table.c[k].is_(None) if record[k] is None else table.c[k] == record[k] for k in key_columns])
        old = connection.execute(select(table).where(condition)).mappings().first()
        if old is None:
            connection.execute(insert(table).values(**record))
            added += 1
            continue
        changes = {c: record[c] for c in compared if c in record and not _equal(old[c], record[c])}
        if changes:
            connection.execute(update(table).where(condition).values(**changes))
            updated += 1
    return added, updated


def _upsert_rows(connection: Connection, table, frame: pd.DataFrame, key_columns: list[str], compared: list[str]) -> tuple[int, int]:
    """_upsert of a checked list: its rows, as records of the key and the compared columns."""
    return _upsert(connection, table, key_columns, _records(frame, [*key_columns, *compared]), compared)


def _equal(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (a is None and b is None) or (a is not None and b is not None and abs(float(a) - float(b)) < 1e-9)
    return a == b


def _parents_first(records: list[dict]) -> list[dict]:
    """Units ordered so that a parent in the same file is written before its children."""
    by_key = {r["code"]: r for r in records}
    done: set = set()
    ordered = []

    def visit(record, depth=0):
        if record["code"] in done or depth > len(records):
            return
        parent = by_key.get(record["parent_code"])
        if parent is not None:
            visit(parent, depth + 1)
        done.add(record["code"])
        ordered.append(record)

    for record in records:
        visit(record)
    return ordered


def write(engine: Engine, checked: Checked, actor: str, *, lang: str = "vi") -> ReferenceResult:
    """Write a checked reference file in one transaction, with its audit record."""
    if not checked.ok or checked.frame is None:
        raise FileRejected(checked.message)
    started = time.perf_counter()
    kind, frame = checked.source, checked.frame
    links_added = 0
    with engine.begin() as connection:
        take_write_lock(connection)
        if kind in ("units", "departments"):
            records = _parents_first(_records(frame, UNIT_FIELDS))
            added, updated = _upsert(connection, schema.units, ["code"], records, [c for c in UNIT_FIELDS if c not in ("code", "gso_code")])
            links = []
            for row in frame.itertuples():
                if isinstance(row.successors, str) and row.successors:  # checked: only with an end date
                    targets = row.successors.split(";")
                    effective = _value(row.valid_to) + pd.Timedelta(days=1)
                    whole = len(targets) == 1
                    links += [
                        {
                            "old_code": row.code,
                            "new_code": t,
                            "effective_date": effective.date() if hasattr(effective, "date") else effective,
                            "kind": "merge" if whole else "split",
                            "whole": whole,
                            "weight": None,
                        }
                        for t in targets
                    ]
            links_added, _ = _upsert(connection, schema.unit_lineage, ["old_code", "new_code", "effective_date"], links, [])
        elif kind == "lineage":
            added, updated = _upsert(
                connection, schema.unit_lineage, ["old_code", "new_code", "effective_date"], _records(frame, LINK_FIELDS), ["kind", "whole", "weight"]
            )
        elif kind == "procedures":
            fields = frame.dropna(subset=["field_name"]).drop_duplicates("field_code") if "field_name" in frame else frame.iloc[0:0]
            _upsert(connection, schema.fields, ["code"], [{"code": r.field_code, "name": r.field_name} for r in fields.itertuples()], ["name"])
            added, updated = _upsert_rows(connection, schema.procedures, frame, ["code"], ["name", "field_code", "legal_days", "level"])
        elif kind == "officers":
            added, updated = _upsert_rows(connection, schema.officers, frame, ["code"], ["full_name", "unit_code", "title", "email"])
        else:  # targets
            added, updated = _upsert_rows(connection, schema.targets, frame, ["kpi_id", "unit_code", "valid_from"], ["valid_to", "value", "amber_margin"])
        rows = len(frame)
        result = ReferenceResult(kind, checked.name, rows, added, updated, rows - added - updated, time.perf_counter() - started, links_added)
        record_audit(
            connection,
            actor,
            "import",
            f"{kind}: {checked.name}, {rows:,} rows",
            {
                "source": kind,
                "name": checked.name,
                "rows": rows,
                "added": added,
                "updated": updated,
                "links_added": links_added,
                "file_kind": checked.raw.kind,
                "encoding": checked.raw.encoding_note,
                "columns": checked.mapping,
            },
        )
    result.seconds = time.perf_counter() - started
    return result


def import_file(engine: Engine, kind: str, file, name: str | None = None, *, actor: str, lang: str = "vi") -> tuple[Checked, ReferenceResult | None]:
    checked = check(engine, kind, file, name, lang=lang)
    if not checked.ok:
        return checked, None
    return checked, write(engine, checked, actor, lang=lang)


# --- command line ------------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data_access.reference", description="Reference data: a province's units and crosswalk, a city's own lists."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    init = commands.add_parser("init", help="the province's units of both layouts and the crosswalk, from the packaged data")
    init.add_argument("--province", required=True, help="GSO province code: 79 Hồ Chí Minh, 01 Hà Nội, …")
    imp = commands.add_parser("import", help="a city's own list, CSV UTF-8 or .xlsx (docs/reference.md)")
    imp.add_argument("kind", choices=KINDS)
    imp.add_argument("file")
    imp.add_argument("--check", action="store_true", help="validate only, write nothing")
    for sub in (init, imp):
        sub.add_argument("--url", help="database URL (default: DASHBOARD_DATABASE_URL, secrets, or the demo SQLite file)")
        sub.add_argument("--actor", default=None, help="name recorded in the audit log (default: the OS user name)")
        sub.add_argument("--lang", choices=("vi", "en"), default="vi")
    args = parser.parse_args(argv)

    from data_access.db import make_engine

    actor = args.actor or os_user()
    if args.command == "init":
        try:
            province_layout(args.province)
        except UnknownProvince as error:
            print(f"{error.text(args.lang)} {error.detail}", file=sys.stderr)
            return EXIT_USAGE
    else:
        path = Path(args.file)
        if not path.is_file():
            print(pick(args.lang, f"Không tìm thấy tệp {path}", f"File not found: {path}"), file=sys.stderr)
            return EXIT_USAGE
    engine = make_engine(args.url)
    try:
        if args.command == "init":
            print(init_province(engine, args.province, actor).message(args.lang))
            return EXIT_OK
        try:
            checked = check(engine, args.kind, path, path.name, lang=args.lang)
        except FileRejected as error:
            print(str(error))
            return EXIT_REFUSED
        if not checked.ok:
            print_refusal(checked, args.lang)
            return EXIT_REFUSED
        if args.check:
            print(checked.message)
            return EXIT_OK
        print(write(engine, checked, actor, lang=args.lang).message(args.lang))
        return EXIT_OK
    except UserFacingError as error:
        print(f"{error.text(args.lang)} {error.detail or ''}".strip(), file=sys.stderr)
        return EXIT_USAGE
    except DBAPIError as error:
        print_database_error(error, args.lang)
        return EXIT_DATABASE
    finally:
        engine.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
