"""Checking every cell of a read file against the mapping and the reference codes, and the
report: each problem with its row as in the file, column, value and what was expected."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from domain import vocab
from i18n.format import fmt_int
from i18n.text import pick
from ingest.dates import DATE_FORMATS_TEXT, parse_datetimes
from ingest.mapping import EVENT_COLUMNS, FileRejected, Limits, Mapping, SourceSpec, map_headers, normalise
from ingest.reading import RawTable


# --- validation ------------------------------------------------------------------------------
@dataclass
class Reference:
    """What the codes in a file must refer to (read from the database by data_access.ingest)."""

    units: set[str]
    procedures: dict[str, str]  # procedure code -> field code
    officers: set[str]
    province_of: dict[str, str] = field(default_factory=dict)  # unit code -> its top unit's code (the province)
    dossiers: dict[str, str] | None = None  # steps files: the file's dossier codes known -> unit
    # code (unit key), gso_code, valid_from, valid_to of every unit: a record's official unit
    # code goes to the version in force on the record's day (domain.units.resolve_unit_codes).
    unit_versions: pd.DataFrame | None = None


# The day that decides which version of a unit a record belongs to.
RECORD_DAY = {"ratings": "rated_at", "dossiers": "received_at"}


@dataclass
class Options:
    three_level: bool = False  # numeric levels are 1 satisfied, 2 neutral, 3 dissatisfied
    today: date | None = None


@dataclass
class Checked:
    source: str
    name: str
    raw: RawTable
    mapping: dict[str, str]
    ignored: list[str]
    frame: pd.DataFrame | None  # typed, one column per target column found (+ field_code); None when rejected
    problems: pd.DataFrame  # row, column, value, expected (at most max_problems_listed)
    problem_count: int
    problem_summary: pd.DataFrame  # column, expected, rows, first_row
    rejected_rows: pd.DataFrame  # the file's rows with a problem (row, its cells, problems)
    rejected_count: int
    message: str
    ok: bool = field(default=False)
    # Rows imported as they are but worth a look: row, column, value, message.
    warnings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["row", "column", "value", "message"]))

    @property
    def rows(self) -> int:
        return len(self.raw.frame)


class _Problems:
    def __init__(self, raw: RawTable, limits: Limits, lang: str = "vi"):
        self.raw = raw
        self.limits = limits
        self.lang = lang
        self.parts: list[pd.DataFrame] = []
        self.listed = 0
        self.count = 0
        self.bad_rows = np.zeros(len(raw.frame), dtype=bool)
        self.by_column: dict[str, np.ndarray] = {}
        self.added: list[tuple[np.ndarray, str, object]] = []
        self.summary: list[dict] = []

    def add(self, mask: np.ndarray, header: str, expected: str | np.ndarray, values: pd.Series | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        hits = int(mask.sum())
        if not hits:
            return
        self.count += hits
        self.bad_rows |= mask
        self.by_column[header] = self.by_column.get(header, np.zeros(len(mask), dtype=bool)) | mask
        self.added.append((np.flatnonzero(mask), header, expected))
        index = np.flatnonzero(mask)
        rows = self.raw.row_numbers[index]
        self.summary.append(
            {"column": header, "expected": expected if isinstance(expected, str) else str(expected[index[0]]), "rows": hits, "first_row": int(rows[0])}
        )
        room = self.limits.max_problems_listed - self.listed
        if room <= 0:
            return
        index, rows = index[:room], rows[:room]
        source = values if values is not None else self.raw.frame[header]
        shown = [_show(v, self.lang) for v in source.iloc[index].tolist()]
        exp = [expected] * len(index) if isinstance(expected, str) else list(np.asarray(expected, dtype=object)[index])
        self.parts.append(pd.DataFrame({"row": rows, "column": header, "value": shown, "expected": exp}))
        self.listed += len(index)

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(
                {"row": pd.Series(dtype="int64"), "column": pd.Series(dtype="str"), "value": pd.Series(dtype="str"), "expected": pd.Series(dtype="str")}
            )
        return pd.concat(self.parts, ignore_index=True).sort_values(["row", "column"], kind="stable", ignore_index=True)


def _show(value, lang: str = "vi") -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if len(text) > 80:
        return f"{text[:60]}… ({fmt_int(len(text), lang)} {pick(lang, 'ký tự', 'chars')})"
    return text


def _label_map(table: dict, extra: dict | None = None) -> dict[str, object]:
    out: dict[str, object] = {}
    for code, labels in table.items():
        out[normalise(code)] = code
        for text in labels:
            out[normalise(text)] = code
    for key, value in (extra or {}).items():
        out[normalise(key)] = value
    return out


def _lookup(values: pd.Series, table: dict[str, object]) -> tuple[pd.Series, np.ndarray]:
    """Map text through a normalised lookup; (mapped values, mask of non-empty unmapped cells)."""
    # Each distinct text is looked up once and the rows take their value by position: a
    # file has a handful of them, and mapping a million strings by hash cost 0.3 s a column.
    codes, uniques = pd.factorize(values)  # missing cells: -1
    stripped = [u.strip() if isinstance(u, str) else "" for u in uniques]
    translated = pd.Series([table.get(normalise(u)) if u else None for u in stripped], dtype=object).infer_objects()
    mapped = translated.reindex(codes)  # -1: missing
    mapped.index = values.index
    filled = np.append(np.array([u != "" for u in stripped], dtype=bool), False)
    bad = mapped.isna().to_numpy() & filled[codes]
    return mapped, bad


def validate(
    spec: SourceSpec, raw: RawTable, reference: Reference, mapping: Mapping, options: Options | None = None, name: str = "", lang: str = "vi", rules=None
) -> Checked:
    """Check every cell; return the typed frame when there is no problem at all.

    `rules(found, out, raw, problems, lang)`, when given, checks what spans rows and the
    database (the reference lists: ingest/reference.py) once every cell is read; a spec
    without a key leaves duplicates to it."""
    options = options or Options()
    limits = mapping.limits
    found, ignored = map_headers(spec, raw.headers, name, lang)
    problems = _Problems(raw, limits, lang)
    out: dict[str, object] = {}
    today = options.today or date.today()
    latest_allowed = np.datetime64(today + timedelta(days=limits.future_days + 1), "us")
    earliest_allowed = np.datetime64(limits.earliest_date, "us")
    code_re = limits.code_pattern
    required_msg = pick(lang, "một giá trị (cột bắt buộc)", "a value (required column)")
    control_re = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"

    for target, header in found.items():
        column = spec.columns[target]
        text = raw.frame[header].fillna("").str.strip()
        empty = (text == "").to_numpy()
        if column.required:
            problems.add(empty, header, required_msg)
        if column.kind in ("code", "text"):
            lengths = text.str.len().to_numpy(dtype="int64", na_value=0)
            too_long = lengths > (column.max_length or 10**9)
            problems.add(too_long, header, pick(lang, f"tối đa {fmt_int(column.max_length, 'vi')} ký tự", f"at most {column.max_length:,} characters"))
            if column.kind == "code":
                bad_format = ~empty & ~too_long & ~text.str.match(code_re).fillna(False).to_numpy(dtype=bool)
                problems.add(bad_format, header, pick(lang, "một mã chỉ gồm chữ, số và . _ - / : @", "a code of letters, digits and . _ - / : @ only"))
            else:
                control = text.str.contains(control_re, regex=True).fillna(False).to_numpy(dtype=bool)
                problems.add(control, header, pick(lang, "văn bản không có ký tự điều khiển", "text without control characters"))
            out[target] = text.where(~pd.Series(empty, index=text.index), None)
        elif column.kind == "datetime":
            values, bad = parse_datetimes(text)
            problems.add(bad, header, pick(lang, f"ngày giờ dạng {DATE_FORMATS_TEXT}", f"a date/time as {DATE_FORMATS_TEXT}"))
            present = ~np.isnat(values)
            problems.add(
                present & (values < earliest_allowed),
                header,
                pick(lang, f"ngày từ {limits.earliest_date:%d/%m/%Y} trở đi", f"a date on or after {limits.earliest_date:%d/%m/%Y}"),
            )
            if target in EVENT_COLUMNS:
                problems.add(present & (values >= latest_allowed), header, pick(lang, "ngày không ở tương lai", "a date not in the future"))
            out[target] = values
        elif column.kind == "int":
            numbers = pd.to_numeric(text.where(text != "", "0"), errors="coerce")
            bad = (numbers.isna() | (numbers < 0) | (numbers > 32767) | (numbers % 1 != 0)).to_numpy(dtype=bool)
            problems.add(bad, header, pick(lang, "số nguyên từ 0 đến 32767", "a whole number from 0 to 32767"))
            out[target] = numbers.fillna(0).clip(0, 32767).astype("int64")
        elif column.kind == "bool":
            mapped, bad = _lookup(text, mapping.aliases.get("bool", {}))
            problems.add(bad, header, pick(lang, "1/0, có/không, x hoặc để trống", "1/0, yes/no, x or empty"))
            out[target] = mapped.fillna(False).astype(bool)
        elif column.kind == "rating_level":
            if options.three_level:
                table = {normalise(k): v for k, v in vocab.THREE_LEVEL_SCALE.items()}
                for code in vocab.THREE_LEVEL_SCALE.values():
                    for label in vocab.RATING_LEVELS[code]:
                        table[normalise(label)] = code
                expected = pick(
                    lang,
                    "1, 2, 3 (thang 3 mức) hoặc Hài lòng / Bình thường / Không hài lòng",
                    "1, 2, 3 (three-level form) or Hài lòng / Bình thường / Không hài lòng",
                )
            else:
                table = _label_map(vocab.RATING_LEVELS)
                expected = pick(
                    lang, "1-4 hoặc Rất hài lòng / Hài lòng / Bình thường / Không hài lòng", "1-4 or Rất hài lòng / Hài lòng / Bình thường / Không hài lòng"
                )
            mapped, bad = _lookup(text, table)
            problems.add(bad, header, expected)
            out[target] = mapped.fillna(0).astype("int64")
        elif column.kind == "rating_channel":
            mapped, bad = _lookup(text, _label_map(vocab.RATING_CHANNELS, mapping.aliases.get("rating_channel")))
            problems.add(
                bad,
                header,
                pick(
                    lang,
                    "kiosk, tablet, web, app, sms hoặc tên tiếng Việt (Máy tính bảng, Cổng dịch vụ công…)",
                    "kiosk, tablet, web, app, sms or the Vietnamese name (Máy tính bảng, Cổng dịch vụ công…)",
                ),
            )
            out[target] = mapped.astype("str")
        elif column.kind == "dossier_channel":
            mapped, bad = _lookup(text, _label_map(vocab.DOSSIER_CHANNELS, mapping.aliases.get("dossier_channel")))
            problems.add(bad, header, pick(lang, "1 trực tiếp, 2 trực tuyến, 3 bưu chính công ích", "1 in person, 2 online, 3 public postal"))
            out[target] = mapped.fillna(0).astype("int64")
        elif column.kind == "status":
            mapped, bad = _lookup(text, _label_map(vocab.DOSSIER_STATUSES))
            problems.add(
                bad,
                header,
                pick(
                    lang, "mã trạng thái 1-10 hoặc tên trạng thái (Đang xử lý, Đã trả kết quả…)", "a status code 1-10 or its name (Đang xử lý, Đã trả kết quả…)"
                ),
            )
            out[target] = mapped.fillna(0).astype("int64")
        elif column.kind in SURVEY_KINDS:
            SURVEY_KINDS[column.kind](target, header, text, empty, out, problems, mapping, lang)
        elif column.kind == "step":
            from domain.steps import step_names

            mapped, bad = _lookup(text, _label_map(step_names()))
            problems.add(
                bad,
                header,
                pick(
                    lang,
                    "mã hoặc tên bước trong domain/steps.toml (Tiếp nhận, Thẩm định, Trình ký…)",
                    "a step code or name of domain/steps.toml (Tiếp nhận, Thẩm định, Trình ký…)",
                ),
            )
            out[target] = mapped
        else:  # pragma: no cover - a mapping file with an unknown kind
            raise FileRejected(f"ingest mapping: unknown kind {column.kind!r} for {spec.name}.{target}")

    _check_references(spec, found, out, raw, reference, problems, lang)
    _check_rules(spec, found, out, problems, lang)
    warnings = _warnings(spec, found, out, raw, lang)
    if spec.name == "surveys":
        _check_survey_rules(found, out, raw, problems, lang, reference)
    elif spec.key:
        _check_duplicates(spec, found, out, raw, problems, lang)
    if rules is not None:
        rules(found, out, raw, problems, lang)

    frame = None
    table = problems.table()
    summary = pd.DataFrame(problems.summary, columns=["column", "expected", "rows", "first_row"])
    rejected_count = int(problems.bad_rows.sum())
    if problems.count == 0:
        frame = pd.DataFrame(dict(out.items()))
        for target in list(frame.columns):
            if spec.columns.get(target) and spec.columns[target].kind == "datetime":
                frame[target] = pd.Series(frame[target].to_numpy(), dtype="datetime64[us]")
        message = pick(
            lang,
            f"Tệp {name} hợp lệ: {fmt_int(len(frame), 'vi')} dòng sẵn sàng để nhập.",
            f"File {name} is valid: {len(frame):,} rows ready to import.",
        )
        rejected = raw.frame.iloc[0:0]
    else:
        worst = summary.sort_values("rows", ascending=False).head(3)
        kinds = "; ".join(
            pick(
                lang,
                f"cột «{r.column}»: {fmt_int(r.rows, 'vi')} dòng, cần {r.expected} (dòng đầu {r.first_row})",
                f"column «{r.column}»: {r.rows:,} rows, expected {r.expected} (first at row {r.first_row})",
            )
            for r in worst.itertuples()
        )
        message = pick(
            lang,
            f"Tệp {name} không được nhập: {fmt_int(problems.count, 'vi')} lỗi trên {fmt_int(rejected_count, 'vi')} / {fmt_int(len(raw.frame), 'vi')} dòng ({kinds}). Không có gì được ghi vào cơ sở dữ liệu: tệp được nhập toàn bộ hoặc không nhập gì. Sửa các dòng bị từ chối rồi tải lại cả tệp.",
            f"File {name} was not imported: {problems.count:,} problems on {rejected_count:,} of {len(raw.frame):,} rows ({kinds}). Nothing was written to the database: a file is imported whole or not at all. Fix the rejected rows and upload the whole file again.",
        )
        rejected = _rejected_rows(raw, problems, limits)
    if len(warnings) and problems.count == 0:
        message += " " + pick(lang, f"{fmt_int(len(warnings), 'vi')} cảnh báo (xem danh sách).", f"{len(warnings):,} warnings (see the list).")
    return Checked(
        spec.name, name, raw, found, ignored, frame, table, problems.count, summary, rejected, rejected_count, message, problems.count == 0, warnings
    )


def _warnings(spec, found, out, raw: RawTable, lang: str) -> pd.DataFrame:
    """Rows that are imported but look wrong: an open status with a finish time (the status
    decides; the dossier counts as open)."""
    columns = ["row", "column", "value", "message"]
    if spec.name != "dossiers" or "finished_at" not in found:
        return pd.DataFrame(columns=columns)
    status = out["status"].to_numpy()
    flagged = np.flatnonzero(np.isin(status, vocab.OPEN_STATUSES) & ~np.isnat(out["finished_at"]))
    header = found["status"]
    return pd.DataFrame(
        {
            "row": raw.row_numbers[flagged],
            "column": header,
            "value": raw.frame[header].iloc[flagged].tolist(),
            "message": pick(
                lang,
                f"trạng thái đang xử lý nhưng có ngày hoàn thành ({found['finished_at']}): hồ sơ vẫn được tính là đang giải quyết theo trạng thái; kiểm tra lại trạng thái",
                f"an open status but a finish time ({found['finished_at']}): the dossier still counts as open, as its status says; check the status",
            ),
        },
        columns=columns,
    )


def _rejected_rows(raw: RawTable, problems: _Problems, limits: Limits) -> pd.DataFrame:
    """The file's rows with a problem (at most max_rejected_rows), each with what is wrong."""
    index = np.flatnonzero(problems.bad_rows)[: limits.max_rejected_rows]
    rejected = raw.frame.iloc[index].copy()
    rejected.insert(0, "row", raw.row_numbers[index])
    position = np.full(len(raw.frame), -1, dtype=np.int64)
    position[index] = np.arange(len(index))
    notes: list[list[str]] = [[] for _ in range(len(index))]
    for rows, header, expected in problems.added:
        for row, at in zip(rows.tolist(), position[rows].tolist()):
            if at >= 0:
                notes[at].append(f"{header}: {expected if isinstance(expected, str) else expected[row]}")
    rejected["problems"] = [" | ".join(n) for n in notes]
    return rejected.reset_index(drop=True)


