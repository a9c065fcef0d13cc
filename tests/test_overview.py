"""The overview as a city leader reads it, on the small demo database."""

import re
from urllib.parse import parse_qs

import pandas as pd
import pytest
from sqlalchemy import text

from data_access.db import make_engine
from i18n.format import fmt_pct
from tests.test_app_smoke import run_app


@pytest.fixture(scope="module")
def facts(demo_db_url):
    """Ratings of the demo database, read straight from the fact table (independent path)."""
    engine = make_engine(demo_db_url)
    with engine.connect() as connection:
        frame = pd.read_sql(text("select unit_code, level, rated_at from ratings"), connection)
    engine.dispose()
    frame["rated_at"] = pd.to_datetime(frame["rated_at"])
    return frame


def card(app, label):
    return next(m for m in app.metric if m.label == label)


def test_first_screen_is_the_city_in_the_latest_complete_month(demo_db_env, facts):
    app = run_app()
    assert not app.exception
    assert "Tổng quan" in app.title[0].value and "Thành phố Hồ Chí Minh" in app.title[0].value
    month = facts["rated_at"].max().to_period("M")  # the demo ends with a complete month
    in_month = facts[facts["rated_at"].dt.to_period("M") == month]
    satisfied = in_month["level"].isin([1, 2]).sum() / len(in_month)
    assert card(app, "Tỷ lệ hài lòng").value == fmt_pct(satisfied, "vi")
    assert card(app, "Số lượt đánh giá").value == f"{len(in_month):,}".replace(",", ".")
    assert f"Tháng {month.month}/{month.year}" in app.caption[0].value


def test_district_scope_deep_link(demo_db_env, facts, demo_db_url):
    engine = make_engine(demo_db_url)
    with engine.connect() as connection:
        wards = pd.read_sql(text("select code from units where parent_code = '760' or code = '760'"), connection)
    engine.dispose()
    # Quận 1 is a former district (until 30 June 2025): a quarter of its time, its units then.
    app = run_app(scope="760", period="2025-Q2", cmp="yoy", layout="then")
    assert not app.exception
    assert "Quận 1" in app.title[0].value
    q2 = facts[(facts["rated_at"] >= "2025-04-01") & (facts["rated_at"] < "2025-07-01") & facts["unit_code"].isin(wards["code"])]
    assert card(app, "Số lượt đánh giá").value == f"{len(q2):,}".replace(",", ".")
    assert "Quý 2/2025" in app.caption[0].value and "Quý 2/2024" in app.caption[0].value


def test_the_link_keeps_the_period_it_shows(demo_db_env):
    # The newest quarter is the quarter selector's default; the link must still name it,
    # or a reload would fall back to a month.
    app = run_app(period="2026-Q3")
    assert "Quý 3/2026" in app.caption[0].value
    assert app.query_params["period"] == "2026-Q3"
    again = run_app(**{key: app.query_params[key] for key in app.query_params})
    assert "Quý 3/2026" in again.caption[0].value


@pytest.mark.parametrize("hostile", ["'; DROP TABLE units; --", "x" * 5000, "../../etc/passwd", "2026-13"])
def test_crafted_parameters_fall_back_to_defaults(demo_db_env, hostile):
    app = run_app(scope=hostile, period=hostile, pk=hostile, cmp=hostile, lang=hostile)
    assert not app.exception
    assert "Thành phố Hồ Chí Minh" in app.title[0].value
    assert "tham số không hợp lệ" in app.warning[0].value


def test_the_invalid_link_notice_goes_once_the_view_is_valid(demo_db_env):
    app = run_app(scope="26734' OR 1=1")
    assert "scope=" in app.warning[0].value
    app.run()  # the next interaction: the URL now holds the defaults it fell back to
    assert not any("không hợp lệ" in w.value for w in app.warning)


def test_a_page_parameter_is_reported_in_the_same_run(demo_db_env):
    app = run_app("pages/analysis/trends.py", kpi="DROP TABLE")
    assert any("kpi='DROP TABLE'" in w.value for w in app.warning)


def test_a_link_naming_only_a_quarter_opens_it_in_a_session_showing_months(demo_db_env):
    app = run_app()
    assert "Tháng" in app.caption[0].value
    app.query_params.clear()
    app.query_params["period"] = "2026-Q3"  # a hand-written link, no period type
    app.run()
    assert "Quý 3/2026" in app.caption[0].value
    assert not any("không hợp lệ" in w.value for w in app.warning)


def test_english_switch(demo_db_env):
    app = run_app(lang="en")
    assert "Overview" in app.title[0].value
    assert any(m.label == "Satisfaction rate" for m in app.metric)


def test_unreachable_database_shows_what_to_do(monkeypatch):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = run_app()
    assert not app.exception
    assert "Không kết nối được cơ sở dữ liệu" in app.error[0].value


def _alert_list_script():
    import pandas as pd

    from ui import alerts

    units = pd.DataFrame(
        {"code": ["79", "760", "26734"], "name": ["TP", "Quận 1", "Phường Bến Nghé"], "level": ["city", "district", "ward"], "parent_code": [None, "79", "760"]}
    )
    found = pd.DataFrame(
        [{"unit_code": "26734", "kpi_id": "open_overdue", "kind": "backlog_growth", "severity": "high", "baseline": 3, "current": 12, "volume": 40}]
    )
    alerts.alert_list(found, units)


def test_alert_links_keep_the_language_period_and_scope():
    # An English reader following an alert must land on the English profile of the same
    # period and scope (the link used to drop all three).
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_function(_alert_list_script)
    for key, value in {"lang": "en", "period": "2026-Q3", "scope": "760"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception
    links = [link for m in app.markdown for link in re.findall(r"\]\((/unit[^)]*)\)", m.value)]
    assert len(links) == 1
    path, _, query = links[0].partition("?")
    assert path == "/unit" and parse_qs(query) == {"lang": ["en"], "period": ["2026-Q3"], "scope": ["760"], "unit": ["26734"]}
