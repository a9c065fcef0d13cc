"""Reading and checking a ratings or dossiers export before anything is written (no SQL).

    read_file(file, name, mapping, lang, progress)      -> RawTable (every cell as text)
    validate(spec, raw, reference, mapping, options, name, lang) -> Checked (typed frame + problems)

A file is refused as a whole (`FileRejected`, with a message that says what to do) when
it cannot be read: too large, empty, header only, not UTF-8, binary, old .xls, Excel
formulas, missing required columns, rows with the wrong number of cells. Otherwise every
cell is checked and each problem is reported with the row as in the file (the header is
row 1), the column as in the file, the value, and what was expected. See docs/ingest.md.

Pure Python + pandas/pyarrow: the write path is data_access/ingest.py.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from domain import vocab

MAPPING_PATH = Path(__file__).resolve().parent / "ingest_mapping.toml"
MAPPING_ENV_VAR = "DASHBOARD_INGEST_MAPPING"
SOURCES = ("ratings", "dossiers", "steps", "surveys")
UTF8_BOM = codecs.BOM_UTF8
Progress = Callable[[float, str], None]
TEXT = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default "str": comparisons give numpy bools

# Database column lengths (data_access/schema.py), so an over-long value is a clear
# problem in the report and never a driver error halfway through a transaction.
COLUMN_LENGTHS = {
    "ratings": {"source_key": 64, "unit_code": 32, "officer_code": 32, "dossier_code": 64, "channel": 16},
    "dossiers": {"code": 64, "unit_code": 32, "procedure_code": 32, "field_code": 32, "officer_code": 32},
    "surveys": {"unit_code": 32, "dimension": 200, "link": 500},
    "steps": {"dossier_code": 64, "officer_code": 32, "department": 200},
}
# Event columns that cannot lie in the future (due dates can).
EVENT_COLUMNS = {"started_at", "rated_at", "received_at", "finished_at", "returned_at", "updated_at", "apology_issued_at", "closed_at"}


def _m(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi


class FileRejected(ValueError):
    """The file as a whole cannot be imported; `str(error)` says why and what to do."""


# --- mapping --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnSpec:
    name: str
    headers: tuple[str, ...]
    required: bool
    kind: str
    max_length: int | None


@dataclass(frozen=True)
class SourceSpec:
    name: str
    key: str
    columns: dict[str, ColumnSpec]


@dataclass(frozen=True)
class Limits:
    max_file_mb: float = 250
    max_text_length: int = 2000
    max_problems_listed: int = 10_000
    max_rejected_rows: int = 100_000
    # An .xlsx is a zip: its size on disk says little about what reading it costs. These are
    # checked before any XML is parsed (a 1 MB file can hold a 1 GiB cell).
    max_xlsx_unpacked_mb: float = 1024
    max_xlsx_ratio: float = 100  # unpacked / packed, for any part larger than 1 MB unpacked
    max_xlsx_rows: int = 1_048_576  # Excel's own limit per sheet
    max_xlsx_columns: int = 1_000
    code_pattern: str = r"^[0-9A-Za-z][0-9A-Za-z._/:\-]*$"
    earliest_date: date = date(2000, 1, 1)
    future_days: int = 1

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)


@dataclass(frozen=True)
class Mapping:
    sources: dict[str, SourceSpec]
    limits: Limits
    aliases: dict[str, dict[str, object]]
    path: str


def normalise(text: object) -> str:
    """Lower case, no Vietnamese diacritics (đ -> d), punctuation and underscores as one space."""
    value = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Mn").lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", value).split())


def load_mapping(path: str | os.PathLike | None = None) -> Mapping:
    """The column mapping: `path`, else $DASHBOARD_INGEST_MAPPING, else data_access/ingest_mapping.toml."""
    path = Path(path or os.environ.get(MAPPING_ENV_VAR) or MAPPING_PATH)
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    limits_raw = dict(raw.get("limits", {}))
    limits = Limits(**limits_raw)
    sources = {}
    for source in SOURCES:
        section = raw[source]
        lengths = COLUMN_LENGTHS[source]
        columns = {}
        for name, spec in section["columns"].items():
            kind = spec.get("kind", "code")
            max_length = spec.get("max_length") or (limits.max_text_length if kind == "text" else lengths.get(name))
            columns[name] = ColumnSpec(name, tuple(spec["headers"]), bool(spec.get("required", False)), kind, max_length)
        sources[source] = SourceSpec(source, section["key"], columns)
    aliases = {kind: {normalise(k): v for k, v in table.items()} for kind, table in raw.get("aliases", {}).items()}
    return Mapping(sources, limits, aliases, str(path))


# --- reading --------------------------------------------------------------------------------
@dataclass
class RawTable:
    """The file's cells as text, with the row numbers as in the file (header row = 1 for CSV)."""

    kind: str  # "csv" / "xlsx"
    headers: list[str]
    frame: pd.DataFrame  # columns named as in the file, all text ("" for empty cells)
    row_numbers: np.ndarray
    encoding_note: str = ""
    delimiter: str = ","
    header_row: int = 1


def _size_of(file) -> int:
    if isinstance(file, (str, os.PathLike)):
        return os.path.getsize(file)
    if isinstance(file, (bytes, bytearray, memoryview)):
        return len(file)
    if hasattr(file, "size") and isinstance(file.size, int):
        return file.size
    position = file.tell()
    file.seek(0, io.SEEK_END)
    size = file.tell()
    file.seek(position)
    return size


def _open_binary(file):
    if isinstance(file, (str, os.PathLike)):
        return open(file, "rb")
    if isinstance(file, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(file))
    file.seek(0)
    return _NoClose(file)


