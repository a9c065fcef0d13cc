"""Hostile .xlsx files, built in memory or on disk for the upload-bomb tests and the README figures."""

from __future__ import annotations

import zipfile
from pathlib import Path

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_HEAD = '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
SHEET_TAIL = "</sheetData></worksheet>"


def _package(path: Path, write_sheet) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("_rels/.rels", RELS)
        package.writestr("xl/workbook.xml", WORKBOOK)
        package.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        with package.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            write_sheet(sheet)
    return path


def huge_cell(path: Path, cell_bytes: int = 1024**3) -> Path:
    """One inline-string cell of `cell_bytes` bytes: about 1 MB on disk for 1 GiB."""

    def write(sheet):
        sheet.write((SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>').encode())
        chunk = b"A" * (16 * 1024 * 1024)
        left = cell_bytes
        while left > 0:
            sheet.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
        sheet.write(("</t></is></c></row>" + SHEET_TAIL).encode())

    return _package(path, write)


def many_rows(path: Path, rows: int) -> Path:
    """A header row, then `rows` rows of one small cell each."""

    def write(sheet):
        sheet.write(
            (
                SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>Mã đánh giá</t></is></c><c r="B1" t="inlineStr"><is><t>Mã đơn vị</t></is></c></row>'
            ).encode()
        )
        block = []
        for n in range(2, rows + 2):
            block.append(f'<row r="{n}"><c r="A{n}" t="inlineStr"><is><t>x</t></is></c></row>')
            if len(block) == 100_000:
                sheet.write("".join(block).encode())
                block = []
        sheet.write(("".join(block) + SHEET_TAIL).encode())

    return _package(path, write)


def broken_xml(path: Path) -> Path:
    """A sheet whose XML stops in the middle of a tag."""

    def write(sheet):
        sheet.write((SHEET_HEAD + '<row r="1"><c r="A1" t="inlineStr"><is><t>Mã đánh giá</t></is></c><c r="B1" t="inl').encode())

    return _package(path, write)
