"""Helpers for the tests: a throwaway PostgreSQL server, a Streamlit server, a browser.

Plain Python (no pytest fixtures here): `tests/conftest.py` wraps them in fixtures.
"""

from __future__ import annotations

import os
import socket


def in_ci() -> bool:
    """True under CI (env CI=true/1/yes): missing tools then fail tests instead of skipping."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def missing_tool(reason: str) -> None:
    """Skip the test for a missing tool, or fail it under CI, where every test must run."""
    import pytest

    if in_ci():
        pytest.fail(f"{reason} (CI=true: CI must run these tests; scripts/test.sh installs it)", pytrace=False)
    pytest.skip(f"{reason}; run `bash scripts/test.sh` as root to install it")


def copy_sqlite(url: str, path) -> str:
    """A copy of the SQLite database at `url` in `path` (sqlite's online backup); its URL."""
    import sqlite3

    source, target = sqlite3.connect(url.removeprefix("sqlite:///")), sqlite3.connect(path)
    source.backup(target)
    source.close()
    target.close()
    return f"sqlite:///{path}"