class _NoClose(io.RawIOBase):
    """A view of a caller's binary file that leaves it open (Streamlit's UploadedFile)."""

    def __init__(self, inner):
        self.inner = inner

    def readable(self):
        return True

    def seekable(self):
        return True

    def read(self, size=-1):
        return self.inner.read(size)

    def readinto(self, buffer):
        data = self.inner.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset, whence=io.SEEK_SET):
        return self.inner.seek(offset, whence)

    def tell(self):
        return self.inner.tell()

    def close(self):
        pass


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def read_file(file, name: str, mapping: Mapping, lang: str = "vi", progress: Progress | None = None) -> RawTable:
    """Read a CSV or .xlsx file (a path, bytes or a binary file object) into a RawTable."""
    progress = progress or (lambda fraction, message: None)
    limits = mapping.limits
    size = _size_of(file)
    if size > limits.max_file_bytes:
        raise FileRejected(
            _m(
                lang,
                f"Tệp {name} dung lượng {_mb(size)}, vượt giới hạn {limits.max_file_mb:g} MB. Hãy tách thành nhiều tệp nhỏ hơn (ví dụ theo tháng).",
                f"File {name} is {_mb(size)}, over the {limits.max_file_mb:g} MB limit. Split it into smaller files (by month, for example).",
            )
        )
    if size == 0:
        raise FileRejected(_m(lang, f"Tệp {name} rỗng (0 byte).", f"File {name} is empty (0 bytes)."))
    with _open_binary(file) as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(file, name, mapping, lang, progress)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(
            _m(
                lang,
                f"Tệp {name} là Excel 97-2003 (.xls), không được hỗ trợ. Hãy mở bằng Excel và lưu lại dạng .xlsx hoặc CSV UTF-8.",
                f"File {name} is an Excel 97-2003 workbook (.xls), which is not supported. Open it in Excel and save it as .xlsx or CSV UTF-8.",
            )
        )
    return _read_csv(file, name, size, limits, lang, progress)


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_text_bytes(file, name: str, size: int, lang: str, progress: Progress) -> tuple[bool, bytes]:
    """Whole-file check: UTF-8 (BOM allowed), no NUL bytes. Returns (has_bom, first block)."""
    save_msg = _m(
        lang,
        "Trong Excel chọn Lưu thành (Save As) > 'CSV UTF-8 (Comma delimited) (*.csv)', rồi tải lại tệp.",
        "In Excel choose Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', then upload the file again.",
    )
    block_size = 16 * 1024 * 1024
    with _open_binary(file) as handle:
        first = handle.read(block_size)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileRejected(
                _m(lang, f"Tệp {name} được mã hóa UTF-16 ('Unicode Text'), không phải UTF-8. ", f"File {name} is encoded as UTF-16 ('Unicode Text'), not UTF-8. ")
                + save_msg
            )
        has_bom = first.startswith(UTF8_BOM)
        decoder = codecs.getincrementaldecoder("utf-8")()
        block, offset, lines = first, 0, 1
        while block:
            nul = block.find(b"\x00")
            if nul >= 0:
                line = lines + block.count(b"\n", 0, nul)
                raise FileRejected(
                    _m(
                        lang,
                        f"Tệp {name} không phải tệp văn bản CSV (có byte nhị phân 0x00 ở dòng {line}). Hãy tải lên tệp .csv hoặc .xlsx xuất từ hệ thống.",
                        f"File {name} is not a CSV text file (binary byte 0x00 on line {line}). Upload the .csv or .xlsx exported by the system.",
                    )
                )
            try:
                decoder.decode(block, final=False)
            except UnicodeDecodeError as error:
                bad = block[error.start : error.start + 4]
                line = lines + block.count(b"\n", 0, error.start)
                guess = ""
                try:
                    snippet = block[max(0, error.start - 20) : error.start + 20].decode("cp1258")
                    guess = _m(lang, f" (đọc theo Windows-1258: «{snippet.strip()}»)", f" (read as Windows-1258: «{snippet.strip()}»)")
                except UnicodeDecodeError:
                    pass
                raise FileRejected(
                    _m(
                        lang,
                        f"Tệp {name} không phải UTF-8: dòng {line} có byte {bad!r}{guess}. Có thể tệp được lưu bằng bảng mã Windows-1258/1252 hoặc TCVN3. ",
                        f"File {name} is not UTF-8: line {line} has bytes {bad!r}{guess}. It was probably saved as Windows-1258/1252 or TCVN3. ",
                    )
                    + save_msg
                ) from None
            lines += block.count(b"\n")
            offset += len(block)
            progress(0.15 * offset / max(size, 1), _m(lang, "Đang kiểm tra bảng mã…", "Checking the encoding…"))
            block = handle.read(block_size)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRejected(_m(lang, f"Tệp {name} kết thúc giữa một ký tự UTF-8 (tệp bị cắt?). ", f"File {name} ends in the middle of a UTF-8 character (truncated?). ") + save_msg) from None
    return has_bom, first


def _dedupe_check(headers: list[str], name: str, lang: str) -> None:
    seen = {}
    for position, header in enumerate(headers, start=1):
        if header in seen:
            raise FileRejected(
                _m(
                    lang,
                    f"Tệp {name}: cột «{header}» xuất hiện hai lần (cột {seen[header]} và {position}) ở dòng tiêu đề.",
                    f"File {name}: column «{header}» appears twice in the header (columns {seen[header]} and {position}).",
                )
            )
        seen[header] = position


