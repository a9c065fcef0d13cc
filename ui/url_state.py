"""Widgets whose value lives in the URL, so every view is a shareable link.

Streamlit's own `bind="query-params"` writes the *displayed label* into the URL, which
changes with the language; these helpers write the option's code instead (`?period=2026-10`,
not `?period=Tháng 10/2026`). A value from the URL that is not an offered option is
noted (see `rejected_params`) and the default is used, so a crafted link cannot break a page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

_REJECTED = "_rejected_url_params"


def _seed(key: str, options: list, default) -> None:
    """Give the widget its starting value: the URL's when valid, else the default."""
    if key in st.session_state and st.session_state[key] in options:
        return
    raw = st.query_params.get(key)
    if raw is not None and raw not in options:
        st.session_state.setdefault(_REJECTED, {})[key] = raw
    st.session_state[key] = raw if raw in options else default


def _publish(key: str, value, default) -> None:
    if value == default:
        if key in st.query_params:
            del st.query_params[key]
    elif st.query_params.get(key) != value:
        st.query_params[key] = value


def _bound(widget, label: str, options, key: str, default=None, **kwargs):
    options = list(options)
    default = options[0] if default is None or default not in options else default
    _seed(key, options, default)
    value = widget(label, options, key=key, **kwargs)
    _publish(key, value, default)
    return value


def selectbox(container, label: str, options, key: str, default=None, **kwargs):
    """A selectbox bound to the URL parameter `key` (options are codes; use format_func for labels)."""
    return _bound(container.selectbox, label, options, key, default, **kwargs)


def radio(container, label: str, options, key: str, default=None, **kwargs):
    return _bound(container.radio, label, options, key, default, **kwargs)


def segmented(container, label: str, options, key: str, default=None, **kwargs):
    """A segmented control that always has one option chosen."""
    options = list(options)
    default = options[0] if default is None or default not in options else default
    _seed(key, options, default)
    value = container.segmented_control(label, options, key=key, **kwargs)
    if value is None:  # clicking the chosen option again deselects it: keep the default
        value = default
    _publish(key, value, default)
    return value


def toggle(container, label: str, key: str, **kwargs) -> bool:
    """An on/off switch kept in the URL as `key=1` while on."""
    if key not in st.session_state:
        st.session_state[key] = st.query_params.get(key) == "1"
    value = container.toggle(label, key=key, **kwargs)
    _publish(key, "1" if value else "0", "0")
    return value


def rejected_params() -> dict:
    """URL parameters this session ignored because they were not valid values."""
    return st.session_state.get(_REJECTED, {})


def link(path: str, **params) -> str:
    """A link to a page keeping the current view's parameters (period, scope, language ...)."""
    merged = {key: st.query_params.get(key) for key in st.query_params}
    merged.update({key: value for key, value in params.items() if value is not None})
    query = urlencode({key: value for key, value in merged.items() if value is not None})
    return f"{path}?{query}" if query else path
