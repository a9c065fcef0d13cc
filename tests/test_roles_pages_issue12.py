"""A ward chair and an area leader in the real app (AppTest) on Hồ Chí Minh City's two-tier
reference: a crafted link to another ward, an area or a sibling former ward shows the refusal
and no figures; their own scope is what the filter offers.

The database: `reference init --province 79` and a few ratings (October 2026 on Phường Sài Gòn
26740 and Phường Bến Thành 26743; May 2025 on the former Phường Bến Nghé, which became Sài Gòn).
"""

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert
from streamlit.testing.v1 import AppTest

from data_access import accounts, reference
from data_access.db import make_engine
from data_access.migrate import upgrade
from data_access.refresh import refresh_summaries
from data_access.schema import ratings
from tests.support.app_test import open_every_viewer_page

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "mật khẩu phường Sài Gòn"


@pytest.fixture
def two_tier_db(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'two_tier.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    reference.init_province(engine, "79")
    rows = [
        ("26740", datetime(2026, 10, 5, 9)),
        ("26740", datetime(2026, 10, 6, 9)),
        ("26743", datetime(2026, 10, 7, 9)),
        ("26740@2025-06-30", datetime(2025, 5, 7, 9)),
    ]
    with engine.begin() as connection:
        connection.execute(
            insert(ratings),
            [
                dict(source_key=f"R{i}", unit_code=unit, officer_code=None, channel="kiosk", level=1, rated_at=at, reason=None)
                for i, (unit, at) in enumerate(rows)
            ],
        )
    refresh_summaries(engine, today=date(2026, 11, 22))
    accounts.add(engine, "chair-sg", "ward_chair", PASSWORD, unit_code="26740", display_name="Chủ tịch UBND phường Sài Gòn")
    accounts.add(engine, "area-q1", "area_leader", PASSWORD, unit_code="760", display_name="Phụ trách khu vực Quận 1")
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    yield engine
    engine.dispose()


def _signed_in(username: str) -> AppTest:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    app.text_input(key="sign_in_user").input(username)
    app.text_input(key="sign_in_password").input(PASSWORD)
    app.button(key="sign_in_submit").click()
    app.run()
    assert not app.exception, app.exception[0].value if app.exception else ""
    return app


def _refused_with_no_figures(app: AppTest) -> bool:
    return any("ngoài phạm vi của bạn" in e.value for e in app.error) and not app.dataframe and not app.metric and not app.get("plotly_chart")


def test_a_ward_chair_sees_their_ward_and_is_refused_another_wards_profile(two_tier_db):
    app = _signed_in("chair-sg")
    assert app.sidebar.selectbox(key="scope").options == ["Phường Sài Gòn"]
    assert any("Chủ tịch UBND phường/xã" in c.value for c in app.sidebar.caption)
    app.switch_page("pages/analysis/unit_profile.py")
    app.query_params["unit"] = "26740"
    app.run()
    assert not app.exception and app.title[0].value == "Hồ sơ đơn vị · Phường Sài Gòn"
    assert not [e for e in app.error if "ngoài phạm vi" in e.value]
    for param, value in (("unit", "26743"), ("unit", "26749"), ("scope", "area:760"), ("units", "26743")):
        app.query_params.clear()
        app.query_params[param] = value  # another ward; a sibling former ward of Quận 1; an area; on the trends page too
        app.run()
        assert not app.exception, app.exception[0].value if app.exception else ""
        assert _refused_with_no_figures(app), (param, value, [e.value for e in app.error])


def test_an_area_leader_is_offered_their_area_and_refused_another(two_tier_db):
    app = _signed_in("area-q1")
    options = app.sidebar.selectbox(key="scope").options
    assert options[0] == "Khu vực Quận 1 (cũ)" and "Phường Sài Gòn" in options and "Phường Bến Thành" in options
    assert "Phường Xuân Hòa" not in options  # a ward from the former Quận 3
    app.query_params["scope"] = "area:770"  # the former Quận 3
    app.run()
    assert _refused_with_no_figures(app)


@pytest.mark.parametrize("username", ["chair-sg", "area-q1"])
def test_every_page_works_for_a_ward_chair_and_an_area_leader(two_tier_db, username):
    app = _signed_in(username)
    open_every_viewer_page(app)