def _read_csv(file, name: str, size: int, limits: Limits, lang: str, progress: Progress) -> RawTable:
    import pyarrow.csv as pacsv

    has_bom, first = _check_text_bytes(file, name, size, lang, progress)
    text = first[len(UTF8_BOM) :] if has_bom else first
    header_line = text.split(b"\n", 1)[0].decode("utf-8", errors="replace").rstrip("\r")
    if not header_line.strip():
        raise FileRejected(_m(lang, f"Tệp {name} không có dòng tiêu đề (dòng 1 trống).", f"File {name} has no header row (line 1 is blank)."))
    counts = {d: header_line.count(d) for d in (",", ";", "\t")}
    delimiter = max(counts, key=counts.get) if max(counts.values()) > 0 else ","
    headers = [h.strip() for h in next(csv.reader([header_line], delimiter=delimiter))]
    _dedupe_check(headers, name, lang)
    bad_rows: list[tuple[int | None, int, str]] = []

    def on_invalid(row):
        bad_rows.append((row.number, row.actual_columns, row.text))
        return "skip"

    read_options = pacsv.ReadOptions(
        column_names=[f"c{i}" for i in range(len(headers))],
        skip_rows=1,
        block_size=8 * 1024 * 1024,
        use_threads=True,
        encoding="utf8",
    )
    parse_options = pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid)
    convert_options = pacsv.ConvertOptions(
        column_types={f"c{i}": pa.string() for i in range(len(headers))},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    batches = []
    with _open_binary(file) as handle:
        if has_bom:
            handle.read(len(UTF8_BOM))
        reader = pacsv.open_csv(handle, read_options=read_options, parse_options=parse_options, convert_options=convert_options)
        for batch in reader:
            batches.append(batch)
            done = handle.tell() if hasattr(handle, "tell") else size
            progress(0.15 + 0.25 * min(done / max(size, 1), 1.0), _m(lang, f"Đang đọc tệp… {sum(b.num_rows for b in batches):,} dòng", f"Reading the file… {sum(b.num_rows for b in batches):,} rows"))
    if bad_rows:
        if any(number is None for number, _a, _t in bad_rows[:10]):
            # The threaded reader does not number rows: find the first ones in the file.
            with _open_binary(file) as handle:
                data = handle.read()
            located = []
            for number, actual, row_text in bad_rows[:10]:
                offset = data.find(row_text.encode("utf-8")) if number is None else -1
                located.append((_line_of(data, offset) if offset >= 0 else number, actual, row_text))
            bad_rows[:10] = located
        details = "; ".join(
            _m(lang, f"dòng {number or '?'}: {actual} ô, cần {len(headers)}", f"line {number or '?'}: {actual} cells, expected {len(headers)}")
            for number, actual, _text in bad_rows[:10]
        )
        more = len(bad_rows) - 10
        raise FileRejected(
            _m(
                lang,
                f"Tệp {name}: {len(bad_rows):,} dòng có số ô khác dòng tiêu đề ({details}{'; …' if more > 0 else ''}). Kiểm tra dấu phân cách «{delimiter}» và dấu ngoặc kép trong các ô.",
                f"File {name}: {len(bad_rows):,} rows have a different number of cells from the header ({details}{'; …' if more > 0 else ''}). Check the «{delimiter}» separator and quotes in the cells.",
            )
        )
    table = pa.Table.from_batches(batches, schema=reader.schema) if batches else None
    if table is None or table.num_rows == 0:
        raise FileRejected(_m(lang, f"Tệp {name} chỉ có dòng tiêu đề, không có dòng số liệu nào.", f"File {name} has a header row but no data rows."))
    frame = table.to_pandas(types_mapper=lambda _t: TEXT)
    frame.columns = headers
    row_numbers = np.arange(2, len(frame) + 2, dtype=np.int64)
    note = _m(lang, "UTF-8 có BOM", "UTF-8 with BOM") if has_bom else "UTF-8"
    return RawTable("csv", headers, frame, row_numbers, note, delimiter, 1)


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _check_xlsx_package(file, name: str, limits: Limits, lang: str) -> None:
    """Refuse a zip bomb before reading: the unpacked size of the parts (as the zip declares
    it; Python's zipfile never reads more than that) and how far any big part is compressed."""
    import zipfile

    def refuse(vi: str, en: str) -> FileRejected:
        return FileRejected(_m(lang, f"Tệp Excel {name} {vi} Hãy lưu lại dạng CSV UTF-8 hoặc tách thành nhiều tệp nhỏ hơn.",
                               f"The Excel file {name} {en} Save it as CSV UTF-8 or split it into smaller files."))

    with _open_binary(file) as handle:
        try:
            parts = zipfile.ZipFile(handle).infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise FileRejected(_m(lang, f"Không đọc được tệp Excel {name} (tệp nén hỏng: {error}). Hãy lưu lại dạng .xlsx hoặc CSV UTF-8.",
                                  f"Cannot read the Excel file {name} (broken zip: {error}). Save it again as .xlsx or CSV UTF-8.")) from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_xlsx_unpacked_mb * 1024 * 1024:
        raise refuse(f"giải nén ra {_mb(unpacked)}, vượt giới hạn {limits.max_xlsx_unpacked_mb:g} MB.",
                     f"unpacks to {_mb(unpacked)}, over the {limits.max_xlsx_unpacked_mb:g} MB limit.")
    for part in parts:
        if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
            rows = _count_rows(file, part.filename)
            if rows > limits.max_xlsx_rows:
                raise refuse(f"có {rows:,} dòng, quá {limits.max_xlsx_rows:,} dòng.", f"has {rows:,} rows, more than {limits.max_xlsx_rows:,}.")
        if part.file_size > 1024 * 1024 and part.file_size > limits.max_xlsx_ratio * max(part.compress_size, 1):
            raise refuse(f"có phần {part.filename[:60]} nén {part.file_size / max(part.compress_size, 1):,.0f} lần (giới hạn {limits.max_xlsx_ratio:g}): không giống tệp xuất từ hệ thống.",
                         f"has a part {part.filename[:60]} compressed {part.file_size / max(part.compress_size, 1):,.0f} times (limit {limits.max_xlsx_ratio:g}): not like a system export.")


_ROW_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,20}:)?row[\s>/]")


def _count_rows(file, part_name: str) -> int:
    """How many <row> elements a worksheet holds, counted in the unpacked stream in 16 MB
    pieces (no XML parsing, little memory): millions of rows are refused in seconds."""
    import zipfile

    count, tail = 0, b""
    with _open_binary(file) as handle, zipfile.ZipFile(handle).open(part_name) as stream:
        while chunk := stream.read(16 * 1024 * 1024):
            data = tail + chunk
            count += len(_ROW_TAG.findall(data))
            tail = data[-32:]
            count -= len(_ROW_TAG.findall(tail))  # counted again with the next piece
    return count + len(_ROW_TAG.findall(tail))


def _broken_xlsx(name: str, lang: str, error: BaseException) -> FileRejected:
    detail = str(error).splitlines()[0][:200] if str(error) else type(error).__name__
    return FileRejected(_m(lang, f"Không đọc được tệp Excel {name}: nội dung bị hỏng ({detail}). Hãy mở bằng Excel, lưu lại dạng .xlsx hoặc CSV UTF-8.",
                           f"Cannot read the Excel file {name}: its content is broken ({detail}). Open it in Excel and save it again as .xlsx or CSV UTF-8."))


def _read_xlsx(file, name: str, mapping: Mapping, lang: str, progress: Progress) -> RawTable:
    """First worksheet; the header is the first of the first 20 rows with two known headers
    (any row when no header is known). Formula cells are refused (see docs/ingest.md).
    Broken XML or zip data is a FileRejected with a clear message, never a traceback."""
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError

    _check_xlsx_package(file, name, mapping.limits, lang)
    try:
        return _read_xlsx_rows(file, name, mapping, lang, progress)
    except (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, TypeError, AttributeError) as error:
        raise _broken_xlsx(name, lang, error) from None


