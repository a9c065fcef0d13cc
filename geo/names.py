"""Normalise Vietnamese unit names so files and the units table can be matched by name.

"Phường 01", "P.1", "phuong 1" -> "1"; "Xã Phú Hòa Đông" -> "phu hoa dong";
"Quận Gò Vấp" -> "go vap"; "Thành phố Thủ Đức" -> "thu duc".
"""

from __future__ import annotations

import re
import unicodedata

# Longest first, so "thi tran" wins over a shorter prefix. Matched on the unaccented text.
TYPE_PREFIXES = (
    "thanh pho",
    "thi tran",
    "thi xa",
    "dac khu",
    "phuong",
    "quan",
    "huyen",
    "tinh",
    "xa",
    "tp",
    "tt",
    "p",
    "q",
    "h",
    "x",
)
_PREFIX_RE = re.compile(r"^(?:" + "|".join(re.escape(p) for p in TYPE_PREFIXES) + r")(?:\s+|\.\s*|(?=\d))")


def strip_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics, including đ/Đ -> d/D."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalise_name(name, keep_diacritics: bool = False) -> str:
    """A matching key: lower case, no type prefix, no leading zeros, no diacritics.

    keep_diacritics=True keeps the accents (to tell "Thanh An" from "Thạnh An" when the
    plain key is ambiguous).
    """
    if name is None:
        return ""
    text = unicodedata.normalize("NFC", str(name)).lower().strip()
    text = re.sub(r"[_\-–,;/()]+", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    # Strip a type prefix (matched without accents; NFC Vietnamese letters fold one to one),
    # but never leave an empty name ("Quận" alone stays "quận").
    match = _PREFIX_RE.match(strip_diacritics(text))
    if match and text[match.end() :].strip():
        text = text[match.end() :].strip()
    text = text.replace(".", " ")
    text = re.sub(r"\b0+(\d)", r"\1", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text if keep_diacritics else strip_diacritics(text)
