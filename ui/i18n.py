"""The user's language, and the one call pages use for text: t("Tiếng Việt", "English").

Vietnamese is the default; the language switch is kept in the `lang` URL parameter so a
shared link opens in the sender's language.
"""

from __future__ import annotations

import streamlit as st

from ui import url_state
from i18n.text import pick

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def language_switch() -> str:
    url_state.radio(st.sidebar, "Ngôn ngữ / Language", list(LANGUAGES), key="lang", format_func=LANGUAGES.get, horizontal=True)
    return lang()


def lang() -> str:
    value = st.session_state.get("lang", "vi")
    return value if value in LANGUAGES else "vi"


def t(vi: str, en: str) -> str:
    return pick(lang(), vi, en)