def _read_xlsx_rows(file, name: str, mapping: Mapping, lang: str, progress: Progress) -> RawTable:
    import zipfile

    from openpyxl import load_workbook

    limits = mapping.limits
    known = {normalise(h) for spec in mapping.sources.values() for c in spec.columns.values() for h in c.headers}
    handle = _open_binary(file)
    try:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=False)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
            raise FileRejected(
                _m(lang, f"Không đọc được tệp Excel {name} ({error}). Hãy lưu lại dạng .xlsx hoặc CSV UTF-8.", f"Cannot read the Excel file {name} ({error}). Save it again as .xlsx or CSV UTF-8.")
            ) from None
        sheet = workbook.worksheets[0]
        total = sheet.max_row or 0
        all_rows: list[tuple[int, list[str]]] = []
        formulas: list[str] = []
        for index, cells in enumerate(sheet.iter_rows(), start=1):
            if index > limits.max_xlsx_rows or len(cells) > limits.max_xlsx_columns:
                raise FileRejected(_m(
                    lang,
                    f"Tệp Excel {name} có quá {limits.max_xlsx_rows:,} dòng hoặc {limits.max_xlsx_columns:,} cột. Hãy tách thành nhiều tệp nhỏ hơn hoặc lưu dạng CSV UTF-8.",
                    f"The Excel file {name} has more than {limits.max_xlsx_rows:,} rows or {limits.max_xlsx_columns:,} columns. Split it into smaller files or save it as CSV UTF-8.",
                ))
            texts = []
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(f"{getattr(cell, 'coordinate', '?')} {str(cell.value)[:40]}" if len(formulas) < 10 else "")
                texts.append(_cell_text(cell.value).strip())
            if any(texts):
                all_rows.append((index, texts))
            if index % 20000 == 0:
                progress(0.4 * index / max(total, 1), _m(lang, f"Đang đọc Excel… {index:,} dòng", f"Reading Excel… {index:,} rows"))
        headers: list[str] | None = None
        header_at = 0
        for position, (_index, texts) in enumerate(all_rows[:20]):
            if sum(normalise(t) in known for t in texts) >= 2:
                header_at = position
                break
        rows: list[list[str]] = []
        numbers: list[int] = []
        header_row = 1
        if all_rows:
            header_row, headers = all_rows[header_at]
            headers = list(headers)
            while headers and not headers[-1]:
                headers.pop()
            width = len(headers)
            for index, texts in all_rows[header_at + 1 :]:
                rows.append((texts + [""] * width)[:width])
                numbers.append(index)
        workbook.close()
    finally:
        handle.close()
    if formulas:
        shown = ", ".join(f for f in formulas[:10] if f)
        raise FileRejected(
            _m(
                lang,
                f"Tệp {name} có {len(formulas):,} ô chứa công thức ({shown}). Giá trị của công thức có thể đã cũ, nên không được nhập. Hãy sao chép và dán đặc biệt dạng giá trị (Paste Special > Values) hoặc xuất lại từ hệ thống.",
                f"File {name} has {len(formulas):,} cells with formulas ({shown}). Their stored results may be stale, so they are not imported. Copy and Paste Special > Values, or export again from the system.",
            )
        )
    if headers is None:
        raise FileRejected(_m(lang, f"Tệp {name} không có dữ liệu (trang tính đầu tiên trống).", f"File {name} holds no data (the first worksheet is empty)."))
    _dedupe_check(headers, name, lang)
    if not rows:
        raise FileRejected(_m(lang, f"Tệp {name} chỉ có dòng tiêu đề, không có dòng số liệu nào.", f"File {name} has a header row but no data rows."))
    frame = pd.DataFrame(rows, columns=headers, dtype=TEXT)
    return RawTable("xlsx", headers, frame, np.asarray(numbers, dtype=np.int64), "Excel (.xlsx)", "", header_row)


# --- mapping the headers ---------------------------------------------------------------------
def map_headers(spec: SourceSpec, headers: list[str], name: str, lang: str = "vi") -> tuple[dict[str, str], list[str]]:
    """{target column: header in the file}, and the file's headers that map to nothing."""
    by_header = {}
    for column in spec.columns.values():
        for header in column.headers:
            by_header.setdefault(normalise(header), column.name)
    found: dict[str, str] = {}
    ignored = []
    for header in headers:
        target = by_header.get(normalise(header))
        if target is None:
            ignored.append(header)
        elif target in found:
            raise FileRejected(
                _m(
                    lang,
                    f"Tệp {name}: hai cột «{found[target]}» và «{header}» cùng là «{target}». Hãy xóa hoặc đổi tên một cột.",
                    f"File {name}: columns «{found[target]}» and «{header}» both mean «{target}». Remove or rename one of them.",
                )
            )
        else:
            found[target] = header
    missing = [c for c in spec.columns.values() if c.required and c.name not in found]
    if missing:
        lines = "; ".join(f"{c.name} ({' / '.join(c.headers[:3])})" for c in missing)
        raise FileRejected(
            _m(
                lang,
                f"Tệp {name} thiếu cột bắt buộc: {lines}. Các cột trong tệp: {', '.join(headers)}. Tên cột được chấp nhận xem docs/ingest.md.",
                f"File {name} lacks required columns: {lines}. Columns in the file: {', '.join(headers)}. Accepted header names: see docs/ingest.md.",
            )
        )
    return found, ignored


# --- value parsing -----------------------------------------------------------------------------
_DMY = (
    r"^(?:(?P<h1>\d{1,2}):(?P<n1>\d{1,2})(?::(?P<s1>\d{1,2}))?\s+)?(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})"
    r"(?:[ T]+(?P<h2>\d{1,2}):(?P<n2>\d{1,2})(?::(?P<s2>\d{1,2})(?:[.,](?P<f>\d{1,6}))?)?)?$"
)
_ISO = r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]+(?P<h>\d{1,2}):(?P<n>\d{1,2})(?::(?P<s>\d{1,2})(?:[.,](?P<f>\d{1,6}))?)?)?$"
_SERIAL = r"^\d{1,7}(?:\.\d+)?$"
DATE_FORMATS_TEXT = "dd/mm/yyyy [HH:MM[:SS]], HH:MM dd/mm/yyyy, yyyy-mm-dd [HH:MM[:SS]] (ISO), Excel"


def _ints(struct: pa.StructArray, index: int) -> np.ndarray:
    values = pc.struct_field(struct, [index])
    values = pc.if_else(pc.equal(values, ""), "0", values)
    return pc.cast(pc.fill_null(values, "0"), pa.int64()).to_numpy(zero_copy_only=False)


def _fraction_us(struct: pa.StructArray, index: int) -> np.ndarray:
    values = pc.fill_null(pc.struct_field(struct, [index]), "")
    padded = pc.utf8_rpad(values, 6, "0")
    return pc.cast(pc.utf8_slice_codeunits(padded, 0, 6), pa.int64()).to_numpy(zero_copy_only=False)


def _days_from_civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 (proleptic Gregorian), vectorised (H. Hinnant's algorithm)."""
    y = y - (m <= 2)
    era = np.floor_divide(y, 400)
    yoe = y - era * 400
    mp = (m + 9) % 12
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def _days_in_month(y: np.ndarray, m: np.ndarray) -> np.ndarray:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    table = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31])
    return table[np.clip(m, 1, 12) - 1] + ((m == 2) & leap)


# Canonical forms that exports usually use: parsed by Arrow's strptime and accepted only when
# the text has exactly the format's digits and every field parsed equals them (Arrow rolls
# 31/02 over to 03/03, and second 60 to the next minute, and takes " 1/5/2026" for 01/05).
FAST_FORMATS = ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
_FORMAT_FIELDS = {"%d": (2, pc.day), "%m": (2, pc.month), "%Y": (4, pc.year), "%H": (2, pc.hour), "%M": (2, pc.minute), "%S": (2, pc.second)}


