"""CSV that a spreadsheet cannot run: the one CSV writer (downloads through reports/spreadsheet.py,
the rejected rows of `python -m data_access.ingest --rejected`).

Citizens' comments, commitments and imported names are text anyone could have typed; a cell
such as `=HYPERLINK("http://…"&A1,"Bấm vào đây")` must reach the leader as that text, not as
a live formula. A spreadsheet program decides what a CSV cell is, so a text cell starting
with = + - @, a tab or a carriage return gets a leading single quote, as OWASP's
CSV-injection guidance says (https://owasp.org/www-community/attacks/CSV_Injection); Excel
hides that quote. Pure: frames in, bytes or a file out.
"""

from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
