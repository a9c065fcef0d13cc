"""Fail closed, in a real server and a real browser.

The server listens on 127.0.0.2, a second loopback address standing in for a network one
(Linux routes all of 127.0.0.0/8 to the loopback device), started by scripts/serve.py as
production does. Sign-in was configured when it started (an account existed); disabling
every account afterwards with the accounts CLI must leave a sign-in screen, never the
single-user demo with its full access.
"""

import subprocess
import sys

import pytest

from data_access import accounts
from data_access.db import make_engine
from tests.support import copy_sqlite
from tests.support.app_server import REPO_ROOT
from tests.support.browser import wait_for_app

PASSWORD = "mật khẩu quản trị 17"
DEMO_BANNER = "Chế độ thử nghiệm một người dùng"


@pytest.fixture
def accounts_db(demo_db_url, tmp_path):
    url = copy_sqlite(demo_db_url, tmp_path / "accounts.sqlite")
    engine = make_engine(url)
    accounts.add(engine, "admin17", "admin", PASSWORD)
    engine.dispose()
    return url


def _accounts_cli(url: str, *args: str) -> None:
    done = subprocess.run([sys.executable, "-m", "data_access.accounts", "--url", url, *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_disabling_every_account_does_not_open_the_app(accounts_db, streamlit_server, page, browser):
    server = streamlit_server(REPO_ROOT / "app.py", env={"DASHBOARD_DATABASE_URL": accounts_db}, cwd=REPO_ROOT, address="127.0.0.2")
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_label("Mật khẩu").wait_for()  # the sign-in form, as expected

    _accounts_cli(accounts_db, "disable", "admin17")
    for _ in range(2):  # the same tab reloaded, then a new visitor
        page.goto(f"{server.url}/data")
        wait_for_app(page)
        page.get_by_text("Đăng nhập", exact=True).first.wait_for()
        body = page.locator("[data-testid='stApp']").inner_text()
        assert "Quản trị viên cần tạo tài khoản" in body, body[:500]
        assert DEMO_BANNER not in body
        assert page.locator("[data-testid='stMetric'], [data-testid='stDataFrame'], [data-testid='stFileUploader']").count() == 0
        assert page.locator("[data-testid='stSidebarNav']").count() == 0
        page = browser.new_context(locale="vi-VN").new_page()

    # An administrator creates an account again: the sign-in form is back, with no restart.
    _accounts_cli(accounts_db, "enable", "admin17")
    page.goto(server.url)
    wait_for_app(page)
    page.get_by_label("Mật khẩu").wait_for()


def _status(url: str) -> int:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_metrics_answer_only_when_an_operator_enables_them(app_server, streamlit_server, demo_db_url):
    assert _status(f"{app_server}/_stcore/health") == 200
    assert _status(f"{app_server}/_stcore/metrics") == 404
    enabled = streamlit_server(REPO_ROOT / "app.py", env={"DASHBOARD_DATABASE_URL": demo_db_url, "DASHBOARD_METRICS": "1"}, cwd=REPO_ROOT)
    assert _status(f"{enabled.url}/_stcore/metrics") == 200