def _reads_back(text: pa.Array, parsed: pa.Array, fmt: str) -> np.ndarray:
    """Whether each parsed value is exactly its text in `fmt` (ten times quicker than
    comparing with strftime's output, the slowest step of a large import)."""
    pattern, fields, position = "", [], 0
    for token in re.findall(r"%.|[^%]", fmt):
        if token in _FORMAT_FIELDS:
            width, field_of = _FORMAT_FIELDS[token]
            pattern += rf"\d{{{width}}}"
            fields.append((position, width, field_of))
            position += width
        else:
            pattern += re.escape(token)
            position += 1
    ok = pc.and_(pc.match_substring_regex(text, f"^{pattern}$"), pc.is_valid(parsed))
    for start, width, field_of in fields:
        digits = pc.cast(pc.if_else(ok, pc.utf8_slice_codeunits(text, start, start + width), "0"), pa.int64())
        ok = pc.and_(ok, pc.fill_null(pc.equal(field_of(parsed), digits), False))
    return ok.to_numpy(zero_copy_only=False)


def parse_datetimes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(datetime64[us] array with NaT for empty or bad cells, mask of bad non-empty cells).

    Accepts dd/mm/yyyy [HH:MM[:SS[.ffffff]]] (also with - or . between date parts, or the
    time first: "08:30 05/10/2026"), ISO yyyy-mm-dd[ HH:MM[:SS[.ffffff]]], and Excel serial
    day numbers (1900 date system). Never mm/dd/yyyy. Impossible dates (31/02) are bad.
    """
    array = pa.array(values, type=pa.string(), from_pandas=True)  # no copy for pandas' Arrow strings
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    array = pc.fill_null(pc.utf8_trim_whitespace(array), "")
    n = len(array)
    empty = pc.equal(array, "").to_numpy(zero_copy_only=False)
    micros = np.zeros(n, dtype=np.int64)
    good = np.zeros(n, dtype=bool)
    pending = np.flatnonzero(~empty)
    for fmt in FAST_FORMATS:
        if not len(pending):
            break
        text = array.take(pa.array(pending))
        parsed = pc.strptime(text, format=fmt, unit="s", error_is_null=True)
        same = _reads_back(text, parsed, fmt)
        if same.any():
            hit = pending[same]
            micros[hit] = pc.cast(pc.cast(parsed.filter(pa.array(same)), pa.timestamp("us")), pa.int64()).to_numpy(zero_copy_only=False)
            good[hit] = True
            pending = pending[~same]
    if len(pending):
        slow_micros, slow_good = _parse_slow(array.take(pa.array(pending)))
        micros[pending] = slow_micros
        good[pending] = slow_good
    result = micros.astype("datetime64[us]")
    result[~good] = np.datetime64("NaT")
    return result, ~good & ~empty


def _parse_slow(array: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Every accepted form, component by component: (microseconds since 1970, valid)."""
    n = len(array)
    empty = pc.equal(array, "").to_numpy(zero_copy_only=False)
    year = np.full(n, -1, dtype=np.int64)
    month = np.zeros(n, dtype=np.int64)
    day = np.zeros(n, dtype=np.int64)
    hour = np.zeros(n, dtype=np.int64)
    minute = np.zeros(n, dtype=np.int64)
    second = np.zeros(n, dtype=np.int64)
    micro = np.zeros(n, dtype=np.int64)

    dmy = pc.extract_regex(array, _DMY)
    ok = dmy.is_valid().to_numpy(zero_copy_only=False)
    if ok.any():
        h1, n1, s1 = _ints(dmy, 0), _ints(dmy, 1), _ints(dmy, 2)
        h2, n2, s2 = _ints(dmy, 6), _ints(dmy, 7), _ints(dmy, 8)
        day[ok], month[ok], year[ok] = _ints(dmy, 3)[ok], _ints(dmy, 4)[ok], _ints(dmy, 5)[ok]
        hour[ok], minute[ok], second[ok] = (h1 + h2)[ok], (n1 + n2)[ok], (s1 + s2)[ok]
        micro[ok] = _fraction_us(dmy, 9)[ok]
    rest = ~ok & ~empty
    if rest.any():
        iso = pc.extract_regex(array, _ISO)
        ok2 = iso.is_valid().to_numpy(zero_copy_only=False) & rest
        if ok2.any():
            year[ok2], month[ok2], day[ok2] = _ints(iso, 0)[ok2], _ints(iso, 1)[ok2], _ints(iso, 2)[ok2]
            hour[ok2], minute[ok2], second[ok2] = _ints(iso, 3)[ok2], _ints(iso, 4)[ok2], _ints(iso, 5)[ok2]
            micro[ok2] = _fraction_us(iso, 6)[ok2]
            ok = ok | ok2
    serial_mask = np.zeros(n, dtype=bool)
    serial_us = np.zeros(n, dtype=np.int64)
    rest = ~ok & ~empty
    if rest.any():
        is_serial = pc.match_substring_regex(array, _SERIAL).to_numpy(zero_copy_only=False) & rest
        if is_serial.any():
            numbers = pc.cast(array.filter(pa.array(is_serial)), pa.float64()).to_numpy(zero_copy_only=False)
            good = (numbers >= 1) & (numbers < 2958466)
            idx = np.flatnonzero(is_serial)[good]
            # Excel's day 0 is 1899-12-30 once its fictitious 29/02/1900 is accounted for.
            serial_us[idx] = np.round((numbers[good] - 25569.0) * 86_400_000_000).astype(np.int64)
            serial_mask[idx] = True
    valid_parts = (
        ok
        & (month >= 1) & (month <= 12)
        & (day >= 1) & (day <= _days_in_month(year, month))
        & (hour <= 23) & (minute <= 59) & (second <= 59)
    )
    micros = (
        _days_from_civil(year, month, day) * 86_400_000_000
        + hour * 3_600_000_000 + minute * 60_000_000 + second * 1_000_000 + micro
    )
    micros = np.where(serial_mask, serial_us, micros)
    return micros, valid_parts | serial_mask


# --- validation ------------------------------------------------------------------------------
@dataclass
class Reference:
    """What the codes in a file must refer to (read from the database by data_access.ingest)."""

    units: set[str]
    procedures: dict[str, str]  # procedure code -> field code
    officers: set[str]
    province_of: dict[str, str] = field(default_factory=dict)  # unit code -> its top unit's code (the province)
    dossiers: dict[str, str] | None = None  # steps files: the file's dossier codes known -> unit


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
    def __init__(self, raw: RawTable, limits: Limits):
        self.raw = raw
        self.limits = limits
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
        self.summary.append({"column": header, "expected": expected if isinstance(expected, str) else str(expected[index[0]]), "rows": hits, "first_row": int(rows[0])})
        room = self.limits.max_problems_listed - self.listed
        if room <= 0:
            return
        index, rows = index[:room], rows[:room]
        source = values if values is not None else self.raw.frame[header]
        shown = [_show(v) for v in source.iloc[index].tolist()]
        exp = [expected] * len(index) if isinstance(expected, str) else list(np.asarray(expected, dtype=object)[index])
        self.parts.append(pd.DataFrame({"row": rows, "column": header, "value": shown, "expected": exp}))
        self.listed += len(index)

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"row": pd.Series(dtype="int64"), "column": pd.Series(dtype="str"), "value": pd.Series(dtype="str"), "expected": pd.Series(dtype="str")})
        return pd.concat(self.parts, ignore_index=True).sort_values(["row", "column"], kind="stable", ignore_index=True)