def _check_references(spec, found, out, raw, reference: Reference, problems: _Problems, lang: str) -> None:
    def check(target: str, known, what_vi: str, what_en: str):
        if target not in found:
            return
        values = out[target]
        present = values.notna().to_numpy()
        unknown = present & ~values.isin(known).to_numpy()
        # Only codes that are well-formed; a malformed one already has its problem.
        already = problems.by_column.get(found[target], np.zeros(len(present), dtype=bool))
        problems.add(unknown & ~already, found[target], pick(lang, f"mã {what_vi} có trong cơ sở dữ liệu", f"a {what_en} code known to the database"))

    day_column = RECORD_DAY.get(spec.name)
    if day_column and reference.unit_versions is not None and "unit_code" in found and day_column in out:
        _resolve_units(found, out, day_column, reference, problems, lang)
    else:
        check("unit_code", reference.units, "đơn vị", "unit")
    check("officer_code", reference.officers, "cán bộ", "officer")
    if spec.name == "steps":
        check("dossier_code", set(reference.dossiers or {}), "hồ sơ", "dossier")
        out["unit_code"] = out["dossier_code"].map(reference.dossiers or {})
    if spec.name == "dossiers":
        check("procedure_code", set(reference.procedures), "thủ tục", "procedure")
        derived = out["procedure_code"].map(reference.procedures)
        if "field_code" in found:
            given = out["field_code"]
            mismatch = (given.notna() & derived.notna() & (given != derived)).to_numpy(dtype=bool)
            expected = np.full(len(mismatch), None, dtype=object)  # written for the mismatched rows only
            expected[mismatch] = [pick(lang, f"mã lĩnh vực của thủ tục: {d}", f"the procedure's field code: {d}") for d in derived[mismatch].tolist()]
            problems.add(mismatch, found["field_code"], expected)
        out["field_code"] = derived


