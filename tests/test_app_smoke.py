"""Every page runs through app.py on the demo data without an exception (AppTest)."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted(str(path.relative_to(ROOT)) for path in (ROOT / "pages").glob("*/*.py"))


def run_app(page: str | None = None, **params) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        app.query_params[key] = value
    if page:
        app.switch_page(page)
    return app.run()


def test_pages_are_in_subfolders_only():
    # A .py directly in pages/ switches Streamlit to its legacy multipage mode (DESIGN.md).
    assert not list((ROOT / "pages").glob("*.py"))
    assert "pages/overview/overview.py" in PAGES


@pytest.mark.parametrize("page_path", PAGES)
def test_every_page_renders(page_path, demo_db_env):
    app = run_app(page_path)
    assert not app.exception, app.exception[0].value if app.exception else ""
    assert app.title or app.header, f"{page_path} shows no heading"


@pytest.mark.parametrize("page_path", PAGES)
def test_every_page_renders_in_english(page_path, demo_db_env):
    app = run_app(page_path, lang="en")
    assert not app.exception
    assert app.sidebar.radio(key="lang").value == "en"
