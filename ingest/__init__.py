"""Reading and checking a ratings, dossiers, steps or surveys export before anything is written.

    read_file(file, name, mapping, lang, progress)      -> RawTable (every cell as text)
    validate(spec, raw, reference, mapping, options, name, lang) -> Checked (typed frame + problems)

A file is refused as a whole (`FileRejected`, with a message that says what to do) when
it cannot be read: too large, empty, header only, not UTF-8, binary, old .xls, Excel
formulas, missing required columns, rows with the wrong number of cells. Otherwise every
cell is checked and each problem is reported with the row as in the file (the header is
row 1), the column as in the file, the value, and what was expected. See docs/ingest.md.

No SQL: the write path and the command line are data_access/ingest.py
(`python -m data_access.ingest`). The modules, one job each:

    mapping.py  the column mapping (mapping.toml), limits, header matching, FileRejected
    reading.py  CSV and Excel into text cells, refusing unreadable files
    dates.py    dates and times in the accepted formats
    checks.py   every cell checked, and the report (row, column, value, expected)
    safe_csv.py the one CSV writer (formula-like cells neutralised), for the rejected rows too
"""

from ingest.checks import Checked, Options, Reference, validate
from ingest.dates import DATE_FORMATS_TEXT, parse_datetimes
from ingest.mapping import SOURCES, FileRejected, Mapping, load_mapping, map_headers
from ingest.reading import RawTable, read_file

__all__ = [
    "DATE_FORMATS_TEXT",
    "SOURCES",
    "Checked",
    "FileRejected",
    "Mapping",
    "Options",
    "RawTable",
    "Reference",
    "load_mapping",
    "map_headers",
    "parse_datetimes",
    "read_file",
    "validate",
]