def _resolve_units(found, out, day_column: str, reference: Reference, problems: _Problems, lang: str) -> None:
    """Each record's unit code to the key of the unit version in force on its day: an
    official code reused across a reform goes to the former unit before it and to the new one
    after; an exact unit key is taken as it is."""
    from domain.units import resolve_unit_codes

    header = found["unit_code"]
    values = out["unit_code"]
    keys, not_in_force = resolve_unit_codes(values, out[day_column], reference.unit_versions)
    already = problems.by_column.get(header, np.zeros(len(values), dtype=bool)) | problems.by_column.get(found[day_column], np.zeros(len(values), dtype=bool))
    present = values.notna().to_numpy()
    unknown = present & keys.isna().to_numpy() & ~not_in_force & ~already
    problems.add(unknown, header, pick(lang, "mã đơn vị có trong cơ sở dữ liệu", "a unit code known to the database"))
    bad_day = not_in_force & ~already
    if bad_day.any():
        versions = reference.unit_versions
        spans = {}
        for gso, part in versions.groupby(versions["gso_code"].astype(str)):
            spans[gso] = ", ".join(f"{_day_text(a)}–{_day_text(b)}" for a, b in zip(part["valid_from"], part["valid_to"]))
        expected = np.full(len(values), "", dtype=object)
        for position in np.flatnonzero(bad_day):
            v = str(values.iat[position])
            expected[position] = pick(
                lang,
                f"một đơn vị có hiệu lực vào ngày của dòng ({found[day_column]}); mã {v} có hiệu lực {spans.get(v, '')}",
                f"a unit in force on the row's date ({found[day_column]}); code {v} is in force {spans.get(v, '')}",
            )
        problems.add(bad_day, header, expected)
    out["unit_code"] = pd.Series(keys.to_numpy(dtype=object), index=values.index).where(present, None)


