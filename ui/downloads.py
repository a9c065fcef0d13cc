"""Download buttons for any table: CSV (UTF-8 with BOM, so Excel shows Vietnamese right) and Excel.

Pass the frame exactly as shown, with Vietnamese headers; the file name says scope and period.
Every file handed out is recorded in the audit log (who, which file, how many rows, when)
at the moment it is generated - when the button is clicked, not when the page draws.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from functools import partial

import pandas as pd
import streamlit as st

from data_access import accounts
from data_access.audit import record_audit
from domain.errors import UserFacingError
from i18n.format import fmt_date, fmt_int, fmt_num, fmt_pct
from i18n.text import pick
from reports.spreadsheet import csv_bytes, xlsx_bytes
from ui.i18n import lang, t


def safe_stem(text: str) -> str:
    """ "Xếp hạng · Quận 1 · Tháng 10/2026" -> "xep-hang_quan-1_thang-10-2026": portable file names."""
    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"\s*·\s*", "_", text)
    return re.sub(r"[^a-z0-9_]+", "-", text).strip("-_")[:120] or "bang"


# Every text cell as text, never a formula (reports/spreadsheet.py says how).
to_csv = csv_bytes
to_xlsx = xlsx_bytes
# The files under every table: button label (vi, en), how it is built, file ending, MIME type.
FILE_FORMATS = (
    (("Tải CSV", "Download CSV"), to_csv, "csv", "text/csv"),
    (("Tải Excel", "Download Excel"), to_xlsx, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)


class DownloadRefused(UserFacingError, PermissionError):
    """The account that drew the button was disabled (or removed) before the click."""

    vi = "Tài khoản này không còn được tải tệp (đã bị khóa hoặc xóa). Chi tiết: "
    en = "This account may no longer download files (it was disabled or removed). Details: "
    icon = ":material/lock:"


def audited(build, file_name: str, details: dict | None = None, *, actor: str | None = None, engine=None, signed_in: bool | None = None):
    """A callable for download_button's `data`: builds the file when the user clicks, and
    records the export (the signed-in user, the file, when) in the audit log. Who and which
    database are taken now, while the page draws (default: the session's viewer and the
    app's database): the click is served outside the page run. A signed-in viewer's account
    is checked again at the click: disabled since the page drew, no file (and the refusal is
    in the audit log)."""
    if actor is None or engine is None or signed_in is None:
        from ui import auth, data

        actor = auth.current_viewer().username if actor is None else actor
        engine = data.engine() if engine is None else engine
        signed_in = auth.mode() in ("local", "oidc") if signed_in is None else signed_in

    def generate() -> bytes:
        if signed_in:
            account = accounts.get(engine, actor)
            if account is None or not account.active:
                record_audit(engine, actor, "export-refused", file_name, details)
                raise DownloadRefused(f"the account {actor!r} may no longer download")
        payload = build()
        record_audit(engine, actor, "export", file_name, {**(details or {}), "bytes": len(payload)})
        return payload

    return generate


def download_buttons(frame: pd.DataFrame, file_stem: str, key: str | None = None) -> None:
    """Two small buttons under a table. The files are built only when clicked (a callable), so a
    page with many tables does not pay for Excel files nobody asked for; each click is audited."""
    stem = safe_stem(file_stem)
    key = key or stem
    rows = {"rows": len(frame)}
    for place, (label, build, ending, mime) in zip(st.columns([1, 1, 4]), FILE_FORMATS):
        place.download_button(
            t(*label),
            audited(partial(build, frame), f"{stem}.{ending}", rows),
            f"{stem}.{ending}",
            mime,
            key=f"{ending}_{key}",
            icon=":material/download:",
            on_click="ignore",
        )


@dataclass(frozen=True)
class Col:
    """One column of a table: Vietnamese and English headers, raw values, and how to show them.

    kind: "text", "int", "pct" (a share in [0, 1]), "num" (one decimal), "num2" (two), "change2" (two, signed), "date", "link".
    """

    vi: str
    en: str
    values: object
    kind: str = "text"

    def label(self, lang: str) -> str:
        return pick(lang, self.vi, self.en)


def _shown(col: Col, lang: str) -> list:
    values = list(col.values)
    if col.kind == "int":
        return [fmt_int(v, lang) for v in values]
    if col.kind == "pct":
        return [fmt_pct(v, lang) for v in values]
    if col.kind == "num":
        return [fmt_num(v, lang, 1) for v in values]
    if col.kind == "num2":
        return [fmt_num(v, lang, 2) for v in values]
    if col.kind == "change2":  # a signed change: +1,25 / -0,50
        return [("+" if isinstance(v, (int, float)) and v > 0.005 else "") + fmt_num(v, lang, 2) for v in values]
    if col.kind == "date":
        return [fmt_date(v) for v in values]
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def _exported(col: Col):
    values = pd.Series(list(col.values))
    if col.kind == "pct":  # a percentage number Excel can compute with, said in the header
        return f"{col.vi} (%)", (pd.to_numeric(values) * 100).round(2)
    if col.kind == "date":
        return col.vi, pd.to_datetime(values).dt.date
    return col.vi, values


def frames(columns: list[Col], lang: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(display frame: formatted text in the user's language, export frame: numbers, Vietnamese headers)."""
    display = pd.DataFrame({c.label(lang): _shown(c, lang) for c in columns if c.kind != "hidden"})
    export = pd.DataFrame(dict(_exported(c) for c in columns if c.kind not in ("link", "hidden-export")))
    return display, export


def table(columns: list[Col], file_stem: str, key: str, highlight: list | None = None, height: int | str = "auto") -> None:
    """A table as shown on screen, plus its CSV/Excel downloads (Vietnamese headers, raw numbers).

    `highlight`: per row, True (or a short text) marks the row in a narrow first column: the
    weakest units a review meeting asks about first, or the unit being profiled. A marker
    column, not a pandas Styler: styling every cell costs more than the rest of the page.
    Link columns open the unit's profile.
    """
    if highlight is not None and any(highlight):
        # Shapes every font has (no emoji: Debian's chromium has no emoji font).
        columns = [Col("Chú ý", "Flag", [("▼" if m is True else m) if m else "" for m in highlight], "hidden-export"), *columns]
    display, export = frames(columns, lang())
    config = {c.label(lang()): st.column_config.LinkColumn(display_text=t("Hồ sơ ›", "Profile ›")) for c in columns if c.kind == "link"}
    st.dataframe(display, hide_index=True, width="stretch", column_config=config, height=height, key=f"table_{key}")
    download_buttons(export, file_stem, key)
