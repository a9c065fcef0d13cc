"""Reading a CSV or Excel file into text cells, refusing what cannot be read (FileRejected)
with a message that says what to do."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from i18n.format import fmt_int, fmt_num
from i18n.text import pick
from ingest.mapping import UTF8_BOM, FileRejected, Limits, Mapping, Progress, TEXT, normalise


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


def _mb(size: int, lang: str) -> str:
    return f"{fmt_num(size / 1024 / 1024, lang, 1)} MB"


def read_file(file, name: str, mapping: Mapping, lang: str = "vi", progress: Progress | None = None) -> RawTable:
    """Read a CSV or .xlsx file (a path, bytes or a binary file object) into a RawTable."""
    progress = progress or (lambda fraction, message: None)
    limits = mapping.limits
    size = _size_of(file)
    if size > limits.max_file_bytes:
        raise FileRejected(
            pick(
                lang,
                f"Tệp {name} dung lượng {_mb(size, 'vi')}, vượt giới hạn {limits.max_file_mb:g} MB. Hãy tách thành nhiều tệp nhỏ hơn (ví dụ theo tháng).",
                f"File {name} is {_mb(size, 'en')}, over the {limits.max_file_mb:g} MB limit. Split it into smaller files (by month, for example).",
            )
        )
    if size == 0:
        raise FileRejected(pick(lang, f"Tệp {name} rỗng (0 byte).", f"File {name} is empty (0 bytes)."))
    with _open_binary(file) as handle:
        head = handle.read(8)
    if head.startswith(b"PK\x03\x04"):
        return _read_xlsx(file, name, mapping, lang, progress)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRejected(
            pick(
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
    save_msg = pick(
        lang,
        "Trong Excel chọn Lưu thành (Save As) > 'CSV UTF-8 (Comma delimited) (*.csv)', rồi tải lại tệp.",
        "In Excel choose Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', then upload the file again.",
    )
    block_size = 16 * 1024 * 1024
    with _open_binary(file) as handle:
        first = handle.read(block_size)
        if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise FileRejected(
                pick(
                    lang,
                    f"Tệp {name} được mã hóa UTF-16 ('Unicode Text'), không phải UTF-8. ",
                    f"File {name} is encoded as UTF-16 ('Unicode Text'), not UTF-8. ",
                )
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
                    pick(
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
                    guess = pick(lang, f" (đọc theo Windows-1258: «{snippet.strip()}»)", f" (read as Windows-1258: «{snippet.strip()}»)")
                except UnicodeDecodeError:
                    pass
                raise FileRejected(
                    pick(
                        lang,
                        f"Tệp {name} không phải UTF-8: dòng {line} có byte {bad!r}{guess}. Có thể tệp được lưu bằng bảng mã Windows-1258/1252 hoặc TCVN3. ",
                        f"File {name} is not UTF-8: line {line} has bytes {bad!r}{guess}. It was probably saved as Windows-1258/1252 or TCVN3. ",
                    )
                    + save_msg
                ) from None
            lines += block.count(b"\n")
            offset += len(block)
            progress(0.15 * offset / max(size, 1), pick(lang, "Đang kiểm tra bảng mã…", "Checking the encoding…"))
            block = handle.read(block_size)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise FileRejected(
                pick(lang, f"Tệp {name} kết thúc giữa một ký tự UTF-8 (tệp bị cắt?). ", f"File {name} ends in the middle of a UTF-8 character (truncated?). ")
                + save_msg
            ) from None
    return has_bom, first


def _dedupe_check(headers: list[str], name: str, lang: str) -> None:
    seen = {}
    for position, header in enumerate(headers, start=1):
        if header in seen:
            raise FileRejected(
                pick(
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
        raise FileRejected(pick(lang, f"Tệp {name} không có dòng tiêu đề (dòng 1 trống).", f"File {name} has no header row (line 1 is blank)."))
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
            progress(
                0.15 + 0.25 * min(done / max(size, 1), 1.0),
                pick(
                    lang,
                    f"Đang đọc tệp… {fmt_int(sum(b.num_rows for b in batches), 'vi')} dòng",
                    f"Reading the file… {sum(b.num_rows for b in batches):,} rows",
                ),
            )
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
            pick(lang, f"dòng {number or '?'}: {actual} ô, cần {len(headers)}", f"line {number or '?'}: {actual} cells, expected {len(headers)}")
            for number, actual, _text in bad_rows[:10]
        )
        more = len(bad_rows) - 10
        raise FileRejected(
            pick(
                lang,
                f"Tệp {name}: {fmt_int(len(bad_rows), 'vi')} dòng có số ô khác dòng tiêu đề ({details}{'; …' if more > 0 else ''}). Kiểm tra dấu phân cách «{delimiter}» và dấu ngoặc kép trong các ô.",
                f"File {name}: {len(bad_rows):,} rows have a different number of cells from the header ({details}{'; …' if more > 0 else ''}). Check the «{delimiter}» separator and quotes in the cells.",
            )
        )
    table = pa.Table.from_batches(batches, schema=reader.schema) if batches else None
    if table is None or table.num_rows == 0:
        raise FileRejected(pick(lang, f"Tệp {name} chỉ có dòng tiêu đề, không có dòng số liệu nào.", f"File {name} has a header row but no data rows."))
    frame = table.to_pandas(types_mapper=lambda _t: TEXT)
    frame.columns = headers
    row_numbers = np.arange(2, len(frame) + 2, dtype=np.int64)
    note = pick(lang, "UTF-8 có BOM", "UTF-8 with BOM") if has_bom else "UTF-8"
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
        return FileRejected(
            pick(
                lang,
                f"Tệp Excel {name} {vi} Hãy lưu lại dạng CSV UTF-8 hoặc tách thành nhiều tệp nhỏ hơn.",
                f"The Excel file {name} {en} Save it as CSV UTF-8 or split it into smaller files.",
            )
        )

    with _open_binary(file) as handle:
        try:
            parts = zipfile.ZipFile(handle).infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as error:
            raise FileRejected(
                pick(
                    lang,
                    f"Không đọc được tệp Excel {name} (tệp nén hỏng: {error}). Hãy lưu lại dạng .xlsx hoặc CSV UTF-8.",
                    f"Cannot read the Excel file {name} (broken zip: {error}). Save it again as .xlsx or CSV UTF-8.",
                )
            ) from None
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_xlsx_unpacked_mb * 1024 * 1024:
        raise refuse(
            f"giải nén ra {_mb(unpacked, 'vi')}, vượt giới hạn {limits.max_xlsx_unpacked_mb:g} MB.",
            f"unpacks to {_mb(unpacked, 'en')}, over the {limits.max_xlsx_unpacked_mb:g} MB limit.",
        )
    for part in parts:
        if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml"):
            rows = _count_rows(file, part.filename)
            if rows > limits.max_xlsx_rows:
                raise refuse(
                    f"có {fmt_int(rows, 'vi')} dòng, quá {fmt_int(limits.max_xlsx_rows, 'vi')} dòng.", f"has {rows:,} rows, more than {limits.max_xlsx_rows:,}."
                )
        if part.file_size > 1024 * 1024 and part.file_size > limits.max_xlsx_ratio * max(part.compress_size, 1):
            raise refuse(
                f"có phần {part.filename[:60]} nén {fmt_num(part.file_size / max(part.compress_size, 1), 'vi', 0)} lần (giới hạn {limits.max_xlsx_ratio:g}): không giống tệp xuất từ hệ thống.",
                f"has a part {part.filename[:60]} compressed {part.file_size / max(part.compress_size, 1):,.0f} times (limit {limits.max_xlsx_ratio:g}): not like a system export.",
            )


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
    return FileRejected(
        pick(
            lang,
            f"Không đọc được tệp Excel {name}: nội dung bị hỏng ({detail}). Hãy mở bằng Excel, lưu lại dạng .xlsx hoặc CSV UTF-8.",
            f"Cannot read the Excel file {name}: its content is broken ({detail}). Open it in Excel and save it again as .xlsx or CSV UTF-8.",
        )
    )


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
                pick(
                    lang,
                    f"Không đọc được tệp Excel {name} ({error}). Hãy lưu lại dạng .xlsx hoặc CSV UTF-8.",
                    f"Cannot read the Excel file {name} ({error}). Save it again as .xlsx or CSV UTF-8.",
                )
            ) from None
        sheet = workbook.worksheets[0]
        total = sheet.max_row or 0
        all_rows: list[tuple[int, list[str]]] = []
        formulas: list[str] = []
        for index, cells in enumerate(sheet.iter_rows(), start=1):
            if index > limits.max_xlsx_rows or len(cells) > limits.max_xlsx_columns:
                raise FileRejected(
                    pick(
                        lang,
                        f"Tệp Excel {name} có quá {fmt_int(limits.max_xlsx_rows, 'vi')} dòng hoặc {fmt_int(limits.max_xlsx_columns, 'vi')} cột. Hãy tách thành nhiều tệp nhỏ hơn hoặc lưu dạng CSV UTF-8.",
                        f"The Excel file {name} has more than {limits.max_xlsx_rows:,} rows or {limits.max_xlsx_columns:,} columns. Split it into smaller files or save it as CSV UTF-8.",
                    )
                )
            texts = []
            for cell in cells:
                if getattr(cell, "data_type", None) == "f":
                    formulas.append(f"{getattr(cell, 'coordinate', '?')} {str(cell.value)[:40]}" if len(formulas) < 10 else "")
                texts.append(_cell_text(cell.value).strip())
            if any(texts):
                all_rows.append((index, texts))
            if index % 20000 == 0:
                progress(0.4 * index / max(total, 1), pick(lang, f"Đang đọc Excel… {fmt_int(index, 'vi')} dòng", f"Reading Excel… {index:,} rows"))
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
            pick(
                lang,
                f"Tệp {name} có {fmt_int(len(formulas), 'vi')} ô chứa công thức ({shown}). Giá trị của công thức có thể đã cũ, nên không được nhập. Hãy sao chép và dán đặc biệt dạng giá trị (Paste Special > Values) hoặc xuất lại từ hệ thống.",
                f"File {name} has {len(formulas):,} cells with formulas ({shown}). Their stored results may be stale, so they are not imported. Copy and Paste Special > Values, or export again from the system.",
            )
        )
    if headers is None:
        raise FileRejected(
            pick(lang, f"Tệp {name} không có dữ liệu (trang tính đầu tiên trống).", f"File {name} holds no data (the first worksheet is empty).")
        )
    _dedupe_check(headers, name, lang)
    if not rows:
        raise FileRejected(pick(lang, f"Tệp {name} chỉ có dòng tiêu đề, không có dòng số liệu nào.", f"File {name} has a header row but no data rows."))
    frame = pd.DataFrame(rows, columns=headers, dtype=TEXT)
    return RawTable("xlsx", headers, frame, np.asarray(numbers, dtype=np.int64), "Excel (.xlsx)", "", header_row)
