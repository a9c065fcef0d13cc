"""A session that came back on another app process says so.

Behind the proxy (scripts/cluster.py) several app processes serve the dashboard. When one
stops, the browser's Streamlit frontend reconnects by itself and asks to resume its session;
the process it reaches has never seen that session and starts a new one, which reruns the
page from its link (every choice lives in the URL) but has lost what was typed and not yet
saved. scripts/serve.py notes such sessions here; the first run of each shows a toast.
"""

from __future__ import annotations

import threading

import streamlit as st

from ui.i18n import t

# Session ids of new sessions whose browser asked to resume one this process never had.
_moved: set[str] = set()
_lock = threading.Lock()
MESSAGE_VI = "Máy chủ vừa được thay; trang đã được mở lại từ đường dẫn. Nội dung đang nhập dở (nếu có) cần nhập lại."
MESSAGE_EN = "The server was replaced; the page was reopened from its link. Anything typed but not saved must be entered again."


def note_moved(session_id: str) -> None:
    with _lock:
        _moved.add(session_id)


def notice() -> None:
    """Call once per run: the toast on the first run of a session that moved here."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    context = get_script_run_ctx()
    if context is None:
        return
    with _lock:
        moved = context.session_id in _moved
        _moved.discard(context.session_id)
    if moved:
        st.toast(t(MESSAGE_VI, MESSAGE_EN), icon=":material/sync:")