def _show(value) -> str:
    text = "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
    if len(text) > 80:
        return f"{text[:60]}… ({len(text):,} chars)"
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
    stripped = values.str.strip()
    uniques = pd.unique(stripped)
    translated = {u: table.get(normalise(u)) for u in uniques if isinstance(u, str)}
    mapped = stripped.map(translated)
    bad = (mapped.isna() & (stripped != "")).to_numpy()
    return mapped, bad


def validate(spec: SourceSpec, raw: RawTable, reference: Reference, mapping: Mapping, options: Options | None = None, name: str = "", lang: str = "vi") -> Checked:
    """Check every cell; return the typed frame when there is no problem at all."""
    options = options or Options()
    limits = mapping.limits
    found, ignored = map_headers(spec, raw.headers, name, lang)
    problems = _Problems(raw, limits)
    out: dict[str, object] = {}
    today = options.today or date.today()
    latest_allowed = np.datetime64(today + timedelta(days=limits.future_days + 1), "us")
    earliest_allowed = np.datetime64(limits.earliest_date, "us")
    code_re = limits.code_pattern
    required_msg = _m(lang, "một giá trị (cột bắt buộc)", "a value (required column)")
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
            problems.add(too_long, header, _m(lang, f"tối đa {column.max_length:,} ký tự", f"at most {column.max_length:,} characters"))
            if column.kind == "code":
                bad_format = ~empty & ~too_long & ~text.str.match(code_re).fillna(False).to_numpy(dtype=bool)
                problems.add(bad_format, header, _m(lang, "một mã chỉ gồm chữ, số và . _ - / :", "a code of letters, digits and . _ - / : only"))
            else:
                control = text.str.contains(control_re, regex=True).fillna(False).to_numpy(dtype=bool)
                problems.add(control, header, _m(lang, "văn bản không có ký tự điều khiển", "text without control characters"))
            out[target] = text.where(~pd.Series(empty, index=text.index), None)
        elif column.kind == "datetime":
            values, bad = parse_datetimes(text)
            problems.add(bad, header, _m(lang, f"ngày giờ dạng {DATE_FORMATS_TEXT}", f"a date/time as {DATE_FORMATS_TEXT}"))
            present = ~np.isnat(values)
            problems.add(present & (values < earliest_allowed), header, _m(lang, f"ngày từ {limits.earliest_date:%d/%m/%Y} trở đi", f"a date on or after {limits.earliest_date:%d/%m/%Y}"))
            if target in EVENT_COLUMNS:
                problems.add(present & (values >= latest_allowed), header, _m(lang, "ngày không ở tương lai", "a date not in the future"))
            out[target] = values
        elif column.kind == "int":
            numbers = pd.to_numeric(text.where(text != "", "0"), errors="coerce")
            bad = (numbers.isna() | (numbers < 0) | (numbers > 32767) | (numbers % 1 != 0)).to_numpy(dtype=bool)
            problems.add(bad, header, _m(lang, "số nguyên từ 0 đến 32767", "a whole number from 0 to 32767"))
            out[target] = numbers.fillna(0).clip(0, 32767).astype("int64")
        elif column.kind == "bool":
            mapped, bad = _lookup(text, mapping.aliases.get("bool", {}))
            problems.add(bad, header, _m(lang, "1/0, có/không, x hoặc để trống", "1/0, yes/no, x or empty"))
            out[target] = mapped.fillna(False).astype(bool)
        elif column.kind == "rating_level":
            if options.three_level:
                table = {normalise(k): v for k, v in vocab.THREE_LEVEL_SCALE.items()}
                for code in vocab.THREE_LEVEL_SCALE.values():
                    for label in vocab.RATING_LEVELS[code]:
                        table[normalise(label)] = code
                expected = _m(lang, "1, 2, 3 (thang 3 mức) hoặc Hài lòng / Bình thường / Không hài lòng", "1, 2, 3 (three-level form) or Hài lòng / Bình thường / Không hài lòng")
            else:
                table = _label_map(vocab.RATING_LEVELS)
                expected = _m(lang, "1-4 hoặc Rất hài lòng / Hài lòng / Bình thường / Không hài lòng", "1-4 or Rất hài lòng / Hài lòng / Bình thường / Không hài lòng")
            mapped, bad = _lookup(text, table)
            problems.add(bad, header, expected)
            out[target] = mapped.fillna(0).astype("int64")
        elif column.kind == "rating_channel":
            mapped, bad = _lookup(text, _label_map(vocab.RATING_CHANNELS, mapping.aliases.get("rating_channel")))
            problems.add(bad, header, _m(lang, "kiosk, tablet, web, app, sms hoặc tên tiếng Việt (Máy tính bảng, Cổng dịch vụ công…)", "kiosk, tablet, web, app, sms or the Vietnamese name (Máy tính bảng, Cổng dịch vụ công…)"))
            out[target] = mapped.astype("str")
        elif column.kind == "dossier_channel":
            mapped, bad = _lookup(text, _label_map(vocab.DOSSIER_CHANNELS, mapping.aliases.get("dossier_channel")))
            problems.add(bad, header, _m(lang, "1 trực tiếp, 2 trực tuyến, 3 bưu chính công ích", "1 in person, 2 online, 3 public postal"))
            out[target] = mapped.fillna(0).astype("int64")
        elif column.kind == "status":
            mapped, bad = _lookup(text, _label_map(vocab.DOSSIER_STATUSES))
            problems.add(bad, header, _m(lang, "mã trạng thái 1-10 hoặc tên trạng thái (Đang xử lý, Đã trả kết quả…)", "a status code 1-10 or its name (Đang xử lý, Đã trả kết quả…)"))
            out[target] = mapped.fillna(0).astype("int64")
        elif column.kind in SURVEY_KINDS:
            SURVEY_KINDS[column.kind](target, header, text, empty, out, problems, mapping, lang)
        elif column.kind == "step":
            from domain.steps import step_names

            mapped, bad = _lookup(text, _label_map(step_names()))
            problems.add(bad, header, _m(lang, "mã hoặc tên bước trong domain/steps.toml (Tiếp nhận, Thẩm định, Trình ký…)", "a step code or name of domain/steps.toml (Tiếp nhận, Thẩm định, Trình ký…)"))
            out[target] = mapped
        else:  # pragma: no cover - a mapping file with an unknown kind
            raise FileRejected(f"ingest mapping: unknown kind {column.kind!r} for {spec.name}.{target}")

    _check_references(spec, found, out, raw, reference, problems, lang)
    _check_rules(spec, found, out, problems, lang)
    warnings = _warnings(spec, found, out, raw, lang)
    if spec.name == "surveys":
        _check_survey_rules(found, out, raw, problems, lang, reference)
    else:
        _check_duplicates(spec, found, out, raw, problems, lang)

    frame = None
    table = problems.table()
    summary = pd.DataFrame(problems.summary, columns=["column", "expected", "rows", "first_row"])
    rejected_count = int(problems.bad_rows.sum())
    if problems.count == 0:
        frame = pd.DataFrame(dict(out.items()))
        for target in list(frame.columns):
            if spec.columns.get(target) and spec.columns[target].kind == "datetime":
                frame[target] = pd.Series(frame[target].to_numpy(), dtype="datetime64[us]")
        message = _m(
            lang,
            f"Tệp {name} hợp lệ: {len(frame):,} dòng sẵn sàng để nhập.",
            f"File {name} is valid: {len(frame):,} rows ready to import.",
        )
        rejected = raw.frame.iloc[0:0]
    else:
        worst = summary.sort_values("rows", ascending=False).head(3)
        kinds = "; ".join(
            _m(lang, f"cột «{r.column}»: {r.rows:,} dòng, cần {r.expected} (dòng đầu {r.first_row})", f"column «{r.column}»: {r.rows:,} rows, expected {r.expected} (first at row {r.first_row})")
            for r in worst.itertuples()
        )
        message = _m(
            lang,
            f"Tệp {name} không được nhập: {problems.count:,} lỗi trên {rejected_count:,} / {len(raw.frame):,} dòng ({kinds}). Không có gì được ghi vào cơ sở dữ liệu: tệp được nhập toàn bộ hoặc không nhập gì. Sửa các dòng bị từ chối rồi tải lại cả tệp.",
            f"File {name} was not imported: {problems.count:,} problems on {rejected_count:,} of {len(raw.frame):,} rows ({kinds}). Nothing was written to the database: a file is imported whole or not at all. Fix the rejected rows and upload the whole file again.",
        )
        rejected = _rejected_rows(raw, problems, limits)
    if len(warnings) and problems.count == 0:
        message += " " + _m(lang, f"{len(warnings):,} cảnh báo (xem danh sách).", f"{len(warnings):,} warnings (see the list).")
    return Checked(spec.name, name, raw, found, ignored, frame, table, problems.count, summary, rejected, rejected_count, message, problems.count == 0, warnings)


