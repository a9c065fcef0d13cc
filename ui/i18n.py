"""The user's language, and the one call pages use for text: t("Tiếng Việt", "English").

Vietnamese is the default; the language switch is bound to the `lang` URL parameter so a
shared link opens in the sender's language.
"""

from __future__ import annotations

import streamlit as st

LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def language_switch() -> str:
    st.sidebar.radio(
        "Ngôn ngữ / Language",
        list(LANGUAGES),
        format_func=LANGUAGES.get,
        key="lang",
        horizontal=True,
        bind="query-params",
    )
    return lang()


def lang() -> str:
    value = st.session_state.get("lang", "vi")
    return value if value in LANGUAGES else "vi"


def t(vi: str, en: str) -> str:
    return en if lang() == "en" else vi
