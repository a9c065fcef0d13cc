"""The dashboard (app.py) in Streamlit's AppTest: a page opened as a user's link opens it, every
page a signed-in viewer may open, and the Data page's check-then-import steps.

AppTest clears URL parameters on a page switch, so the app runs once, switches to the page,
then sets the parameters and runs again. The asserts carry their own messages: pytest does
not rewrite the asserts of this module.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.support.app_server import REPO_ROOT

APP = str(REPO_ROOT / "app.py")
DATA_PAGE = "pages/admin/data.py"
# Every page but the administrator's.
VIEWER_PAGES = sorted(str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "pages").glob("*/*.py") if path.parent.name != "admin")


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


def open_every_viewer_page(app: AppTest) -> None:
    """Each of VIEWER_PAGES opens for the signed-in viewer of `app`: no exception, a title, and
    no refusal (their own default view is in scope)."""
    for page in VIEWER_PAGES:
        app.switch_page(page)
        app.run()
        assert not app.exception, f"{page}: {app.exception[0].value}"
        assert not [e for e in app.error if "ngoài phạm vi" in e.value], page
        assert app.title or app.header, page


# --- the Data page (single-user demo mode: the viewer is an administrator) ---------------------
def open_data_page(database_url: str, monkeypatch, timeout: float = 60) -> AppTest:
    """The app on the database at `database_url`, switched to the Data page."""
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", database_url)
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    assert not at.exception, at.exception[0].value
    at.switch_page(DATA_PAGE).run()
    return at


def check_upload(at: AppTest, name: str, data: bytes) -> None:
    """Upload a CSV file and press Check."""
    at.file_uploader(key="ingest_file").set_value((name, data, "text/csv")).run()
    at.button(key="ingest_check").click().run()


def first_problem(at: AppTest) -> list:
    """Row, column and value of the first problem the page lists for a refused file."""
    problems = next(d.value for d in at.dataframe if "Dòng" in d.value.columns)
    return problems.iloc[0].tolist()[:3]


def refused_upload(at: AppTest) -> list:
    """After Check: the page refuses the file; its first_problem."""
    assert not at.exception, at.exception[0].value
    assert "không được nhập" in at.error[0].value, [e.value for e in at.error]
    return first_problem(at)


def import_checked(at: AppTest) -> list[str]:
    """After Check: the file is valid; press Import. What the page then says."""
    assert "hợp lệ" in at.success[0].value, [s.value for s in at.success]
    at.button(key="ingest_import").click().run()
    assert not at.exception, at.exception[0].value
    return [s.value for s in at.success]