def _day_text(value) -> str:
    return "…" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def _check_steps(found, out, problems: _Problems, lang: str) -> None:
    """A step does not finish before it starts, nor overlap the step before it."""
    started, finished = out["started_at"], out.get("finished_at")
    if finished is not None:
        bad = ~np.isnat(finished) & ~np.isnat(started) & (finished < started)
        problems.add(
            bad,
            found["finished_at"],
            pick(lang, f"thời gian kết thúc không trước thời gian bắt đầu ({found['started_at']})", f"an end not before the start ({found['started_at']})"),
        )
    else:
        finished = np.full(len(started), np.datetime64("NaT"), dtype="datetime64[us]")
    frame = pd.DataFrame({"dossier": out["dossier_code"].to_numpy(dtype=object), "order": out["step_order"].to_numpy(), "start": started, "end": finished})
    frame = frame.sort_values(["dossier", "order"], kind="stable")
    same = frame["dossier"].eq(frame["dossier"].shift())
    previous_end = frame["end"].shift()
    previous_open = same & frame["end"].shift().isna() & frame["dossier"].shift().notna()
    overlap = same & ((frame["start"] < previous_end) | previous_open)
    mask = np.zeros(len(started), dtype=bool)
    mask[frame.index[overlap.to_numpy()]] = True
    problems.add(
        mask,
        found["started_at"],
        pick(lang, "bắt đầu sau khi bước trước của cùng hồ sơ đã kết thúc (không chồng lấn)", "a start after the dossier's previous step ended (no overlap)"),
    )


