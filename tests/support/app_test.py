"""The dashboard (app.py) in Streamlit's AppTest: a page opened as a user's link opens it.

AppTest clears URL parameters on a page switch, so the app runs once, switches to the page,
then sets the parameters and runs again. The asserts carry their own messages: pytest does
not rewrite the asserts of this module.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support.app_server import REPO_ROOT

APP = str(REPO_ROOT / "app.py")


def run_page(page: str, params: dict, timeout: float = 120) -> AppTest:
    """The app run, then `page` with these URL parameters; not checked (the caller says what may fail)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    at.switch_page(page).run()
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at


def open_page(page: str, **params) -> AppTest:
    """run_page, failing the test on any exception."""
    at = run_page(page, params)
    assert not at.exception, at.exception[0].value
    return at
