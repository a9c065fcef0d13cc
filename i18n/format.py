"""Number and date formatting for Vietnamese and English, shared by the UI and reports.

Vietnamese style: thousands separated by ".", decimals by "," (1.230; 99,2%).
English style: thousands ",", decimals "." (1,230; 99.2%).
None / NaN / unparseable values become an em dash "—" ("no data", never 0).
Pure Python: no Streamlit, no locale module (the server locale must not matter).
"""

from __future__ import annotations

import math
from datetime import date, datetime

from i18n.text import pick

DASH = "—"


def _missing(x) -> bool:
    if x is None:
        return True
    try:
        return bool(math.isnan(float(x)))
    except (TypeError, ValueError):
        return True


def _group(number_text: str, lang: str) -> str:
    """Apply thousands/decimal separators to an en-formatted '1,234.5' string."""
    if lang == "en":
        return number_text
    return number_text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def fmt_num(x, lang: str = "vi", decimals: int = 1) -> str:
    """1234.56 -> '1.234,6' (vi) / '1,234.6' (en)."""
    if _missing(x):
        return DASH
    value = float(x)
    if math.isinf(value):
        return DASH
    text = f"{value:,.{int(decimals)}f}"
    if text.startswith("-") and float(text.lstrip("-").replace(",", "")) == 0:
        text = text[1:]  # no "-0,0"
    return _group(text, lang)


def fmt_int(x, lang: str = "vi") -> str:
    """1230 -> '1.230' (vi) / '1,230' (en). Rounds half away from zero."""
    if _missing(x) or math.isinf(float(x)):
        return DASH
    value = float(x)
    rounded = int(math.floor(abs(value) + 0.5)) * (1 if value >= 0 else -1)
    return _group(f"{rounded:,d}", lang)


def fmt_pct(x, lang: str = "vi", decimals: int = 1) -> str:
    """A share in [0, 1] as a percentage: 0.9924 -> '99,2%' (vi) / '99.2%' (en)."""
    if _missing(x):
        return DASH
    return fmt_num(float(x) * 100.0, lang, decimals) + "%"


def fmt_delta_pct_points(x, lang: str = "vi", decimals: int = 1) -> str:
    """A difference of two shares, in percentage points, always signed.

    0.012 -> '+1,2 điểm phần trăm' (vi) / '+1.2 pp' (en); -0.005 -> '-0,5 điểm phần trăm'.
    """
    if _missing(x):
        return DASH
    points = float(x) * 100.0
    if math.isinf(points):
        return DASH
    text = fmt_num(abs(points), lang, decimals)
    sign = "" if round(abs(points), int(decimals)) == 0 else ("+" if points > 0 else "-")
    unit = pick(lang, "điểm phần trăm", "pp")
    return f"{sign}{text} {unit}"


def plot_separators(lang: str = "vi") -> str:
    """Plotly's `separators` (decimal mark, then thousands mark) for the language."""
    return pick(lang, ",.", ".,")


def fmt_date(d, lang: str = "vi") -> str:
    """Day/month/year in both languages (the users' convention): '22/11/2026'."""
    if d is None:
        return DASH
    try:
        import pandas as pd  # local import: pandas is available, but keep this module light

        if pd.isna(d):
            return DASH
        if isinstance(d, pd.Timestamp):
            d = d.to_pydatetime()
    except (TypeError, ValueError, ImportError):
        pass
    if isinstance(d, str):
        d = date.fromisoformat(d[:10])
    if isinstance(d, datetime):
        d = d.date()
    if not isinstance(d, date):
        return DASH
    return f"{d.day:02d}/{d.month:02d}/{d.year:04d}"


def fmt_datetime(d, lang: str = "vi") -> str:
    """Day/month/year hours:minutes in both languages: '22/11/2026 14:05'."""
    try:
        import pandas as pd

        stamp = pd.Timestamp(d)
    except (TypeError, ValueError):
        return DASH
    if pd.isna(stamp):
        return DASH
    return f"{fmt_date(stamp, lang)} {stamp.hour:02d}:{stamp.minute:02d}"