def _check_rules(spec, found, out, problems: _Problems, lang: str) -> None:
    if spec.name == "steps":
        _check_steps(found, out, problems, lang)
        return
    if spec.name != "dossiers":
        return

    def before(later: str, earlier: str, vi: str, en: str):
        if later in out and earlier in out:
            a, b = out[later], out[earlier]
            bad = ~np.isnat(a) & ~np.isnat(b) & (a < b)
            problems.add(bad, found[later], pick(lang, vi, en))

    before(
        "finished_at",
        "received_at",
        f"ngày hoàn thành không trước ngày tiếp nhận ({found['received_at']})",
        f"a finish time not before the received time ({found['received_at']})",
    )
    before(
        "closed_at",
        "received_at",
        f"ngày rút/dừng không trước ngày tiếp nhận ({found['received_at']})",
        f"a closing time not before the received time ({found['received_at']})",
    )
    before(
        "due_at",
        "received_at",
        f"ngày hẹn trả không trước ngày tiếp nhận ({found['received_at']})",
        f"a due date not before the received time ({found['received_at']})",
    )
    if "finished_at" in found:
        before(
            "returned_at",
            "finished_at",
            f"ngày trả kết quả không trước ngày hoàn thành ({found['finished_at']})",
            f"a return time not before the finish time ({found['finished_at']})",
        )
    status = out["status"].to_numpy()
    finished_status = np.isin(status, vocab.FINISHED_STATUSES)
    finished_at = out.get("finished_at")
    no_finish = np.isnat(finished_at) if finished_at is not None else np.ones(len(status), dtype=bool)
    problems.add(
        finished_status & no_finish,
        found.get("finished_at", found["status"]),
        pick(
            lang,
            "ngày hoàn thành cho hồ sơ trạng thái 9/10 (đã xử lý xong / đã trả kết quả)",
            "a finish time for a dossier with status 9/10 (processed / result returned)",
        ),
        values=pd.Series(np.where(no_finish, "", "")) if "finished_at" not in found else None,
    )


