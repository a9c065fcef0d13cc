"""A city starting from zero: after `reference init --province 01` into an empty database the
real app starts, says there is no data yet, points to the Data page, and that page offers the
reference lists."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from data_access import reference
from data_access.db import make_engine
from data_access.migrate import upgrade
from tests.support.app_server import REPO_ROOT
from tests.support.browser import wait_for_app


@pytest.mark.browser
def test_app_starts_on_reference_data_without_facts(tmp_path, streamlit_server, page):
    url = f"sqlite:///{tmp_path / 'hanoi.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    reference.init_province(engine, "01", actor="test")
    engine.dispose()

    server = streamlit_server(REPO_ROOT / "app.py", env={"DASHBOARD_DATABASE_URL": url}, cwd=REPO_ROOT)
    page.goto(server.url)
    wait_for_app(page)
    notice = page.get_by_text("Cơ sở dữ liệu chưa có số liệu")
    notice.wait_for()
    assert "trang Dữ liệu" in notice.inner_text()
    page.screenshot(path=str(tmp_path / "empty-hanoi.png"))

    page.goto(f"{server.url}/data")
    wait_for_app(page)
    page.get_by_role("heading", name="Dữ liệu").first.wait_for()
    expect(page.get_by_text("Danh mục đơn vị hành chính")).to_be_visible()
    expect(page.get_by_text("Chỉ tiêu", exact=True)).to_be_visible()
