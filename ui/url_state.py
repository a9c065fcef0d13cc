"""Widgets whose value lives in the URL, so every view is a shareable link.

Streamlit's own `bind="query-params"` writes the *displayed label* into the URL, which
changes with the language; these helpers write the option's code instead (`?period=2026-10`,
not `?period=Tháng 10/2026`).

Which value wins: a URL value this session did not write itself (a new visit, a link, a
page switch with parameters) sets the widget; otherwise the widget keeps what the user
chose, and the URL is rewritten to match after every run. A URL value that is not an
offered option is noted (see `rejected_params`) and ignored, so a crafted link cannot
break a page.
"""

from __future__ import annotations

from urllib.parse import urlencode

import streamlit as st

_REJECTED = "_rejected_url_params"
_WRITTEN = "_url_params_written"
_LABELS = "_url_widget_labels"
# The view's parameters that every link to another page keeps (the global filter bar).
GLOBAL_PARAMS = ("pk", "period", "range", "cmp", "layout", "scope", "lang")


def _written() -> dict:
    return st.session_state.setdefault(_WRITTEN, {})


def arrived(key: str) -> bool:
    """Does the URL carry a value for `key` that this session did not write (a link followed)?"""
    values = st.query_params.get_all(key)
    return bool(values) and values != _written().get(key)


def _from_url(key: str, options, multiple: bool = False) -> tuple[bool, object]:
    """(True, value) when the URL carries a value for `key` that this session did not write."""
    if not arrived(key):
        return False, None
    values = st.query_params.get_all(key)
    value = values if multiple else values[0]
    if not all(v in options for v in values):
        st.session_state.setdefault(_REJECTED, {})[key] = ",".join(values)
        return False, None
    return True, value


def _write(key: str, value, default) -> None:
    """Put the widget's value in the URL; the default is left out to keep links short."""
    values = [] if value == default else ([str(v) for v in value] if isinstance(value, list) else [str(value)])
    _written()[key] = values
    if st.query_params.get_all(key) == values:
        return
    if values:
        st.query_params[key] = values
    elif key in st.query_params:
        del st.query_params[key]


def _bound(widget, label: str, options, key: str, default=None, keep: bool = False, **kwargs):
    options = list(options)
    default = options[0] if default is None or default not in options else default
    found, value = _from_url(key, options)
    if found:
        st.session_state[key] = value
    elif st.session_state.get(key) not in options:
        # The widget's state is gone (a page switch drops it) while the URL still holds what
        # this session wrote: keep that, not the default (a map click to a profile in May 2025
        # must not open October 2026).
        written = st.query_params.get_all(key)
        st.session_state[key] = written[0] if len(written) == 1 and written[0] in options else default
    _resend_if_relabelled(key, options, kwargs.get("format_func", str))
    chosen = widget(label, options, key=key, **kwargs)
    # A deselectable widget (segmented control) handed back None: keep the default.
    chosen = default if chosen is None else chosen
    _write(key, chosen, None if keep else default)
    return chosen


def _resend_if_relabelled(key: str, options: list, format_func) -> None:
    """The browser keeps a choice as its label: after the labels change (the language was
    switched) it would show the old label, or nothing, until the value is sent again, which
    assigning it again does."""
    labels = [format_func(option) for option in options]
    drawn = st.session_state.setdefault(_LABELS, {})
    if drawn.get(key, labels) != labels:
        st.session_state[key] = st.session_state[key]
    drawn[key] = labels


def selectbox(container, label: str, options, key: str, default=None, keep: bool = False, **kwargs):
    """A selectbox kept in the URL parameter `key` (options are codes; format_func shows labels).
    `keep`: write the value even when it is the default (a profile link always names its unit)."""
    return _bound(container.selectbox, label, options, key, default, keep, **kwargs)


def radio(container, label: str, options, key: str, default=None, **kwargs):
    return _bound(container.radio, label, options, key, default, **kwargs)


def segmented(container, label: str, options, key: str, default=None, **kwargs):
    return _bound(container.segmented_control, label, options, key, default, **kwargs)


def multiselect(container, label: str, options, key: str, default: list, **kwargs) -> list:
    """A multiselect kept in the URL as a repeated parameter (`?units=760&units=26734`)."""
    options = list(options)
    limit = kwargs.get("max_selections") or len(options)
    found, value = _from_url(key, options, multiple=True)
    if found:
        st.session_state[key] = list(dict.fromkeys(value))[:limit]
    elif not isinstance(st.session_state.get(key), list) or any(v not in options for v in st.session_state[key]):
        written = st.query_params.get_all(key)  # state dropped by a page switch: the URL still has it
        st.session_state[key] = list(dict.fromkeys(written))[:limit] if written and all(v in options for v in written) else list(default)
    _resend_if_relabelled(key, options, kwargs.get("format_func", str))
    chosen = container.multiselect(label, options, key=key, **kwargs)
    _write(key, chosen, list(default))
    return chosen


def toggle(container, label: str, key: str, default: bool = False, **kwargs) -> bool:
    """An on/off switch kept in the URL as `key=1` / `key=0` while it differs from `default`."""
    found, value = _from_url(key, ["0", "1"])
    if found:
        st.session_state[key] = value == "1"
    elif key not in st.session_state:
        st.session_state[key] = default
    chosen = container.toggle(label, key=key, **kwargs)
    _write(key, "1" if chosen else "0", "1" if default else "0")
    return chosen


def forget_rejected() -> None:
    """Start a run with no ignored parameters: each run reports those of its own link."""
    st.session_state.pop(_REJECTED, None)


def rejected_params() -> dict:
    """URL parameters this run ignored because they were not valid values."""
    return st.session_state.get(_REJECTED, {})


def link(path: str, **params) -> str:
    """A link to a page (`"unit"` or `"/unit"`) keeping the viewer's period, scope and language."""
    current = st.query_params.to_dict()  # one read: a ranking table builds a link per row
    kept = {key: current[key] for key in GLOBAL_PARAMS if current.get(key)}
    kept.update({key: value for key, value in params.items() if value is not None})
    # The default page (the overview) lives at "/": "/overview" would not be found.
    path = "/" if path.strip("/") in ("", "overview") else "/" + path.strip("/")
    return f"{path}?{urlencode(kept, doseq=True)}" if kept else path