def _check_duplicates(spec, found, out, raw: RawTable, problems: _Problems, lang: str) -> None:
    key = out[spec.key]
    if spec.name == "steps":  # a dossier has many steps: one row per (dossier, order)
        key = key + "#" + out["step_order"].astype(str)
    present = key.notna().to_numpy()
    duplicated = key.duplicated(keep="first").to_numpy() & present
    if not duplicated.any():
        return
    first_row = pd.Series(raw.row_numbers).groupby(key.to_numpy(dtype=object), dropna=False).transform("min").to_numpy(dtype=np.int64)
    expected = np.char.add(
        pick(lang, "mã chưa dùng ở dòng trên; đã có ở dòng ", "a code not used by an earlier row; already on row "), first_row.astype(str)
    ).astype(object)
    problems.add(duplicated, found[spec.key], expected)


# --- surveys (independent survey results: metrics/surveys.py) ----------------------------------
def _survey_lookup(kind: str, table: dict, expected_vi: str, expected_en: str):
    def check(target, header, text, empty, out, problems, mapping, lang):
        labels = {code: (values[0], values[1]) for code, values in table.items()}
        lookup = _label_map(labels, mapping.aliases.get(kind))
        mapped, bad = _lookup(text.str.replace("%", " phan tram ", regex=False), lookup)
        problems.add(bad, header, pick(lang, expected_vi, expected_en))
        out[target] = mapped.where(~pd.Series(empty, index=text.index), None)

    return check


