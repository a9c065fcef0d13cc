"""The user's language, and the one call pages use for text: t("Tiếng Việt", "English").

Vietnamese is the default; the language switch is kept in the `lang` URL parameter so a
shared link opens in the sender's language.
"""

from __future__ import annotations

import threading

import streamlit as st

from ui import url_state
from i18n.text import pick

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


# The language of the script run in this thread (Streamlit starts a thread per run), set by
# language_switch at the top of every run: lang() is read for every label and table cell, a
# few thousand times a view, and a read of the session's state costs 5 µs (issue 14, py-spy).
_this_run = threading.local()


def language_switch() -> str:
    url_state.radio(st.sidebar, "Ngôn ngữ / Language", list(LANGUAGES), key="lang", format_func=LANGUAGES.get, horizontal=True)
    _this_run.lang = _chosen()
    return _this_run.lang


def lang() -> str:
    known = getattr(_this_run, "lang", None)
    return known if known is not None else _chosen()


def _chosen() -> str:
    value = st.session_state.get("lang", "vi")
    return value if value in LANGUAGES else "vi"


def t(vi: str, en: str) -> str:
    return pick(lang(), vi, en)
