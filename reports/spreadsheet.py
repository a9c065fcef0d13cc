"""Spreadsheets that cannot run anything: the one writer of every CSV and Excel file handed out.

Text anyone could have typed (citizens' comments, commitments, imported names) must reach
the leader as that text, never as a live formula or link (ingest/safe_csv.py says why). So:

* Excel (.xlsx): every text cell is written as a string (XlsxWriter's `strings_to_formulas`
  and `strings_to_urls` off); the text reads exactly as typed.
* CSV: `csv_bytes` of ingest/safe_csv.py, the one CSV writer (it sits below data_access
  because the ingest command line writes its rejected rows with it too): a text cell
  starting with = + - @, a tab or a carriage return gets a leading single quote (OWASP).
* The embedded data of the briefing pack's charts (python-pptx writes it with XlsxWriter)
  uses the same settings (reports/pptx_pack.py: SafeCategoryChartData).
"""

from __future__ import annotations

import io

import pandas as pd

from ingest.safe_csv import csv_bytes

__all__ = ["XLSX_OPTIONS", "csv_bytes", "xlsx_bytes"]

XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


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