def _read_number(text: pd.Series) -> pd.Series:
    """86,50 / 86.50 / 1.234,5 / 1,234.5 / 83,94 % -> float: the last of . and , is the decimal mark."""
    cleaned = text.str.replace(r"\s|%", "", regex=True)
    both = cleaned.str.contains(".", regex=False) & cleaned.str.contains(",", regex=False)
    comma_last = cleaned.str.rfind(",") > cleaned.str.rfind(".")
    vietnamese = cleaned.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    english = cleaned.str.replace(",", "", regex=False)
    only_comma = cleaned.str.replace(",", ".", regex=False)
    chosen = np.where(both & comma_last, vietnamese, np.where(both, english, only_comma))
    return pd.to_numeric(pd.Series(chosen, index=text.index), errors="coerce")


def _check_number(target, header, text, empty, out, problems, mapping, lang):
    numbers = _read_number(text)
    problems.add(~empty & numbers.isna().to_numpy(), header, pick(lang, "một số (86,50 hoặc 86.50)", "a number (86,50 or 86.50)"))
    out[target] = numbers


def _check_count(target, header, text, empty, out, problems, mapping, lang):
    numbers = pd.to_numeric(text.str.replace(r"[\s.,]", "", regex=True), errors="coerce")
    bad = ~empty & (numbers.isna() | (numbers < 0) | (numbers > 10**9)).to_numpy(dtype=bool)
    problems.add(bad, header, pick(lang, "số nguyên từ 0 (36.525 hoặc 36525)", "a whole number from 0 (36,525 or 36525)"))
    out[target] = numbers.astype("Int64")


def _check_period(target, header, text, empty, out, problems, mapping, lang):
    from metrics.periods import parse_period

    parsed = {}
    for value in pd.unique(text):
        try:
            parsed[value] = parse_period(str(value))
        except ValueError:
            parsed[value] = None
    found = text.map(parsed)
    problems.add(
        ~empty & found.isna().to_numpy(),
        header,
        pick(lang, "năm (2024) hoặc kỳ (2024-Q3, 2024-09, 2024-H1)", "a year (2024) or a period (2024-Q3, 2024-09, 2024-H1)"),
    )
    out[target] = found.map(lambda p: p.key if p is not None else None)
    out["period_start"] = found.map(lambda p: p.start if p is not None else None)
    out["period_end"] = found.map(lambda p: p.end if p is not None else None)


def _check_province(target, header, text, empty, out, problems, mapping, lang):
    upper = text.str.upper()
    national = upper.map(lambda v: normalise(v) in ("vn", "ca nuoc", "toan quoc", "viet nam"))
    value = upper.where(~national, "VN")
    bad = ~empty & ~value.str.fullmatch(r"VN|[0-9]{2}").fillna(False).to_numpy(dtype=bool)
    problems.add(
        bad,
        header,
        pick(
            lang,
            "mã tỉnh 2 chữ số theo danh mục của Tổng cục Thống kê (79, 01) hoặc VN cho cả nước",
            "a 2-digit GSO province code (79, 01) or VN for the whole country",
        ),
    )
    out[target] = value


def _check_link(target, header, text, empty, out, problems, mapping, lang):
    bad = ~empty & ~text.str.fullmatch(r"https?://\S{3,}").fillna(False).to_numpy(dtype=bool)
    long = text.str.len().to_numpy(dtype="int64", na_value=0) > 500
    problems.add(
        bad | long,
        header,
        pick(
            lang,
            "một địa chỉ http:// hoặc https:// không có khoảng trắng (tối đa 500 ký tự)",
            "an http:// or https:// address without spaces (at most 500 characters)",
        ),
    )
    out[target] = text.where(~pd.Series(empty, index=text.index), None)


def _survey_kinds() -> dict:
    from metrics import surveys

    return {
        "survey_source": _survey_lookup(
            "survey_source",
            surveys.SOURCES,
            "SIPAS, PAPI, PAR Index, MTTQ (Mặt trận Tổ quốc) hoặc Khảo sát của thành phố",
            "SIPAS, PAPI, PAR Index, MTTQ (Fatherland Front) or city",
        ),
        "survey_indicator": _survey_lookup(
            "survey_indicator", surveys.INDICATORS, "một chỉ tiêu: " + ", ".join(surveys.INDICATORS), "an indicator: " + ", ".join(surveys.INDICATORS)
        ),
        "survey_scale": _survey_lookup(
            "survey_scale", surveys.SCALES, "percent (%), score (điểm), rank (hạng) hoặc count (người)", "percent (%), score, rank or count"
        ),
        "number": _check_number,
        "count": _check_count,
        "period": _check_period,
        "province": _check_province,
        "link": _check_link,
    }