def _warnings(spec, found, out, raw: RawTable, lang: str) -> pd.DataFrame:
    """Rows that are imported but look wrong: an open status with a finish time (the status
    decides; the dossier counts as open)."""
    columns = ["row", "column", "value", "message"]
    if spec.name != "dossiers" or "finished_at" not in found:
        return pd.DataFrame(columns=columns)
    status = out["status"].to_numpy()
    flagged = np.flatnonzero(np.isin(status, vocab.OPEN_STATUSES) & ~np.isnat(out["finished_at"]))
    header = found["status"]
    return pd.DataFrame({
        "row": raw.row_numbers[flagged],
        "column": header,
        "value": raw.frame[header].iloc[flagged].tolist(),
        "message": _m(
            lang,
            f"trạng thái đang xử lý nhưng có ngày hoàn thành ({found['finished_at']}): hồ sơ vẫn được tính là đang giải quyết theo trạng thái; kiểm tra lại trạng thái",
            f"an open status but a finish time ({found['finished_at']}): the dossier still counts as open, as its status says; check the status",
        ),
    }, columns=columns)


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
        problems.add(unknown & ~already, found[target], _m(lang, f"mã {what_vi} có trong cơ sở dữ liệu", f"a {what_en} code known to the database"))

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
            expected = np.asarray(
                [_m(lang, f"mã lĩnh vực của thủ tục: {d}", f"the procedure's field code: {d}") for d in derived.fillna("").tolist()], dtype=object
            )
            problems.add(mismatch, found["field_code"], expected)
        out["field_code"] = derived


