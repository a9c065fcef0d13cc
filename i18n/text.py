"""The one bilingual text helper below ui/: the Vietnamese or the English text of a message.

ui/i18n.py's `t(vi, en)` is the same choice with the viewer's language.
"""

from __future__ import annotations


def pick(lang: str, vi: str, en: str) -> str:
    return en if lang == "en" else vi
