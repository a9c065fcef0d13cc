"""A ward chair in the real app and a real browser (issue 12): their own unit in full; a crafted
link to another ward, a sibling former ward of their former district, an area, or another
unit's trend shows "ngoài phạm vi của bạn" and no figure, table or chart."""

import pytest

from data_access import accounts
from data_access.db import make_engine
from tests.support import copy_sqlite
from tests.support.app_server import REPO_ROOT
from tests.support.browser import wait_for_app

PASSWORD = "mật khẩu phường Sài Gòn"
OWN = "26740"  # Phường Sài Gòn
FIGURES = "[data-testid='stMetric'], [data-testid='stDataFrame'], .js-plotly-plot"


@pytest.fixture
def chair_db(demo_db_url, tmp_path):
    url = copy_sqlite(demo_db_url, tmp_path / "ward_chair.sqlite")
    engine = make_engine(url)
    accounts.add(engine, "chair-sg", "ward_chair", PASSWORD, unit_code=OWN, display_name="Chủ tịch UBND phường Sài Gòn")
    engine.dispose()
    return url


@pytest.mark.browser
def test_a_ward_chair_cannot_open_another_units_details_through_any_link(chair_db, streamlit_server, page):
    server = streamlit_server(REPO_ROOT / "app.py", env={"DASHBOARD_DATABASE_URL": chair_db}, cwd=REPO_ROOT)
    page.goto(f"{server.url}/unit?unit={OWN}&period=2026-10")
    wait_for_app(page)
    page.get_by_label("Tên đăng nhập").fill("chair-sg")
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    page.locator("h1", has_text="Hồ sơ đơn vị · Phường Sài Gòn").wait_for()
    wait_for_app(page)
    # Their own unit, in full. Waited for, not counted at once: the sign-in ends its run with a
    # rerun, and between the two runs the app can look idle with only the heading drawn.
    page.locator(FIGURES).first.wait_for(timeout=60_000)
    assert page.get_by_text("ngoài phạm vi của bạn").count() == 0

    for link in (
        "unit?unit=26743&period=2026-10",  # Phường Bến Thành, another ward of today
        "unit?unit=26749&period=2025-05&layout=then",  # a former ward of Quận 1 that did not go into Sài Gòn
        "overview?scope=area:760&period=2026-10",  # the former Quận 1 as an area
        "trends?units=26743&period=2026-10",  # another ward's trend
    ):
        page.goto(f"{server.url}/{link}")
        wait_for_app(page)
        page.get_by_text("ngoài phạm vi của bạn").first.wait_for()
        assert page.locator(FIGURES).count() == 0, link