def _check_steps(found, out, problems: _Problems, lang: str) -> None:
    """A step does not finish before it starts, nor overlap the step before it."""
    started, finished = out["started_at"], out.get("finished_at")
    if finished is not None:
        bad = ~np.isnat(finished) & ~np.isnat(started) & (finished < started)
        problems.add(bad, found["finished_at"], _m(lang, f"thời gian kết thúc không trước thời gian bắt đầu ({found['started_at']})", f"an end not before the start ({found['started_at']})"))
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
    problems.add(mask, found["started_at"], _m(lang, "bắt đầu sau khi bước trước của cùng hồ sơ đã kết thúc (không chồng lấn)", "a start after the dossier's previous step ended (no overlap)"))


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
            problems.add(bad, found[later], _m(lang, vi, en))

    before("finished_at", "received_at", f"ngày hoàn thành không trước ngày tiếp nhận ({found['received_at']})", f"a finish time not before the received time ({found['received_at']})")
    before("closed_at", "received_at", f"ngày rút/dừng không trước ngày tiếp nhận ({found['received_at']})", f"a closing time not before the received time ({found['received_at']})")
    before("due_at", "received_at", f"ngày hẹn trả không trước ngày tiếp nhận ({found['received_at']})", f"a due date not before the received time ({found['received_at']})")
    if "finished_at" in found:
        before("returned_at", "finished_at", f"ngày trả kết quả không trước ngày hoàn thành ({found['finished_at']})", f"a return time not before the finish time ({found['finished_at']})")
    status = out["status"].to_numpy()
    finished_status = np.isin(status, vocab.FINISHED_STATUSES)
    finished_at = out.get("finished_at")
    no_finish = np.isnat(finished_at) if finished_at is not None else np.ones(len(status), dtype=bool)
    problems.add(
        finished_status & no_finish,
        found.get("finished_at", found["status"]),
        _m(lang, "ngày hoàn thành cho hồ sơ trạng thái 9/10 (đã xử lý xong / đã trả kết quả)", "a finish time for a dossier with status 9/10 (processed / result returned)"),
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
    expected = np.char.add(_m(lang, "mã chưa dùng ở dòng trên; đã có ở dòng ", "a code not used by an earlier row; already on row "), first_row.astype(str)).astype(object)
    problems.add(duplicated, found[spec.key], expected)


# --- surveys (independent survey results: metrics/surveys.py) ----------------------------------
def _survey_lookup(kind: str, table: dict, expected_vi: str, expected_en: str):
    def check(target, header, text, empty, out, problems, mapping, lang):
        labels = {code: (values[0], values[1]) for code, values in table.items()}
        lookup = _label_map(labels, mapping.aliases.get(kind))
        mapped, bad = _lookup(text.str.replace("%", " phan tram ", regex=False), lookup)
        problems.add(bad, header, _m(lang, expected_vi, expected_en))
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
    problems.add(~empty & numbers.isna().to_numpy(), header, _m(lang, "một số (86,50 hoặc 86.50)", "a number (86,50 or 86.50)"))
    out[target] = numbers


def _check_count(target, header, text, empty, out, problems, mapping, lang):
    numbers = pd.to_numeric(text.str.replace(r"[\s.,]", "", regex=True), errors="coerce")
    bad = ~empty & (numbers.isna() | (numbers < 0) | (numbers > 10**9)).to_numpy(dtype=bool)
    problems.add(bad, header, _m(lang, "số nguyên từ 0 (36.525 hoặc 36525)", "a whole number from 0 (36,525 or 36525)"))
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
    problems.add(~empty & found.isna().to_numpy(), header, _m(lang, "năm (2024) hoặc kỳ (2024-Q3, 2024-09, 2024-H1)", "a year (2024) or a period (2024-Q3, 2024-09, 2024-H1)"))
    out[target] = found.map(lambda p: p.key if p is not None else None)
    out["period_start"] = found.map(lambda p: p.start if p is not None else None)
    out["period_end"] = found.map(lambda p: p.end if p is not None else None)


def _check_province(target, header, text, empty, out, problems, mapping, lang):
    upper = text.str.upper()
    national = upper.map(lambda v: normalise(v) in ("vn", "ca nuoc", "toan quoc", "viet nam"))
    value = upper.where(~national, "VN")
    bad = ~empty & ~value.str.fullmatch(r"VN|[0-9]{2}").fillna(False).to_numpy(dtype=bool)
    problems.add(bad, header, _m(lang, "mã tỉnh 2 chữ số theo danh mục của Tổng cục Thống kê (79, 01) hoặc VN cho cả nước", "a 2-digit GSO province code (79, 01) or VN for the whole country"))
    out[target] = value


def _check_link(target, header, text, empty, out, problems, mapping, lang):
    bad = ~empty & ~text.str.fullmatch(r"https?://\S{3,}").fillna(False).to_numpy(dtype=bool)
    long = text.str.len().to_numpy(dtype="int64", na_value=0) > 500
    problems.add(bad | long, header, _m(lang, "một địa chỉ http:// hoặc https:// không có khoảng trắng (tối đa 500 ký tự)", "an http:// or https:// address without spaces (at most 500 characters)"))
    out[target] = text.where(~pd.Series(empty, index=text.index), None)


def _survey_kinds() -> dict:
    from metrics import surveys

    return {
        "survey_source": _survey_lookup("survey_source", surveys.SOURCES, "SIPAS, PAPI, PAR Index, MTTQ (Mặt trận Tổ quốc) hoặc Khảo sát của thành phố", "SIPAS, PAPI, PAR Index, MTTQ (Fatherland Front) or city"),
        "survey_indicator": _survey_lookup("survey_indicator", surveys.INDICATORS, "một chỉ tiêu: " + ", ".join(surveys.INDICATORS), "an indicator: " + ", ".join(surveys.INDICATORS)),
        "survey_scale": _survey_lookup("survey_scale", surveys.SCALES, "percent (%), score (điểm), rank (hạng) hoặc count (người)", "percent (%), score, rank or count"),
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
        expected = np.asarray([_m(lang, f"thang đo của chỉ tiêu: {s}", f"the indicator's scale: {s}") for s in own_scale.fillna("")], dtype=object)
        problems.add(mismatch, found["scale"], expected)
        scale = scale.fillna(own_scale)
    out["scale"] = scale
    value = out["value"]
    scale_max = out.get("scale_max", pd.Series(np.nan, index=value.index))
    header = found["value"]
    ranged = value.notna().to_numpy()
    percent = (scale == "percent").to_numpy()
    problems.add(ranged & percent & ~value.between(0, 100).to_numpy(), header, _m(lang, "tỷ lệ phần trăm từ 0 đến 100 (83,94 chứ không phải 0,8394)", "a percentage from 0 to 100 (83.94, not 0.8394)"))
    whole = (scale.isin(["rank", "count"])).to_numpy()
    problems.add(ranged & whole & ((value % 1 != 0) | (value < (scale == "rank").astype(int))).to_numpy(), header, _m(lang, "số nguyên (hạng từ 1)", "a whole number (ranks from 1)"))
    over = ranged & scale_max.notna().to_numpy() & (value > scale_max).to_numpy() & ~percent
    problems.add(over, header, _m(lang, "không lớn hơn thang tối đa", "not above the scale maximum"))
    if "unit_code" in found:
        national_unit = (out["unit_code"].notna() & (out["province_code"] == surveys.NATIONAL)).to_numpy(dtype=bool)
        problems.add(national_unit, found["unit_code"], _m(lang, "để trống khi khảo sát cả nước (VN); một đơn vị thuộc một tỉnh", "empty for a national (VN) row; a unit belongs to a province"))
        province = out["unit_code"].map(reference.province_of)
        elsewhere = (province.notna() & ~national_unit & (province != out["province_code"])).to_numpy(dtype=bool)
        expected = np.asarray([_m(lang, f"một đơn vị của tỉnh mã {p} (cột Mã tỉnh)", f"a unit of province {p} (the province code column)") for p in out["province_code"].fillna("")], dtype=object)
        problems.add(elsewhere, found["unit_code"], expected)
    dimension = out.get("dimension", pd.Series(None, index=value.index, dtype=object))
    out["dimension"] = dimension
    needs_dimension = ((indicator == "papi_dimension") & dimension.isna()).to_numpy(dtype=bool)
    problems.add(needs_dimension, found.get("dimension", found["indicator"]), _m(lang, "tên nội dung PAPI ở cột Nội dung", "the PAPI dimension's name in the Nội dung column"))
    unit = out.get("unit_code", pd.Series(None, index=value.index, dtype=object))
    out["unit_code"] = unit
    keys = [surveys.survey_key(*parts) for parts in zip(out["source"], out["period"], out["province_code"], unit, indicator, dimension)]
    out["survey_key"] = pd.Series(keys, index=value.index, dtype=object)
    key = out["survey_key"]
    duplicated = key.duplicated(keep="first").to_numpy()
    if duplicated.any():
        first_row = pd.Series(raw.row_numbers).groupby(key.to_numpy(dtype=object)).transform("min").to_numpy(dtype=np.int64)
        expected = np.char.add(_m(lang, "một số liệu chưa có ở dòng trên (cùng nguồn, kỳ, địa bàn, chỉ tiêu, nội dung); đã có ở dòng ", "a figure not given by an earlier row (same source, period, area, indicator, dimension); already on row "), first_row.astype(str)).astype(object)
        problems.add(duplicated, found["indicator"], expected)