SURVEY_KINDS = _survey_kinds()


def _check_survey_rules(found, out, raw: RawTable, problems: _Problems, lang: str, reference: Reference) -> None:
    """Scales and ranges, unit-level rows inside a province, PAPI dimensions, one row per figure."""
    from metrics import surveys

    indicator = out["indicator"]
    own_scale = indicator.map(lambda i: surveys.INDICATORS[i][2] if i in surveys.INDICATORS else None)
    scale = out.get("scale")
    if scale is None:
        scale = own_scale
    else:
        mismatch = (scale.notna() & own_scale.notna() & (scale != own_scale)).to_numpy(dtype=bool)
        expected = np.asarray([pick(lang, f"thang đo của chỉ tiêu: {s}", f"the indicator's scale: {s}") for s in own_scale.fillna("")], dtype=object)
        problems.add(mismatch, found["scale"], expected)
        scale = scale.fillna(own_scale)
    out["scale"] = scale
    value = out["value"]
    scale_max = out.get("scale_max", pd.Series(np.nan, index=value.index))
    header = found["value"]
    ranged = value.notna().to_numpy()
    percent = (scale == "percent").to_numpy()
    problems.add(
        ranged & percent & ~value.between(0, 100).to_numpy(),
        header,
        pick(lang, "tỷ lệ phần trăm từ 0 đến 100 (83,94 chứ không phải 0,8394)", "a percentage from 0 to 100 (83.94, not 0.8394)"),
    )
    whole = (scale.isin(["rank", "count"])).to_numpy()
    problems.add(
        ranged & whole & ((value % 1 != 0) | (value < (scale == "rank").astype(int))).to_numpy(),
        header,
        pick(lang, "số nguyên (hạng từ 1)", "a whole number (ranks from 1)"),
    )
    over = ranged & scale_max.notna().to_numpy() & (value > scale_max).to_numpy() & ~percent
    problems.add(over, header, pick(lang, "không lớn hơn thang tối đa", "not above the scale maximum"))
    if "unit_code" in found:
        national_unit = (out["unit_code"].notna() & (out["province_code"] == surveys.NATIONAL)).to_numpy(dtype=bool)
        problems.add(
            national_unit,
            found["unit_code"],
            pick(lang, "để trống khi khảo sát cả nước (VN); một đơn vị thuộc một tỉnh", "empty for a national (VN) row; a unit belongs to a province"),
        )
        province = out["unit_code"].map(reference.province_of)
        elsewhere = (province.notna() & ~national_unit & (province != out["province_code"])).to_numpy(dtype=bool)
        expected = np.asarray(
            [
                pick(lang, f"một đơn vị của tỉnh mã {p} (cột Mã tỉnh)", f"a unit of province {p} (the province code column)")
                for p in out["province_code"].fillna("")
            ],
            dtype=object,
        )
        problems.add(elsewhere, found["unit_code"], expected)
    dimension = out.get("dimension", pd.Series(None, index=value.index, dtype=object))
    out["dimension"] = dimension
    needs_dimension = ((indicator == "papi_dimension") & dimension.isna()).to_numpy(dtype=bool)
    problems.add(
        needs_dimension,
        found.get("dimension", found["indicator"]),
        pick(lang, "tên nội dung PAPI ở cột Nội dung", "the PAPI dimension's name in the Nội dung column"),
    )
    unit = out.get("unit_code", pd.Series(None, index=value.index, dtype=object))
    out["unit_code"] = unit
    keys = [surveys.survey_key(*parts) for parts in zip(out["source"], out["period"], out["province_code"], unit, indicator, dimension)]
    out["survey_key"] = pd.Series(keys, index=value.index, dtype=object)
    key = out["survey_key"]
    duplicated = key.duplicated(keep="first").to_numpy()
    if duplicated.any():
        first_row = pd.Series(raw.row_numbers).groupby(key.to_numpy(dtype=object)).transform("min").to_numpy(dtype=np.int64)
        expected = np.char.add(
            pick(
                lang,
                "một số liệu chưa có ở dòng trên (cùng nguồn, kỳ, địa bàn, chỉ tiêu, nội dung); đã có ở dòng ",
                "a figure not given by an earlier row (same source, period, area, indicator, dimension); already on row ",
            ),
            first_row.astype(str),
        ).astype(object)
        problems.add(duplicated, found["indicator"], expected)
