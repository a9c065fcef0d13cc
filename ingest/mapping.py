"""The column mapping of each source (mapping.toml), the upload limits, and matching a file's
headers to the mapped columns. Pure Python; the whole package is described in ingest/__init__.py."""

from __future__ import annotations

import codecs
import os
import re
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from domain.errors import UserFacingError
from i18n.text import pick

MAPPING_PATH = Path(__file__).resolve().parent / "mapping.toml"
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


class FileRejected(UserFacingError, ValueError):
    """The file as a whole cannot be imported; the message says why and what to do.

    The reading runs in a worker process told the reader's language, so each message is
    written in it already (`pick(lang, vi, en)` where it is raised): `str(error)` and
    `text()` both give that message."""

    icon = ":material/block:"

    def __init__(self, message: str):
        super().__init__(vi=message, en=message)


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
    code_pattern: str = r"^[0-9A-Za-z][0-9A-Za-z._/:@\-]*$"
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
    """The column mapping: `path`, else $DASHBOARD_INGEST_MAPPING, else ingest/mapping.toml."""
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
                pick(
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
            pick(
                lang,
                f"Tệp {name} thiếu cột bắt buộc: {lines}. Các cột trong tệp: {', '.join(headers)}. Tên cột được chấp nhận xem docs/ingest.md.",
                f"File {name} lacks required columns: {lines}. Columns in the file: {', '.join(headers)}. Accepted header names: see docs/ingest.md.",
            )
        )
    return found, ignored
