"""Local sign-in that lasts, in the real app and a real browser: a signed, expiring,
HttpOnly cookie keeps it over a reload and a new tab, sign-in returns to the page that
was asked for with its parameters, and sign-out (or a disabled account) ends it."""

import pytest

from data_access import accounts
from data_access.db import make_engine
from tests.support import copy_sqlite
from tests.support.app_server import REPO_ROOT
from tests.support.browser import wait_for_app

PASSWORD = "mật khẩu của quận 1"


@pytest.fixture
def chair_db(demo_db_url, tmp_path):
    url = copy_sqlite(demo_db_url, tmp_path / "signed.sqlite")
    engine = make_engine(url)
    # The former Quận 1's chair leads its area since July 2025 (issue 12's roles).
    accounts.add(engine, "chair760", "area_leader", PASSWORD, unit_code="760", display_name="Chủ tịch Quận 1")
    accounts.add(engine, "admin", "admin", PASSWORD + "!")
    ward = "26740"  # Phường Sài Gòn, formed mostly from the former Quận 1's wards
    yield url, engine, ward
    engine.dispose()


def _sign_in(page) -> None:
    page.get_by_label("Tên đăng nhập").fill("chair760")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()


def _title(page) -> str:
    wait_for_app(page)
    heading = page.locator("h1").first
    heading.wait_for()
    return heading.inner_text()


def test_sign_in_lasts_and_returns_to_the_linked_page(chair_db, streamlit_server, page, browser):
    url, engine, ward = chair_db
    server = streamlit_server(REPO_ROOT / "app.py", env={"DASHBOARD_DATABASE_URL": url}, cwd=REPO_ROOT)
    page.goto(f"{server.url}/unit?unit={ward}&period=2026-10")
    wait_for_app(page)
    page.get_by_label("Mật khẩu").wait_for()
    _sign_in(page)
    page.locator("h1", has_text="Hồ sơ đơn vị").wait_for()  # back on the linked page, not the overview
    assert "/unit?" in page.url and f"unit={ward}" in page.url and "period=2026-10" in page.url and "ticket" not in page.url

    cookie = next(c for c in page.context.cookies() if c["name"] == "dashboard_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("dashboard_session") == -1  # JavaScript cannot read it

    page.reload()
    assert _title(page).startswith("Hồ sơ đơn vị")  # a reload keeps the sign-in
    tab = page.context.new_page()
    tab.goto(f"{server.url}/map?period=2026-10")
    assert _title(tab).startswith("Bản đồ")  # so does a new tab

    accounts.set_active(engine, "chair760", False)  # a disabled account ends it at once
    tab.reload()
    wait_for_app(tab)
    tab.get_by_label("Mật khẩu").wait_for()
    accounts.set_active(engine, "chair760", True)

    page.reload()
    wait_for_app(page)
    page.get_by_role("button", name="Đăng xuất").click()  # sign out: the cookie goes too
    page.get_by_label("Mật khẩu").wait_for()
    page.goto(f"{server.url}/map")
    wait_for_app(page)
    page.get_by_label("Mật khẩu").wait_for()
    assert not [c for c in page.context.cookies() if c["name"] == "dashboard_session"]

    # A cookie from another browser, forged or altered, is not a sign-in.
    other = browser.new_context()
    other.add_cookies([{**cookie, "value": cookie["value"].replace("chair760", "admin")}])
    forged = other.new_page()
    forged.goto(f"{server.url}/map")
    wait_for_app(forged)
    forged.get_by_label("Mật khẩu").wait_for()
    other.close()
