"""Spreadsheets that cannot run anything: the one writer of every CSV and Excel file handed out.

Citizens' comments, commitments and imported names are text anyone could have typed; a cell
such as `=HYPERLINK("http://…"&A1,"Bấm vào đây")` must reach the leader as that text, not as
a live formula. So:

* Excel (.xlsx): every text cell is written as a string (XlsxWriter's `strings_to_formulas`
  and `strings_to_urls` off); the text reads exactly as typed.
* CSV: a spreadsheet program decides what a cell is, so a text cell starting with = + - @,
  a tab or a carriage return gets a leading single quote, as OWASP's CSV-injection guidance
  says (https://owasp.org/www-community/attacks/CSV_Injection); Excel hides that quote.
* The embedded data of the briefing pack's charts (python-pptx writes it with XlsxWriter)
  uses the same settings (reports/pptx_pack.py: SafeCategoryChartData).
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def neutral_cell(value):
    """A text cell a spreadsheet would read as a formula, prefixed with a single quote; any
    other value unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def neutral_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell (and text header) neutralised, for CSV."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(neutral_cell)
    out.columns = [neutral_cell(c) for c in out.columns]
    return out


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM (Excel shows Vietnamese right), formulas neutralised. Lines end in CRLF
    (RFC 4180): then a carriage return inside a text is quoted and cannot split a row."""
    return neutral_frame(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def write_csv(frame: pd.DataFrame, path) -> None:
    with open(path, "wb") as handle:
        handle.write(csv_bytes(frame))


def xlsx_bytes(frame: pd.DataFrame, sheet: str = "Du lieu") -> bytes:
    """One sheet, every text cell a string, columns as wide as their content (up to 60)."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}) as writer:
        frame.to_excel(writer, sheet_name=sheet[:31], index=False)
        worksheet = writer.sheets[sheet[:31]]
        for position, name in enumerate(frame.columns):
            width = max([len(str(name))] + [len(str(v)) for v in frame[name].head(200)])
            worksheet.set_column(position, position, min(60, width + 2))
    return buffer.getvalue()
