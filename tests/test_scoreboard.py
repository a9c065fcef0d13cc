"""The weekly scoreboard (metrics/scoreboard.py, pages/analysis/scoreboard.py) and weeks as a
period type. The week-sums-to-month check counts the fact rows directly with SQL: it does
not go through the summaries or the code under test."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from data_access import queries
from domain.access import Viewer
from data_access.db import make_engine
from metrics import periods, scoreboard
from metrics import service_index as si

FULL = Viewer("test", "city_leader", None, "test")
# February 2021 runs Monday 1 to Sunday 28: exactly ISO weeks 5-8.
MONTH = periods.month(2021, 2)
WEEKS = [periods.week(2021, w) for w in (5, 6, 7, 8)]
FLOW_GROUPS = ["online_services", "online_payment", "digitisation", "satisfaction_complaint"]


def _from_facts(url: str, start: date, end: date) -> pd.DataFrame:
    """Per unit, straight from the rows: received, online, finished (status 9/10), paid online,
    digitised among finished, ratings and dissatisfied (level 4) in [start, end]."""
    lo, hi = start.isoformat(), (end + timedelta(days=1)).isoformat()
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        received = pd.read_sql_query(
            "select unit_code, count(*) received, sum(channel = 2) received_online from dossiers where received_at >= ? and received_at < ? group by unit_code",
            db,
            params=[lo, hi],
        )
        finished = pd.read_sql_query(
            "select unit_code, count(*) finished, sum(paid_online) paid_online, sum(digitised) digitised from dossiers "
            "where status in (9, 10) and finished_at >= ? and finished_at < ? group by unit_code",
            db,
            params=[lo, hi],
        )
        rated = pd.read_sql_query(
            "select unit_code, count(*) ratings, sum(level = 4) dissatisfied from ratings where rated_at >= ? and rated_at < ? group by unit_code",
            db,
            params=[lo, hi],
        )
    frame = received.merge(finished, on="unit_code", how="outer").merge(rated, on="unit_code", how="outer").fillna(0)
    return frame.set_index("unit_code").astype("int64").sort_index()


def _index_parts(frame: pd.DataFrame) -> pd.DataFrame:
    """Numerators and denominators of the flow groups, per unit, from compute_index."""
    result = si.compute_index(frame).set_index("unit_code")
    parts = {}
    for group in FLOW_GROUPS:
        parts[f"{group}_num"] = result[f"{group}_numerator"]
        parts[f"{group}_den"] = result[f"{group}_denominator"]
    return pd.DataFrame(parts)


def test_a_months_weeks_sum_to_the_months_numerators_and_denominators(demo_db_url):
    engine = make_engine(demo_db_url)
    weekly = [_index_parts(queries.kpi_counts(engine, w.start, w.end, None, True, viewer=FULL)) for w in WEEKS]
    summed = pd.concat(weekly).groupby(level=0).sum()
    monthly = _index_parts(queries.kpi_counts(engine, MONTH.start, MONTH.end, None, True, viewer=FULL))
    units = summed.index.union(monthly.index)
    summed, monthly = summed.reindex(units, fill_value=0), monthly.reindex(units, fill_value=0)
    pd.testing.assert_frame_equal(summed, monthly, check_dtype=False)

    facts = _from_facts(demo_db_url, MONTH.start, MONTH.end).reindex(units, fill_value=0)
    assert facts["received"].sum() > 100  # the check means something
    expected = {
        "online_services": ("received_online", "received"),
        "online_payment": ("paid_online", "finished"),
        "digitisation": ("digitised", "finished"),
        "satisfaction_complaint": ("dissatisfied", "ratings"),
    }
    for group, (num, den) in expected.items():
        assert summed[f"{group}_num"].astype("int64").tolist() == facts[num].tolist(), group
        assert summed[f"{group}_den"].astype("int64").tolist() == facts[den].tolist(), group

    # The backlog is a snapshot: the month's is the last week's (both end on Sunday 28 February).
    month_open = queries.kpi_counts(engine, MONTH.start, MONTH.end, None, False, viewer=FULL)[["open_dossiers", "open_overdue"]]
    week_open = queries.kpi_counts(engine, WEEKS[-1].start, WEEKS[-1].end, None, False, viewer=FULL)[["open_dossiers", "open_overdue"]]
    assert month_open.iloc[0].tolist() == week_open.iloc[0].tolist()
    engine.dispose()


def test_bands_follow_the_configured_cut_offs():
    version = si.get_version()
    assert [b.min for b in version.bands] == sorted((b.min for b in version.bands), reverse=True)
    assert version.band_of(85.16).label_vi == "Tốt"  # the city's week 47/2025 score
    assert version.band_of(90).label_vi == "Xuất sắc"
    assert version.band_of(89.999).label_vi == "Tốt"
    assert version.band_of(10).label_vi == "Yếu"
    assert version.band_of(np.nan) is None


def test_bands_can_be_configured_in_a_new_version(tmp_path):
    path = tmp_path / "versions.toml"
    path.write_text(
        'default = "x"\n[versions.x]\nmax_points = 100\n'
        '[[versions.x.bands]]\nid = "hi"\nlabel_vi = "Cao"\nmin = 75\n'
        '[[versions.x.bands]]\nid = "lo"\nlabel_vi = "Thấp"\nmin = 0\n'
        '[[versions.x.groups]]\nid = "online_services"\nweight = 10\nnumerator = ["received_online"]\ndenominator = ["received"]\n',
        encoding="utf-8",
    )
    version = si.get_version(path=path)
    assert version.band_of(75).id == "hi" and version.band_of(74.9).id == "lo"


def test_scoreboard_change_band_and_weakest_components_by_hand():
    units = pd.DataFrame({"code": ["79", "A", "B", "C"], "name": ["TP", "Sở A", "Phường B", "Phường C"], "level": ["city", "department", "ward", "ward"]})
    zero = dict(
        ratings=0,
        very_satisfied=0,
        satisfied=0,
        neutral=0,
        dissatisfied=0,
        received=0,
        received_online=0,
        finished=0,
        finished_early=0,
        finished_on_time=0,
        finished_late=0,
        paid_online=0,
        digitised=0,
        open_dossiers=0,
        open_overdue=0,
    )
    # A: everything perfect on 10 dossiers and 10 ratings -> 82/82 computable points = 100.
    a = dict(zero, unit_code="A", ratings=10, satisfied=10, received=10, received_online=10, finished=10, finished_on_time=10, paid_online=10, digitised=10)
    # B: as A but nothing paid online and half digitised: 82 - 10 - 11 = 61 of 82 -> 74.39.
    b = dict(a, unit_code="B", paid_online=0, digitised=5)
    # D: 4 dossiers received, 2 online, nothing finished, no ratings: only online services computes.
    d = dict(zero, unit_code="D", received=4, received_online=2)
    units = pd.concat([units, pd.DataFrame({"code": ["D"], "name": ["Phường D"], "level": ["ward"]})])
    now = pd.DataFrame([a, b, d])
    before = pd.DataFrame([dict(a, unit_code="B", paid_online=10, digitised=10)])  # B scored 100 last week; A had no data
    board = scoreboard.scoreboard(now, before, units).set_index("unit_code")
    assert board.loc["A", "score"] == pytest.approx(100.0) and board.loc["A", "band"] == "excellent"
    assert board.loc["B", "score"] == pytest.approx(61 / 82 * 100) and board.loc["B", "band"] == "fair"
    assert board.loc["B", "change"] == pytest.approx(61 / 82 * 100 - 100)
    assert np.isnan(board.loc["A", "change"])  # no score last week: no change to state
    assert board.loc["B", "weakest"] == "Thanh toán trực tuyến, Số hóa hồ sơ"
    assert board.loc["A", "weakest"] == ""
    assert pd.isna(board.loc["C", "score"]) and board.index[-1] == "C"  # no data: listed last
    assert board.loc["D", "score"] == pytest.approx(50.0) and board.loc["D", "max_possible"] == 12
    assert pd.isna(board.loc["D", "rank"]) and list(board.index) == ["A", "B", "D", "C"]  # scored, not ranked
    assert (board.loc["A", "rank"], board.loc["B", "rank"]) == (1, 2)
    assert "79" not in board.index  # the city is the headline, not a row


def test_week_is_a_period_type_bound_to_the_url(demo_db_env):
    from streamlit.testing.v1 import AppTest

    from tests.support.app_server import REPO_ROOT

    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/analysis/scoreboard.py").run()
    at.query_params["period"] = "2025-W47"
    at.run()
    assert not at.exception, at.exception[0].value
    assert at.sidebar.selectbox(key="pk").value == "week"
    assert at.title[0].value.endswith("Tuần 47/2025")
    board = at.dataframe[0].value
    assert "Tăng/giảm so với tuần trước" in board.columns and "Xếp loại" in board.columns
    assert str(at.query_params["period"]).strip("[]'") == "2025-W47"
    # Choosing the type "Tuần" puts the latest complete week in the link.
    at.sidebar.selectbox(key="pk").set_value("month").run()
    at.sidebar.selectbox(key="pk").set_value("week").run()
    chosen = str(at.query_params["period"]).strip("[]'")
    assert periods.parse_period(chosen).kind == "week"
    assert at.title[0].value.endswith(periods.parse_period(chosen).label("vi"))


def test_a_district_chair_sees_own_wards_and_other_districts_only_as_totals(demo_db_url, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from data_access import accounts
    from tests.support.app_server import REPO_ROOT

    copy = tmp_path / "chair.sqlite"
    with sqlite3.connect(demo_db_url.removeprefix("sqlite:///")) as source, sqlite3.connect(copy) as target:
        source.backup(target)
        own_wards = {r[0] for r in source.execute("select name from units where parent_code = '760'")}
        other_district = source.execute("select name from units where level = 'district' and parent_code = '79' and code != '760' order by code").fetchone()[0]
        other_ward_codes = {r[0] for r in source.execute("select code from units where level = 'ward' and parent_code != '760'")}
    engine = make_engine(f"sqlite:///{copy}")
    # Quận 1 ended on 30 June 2025: its leader is an area leader (issue 12's roles).
    accounts.add(engine, "chair760", "area_leader", "mật khẩu quận 1", unit_code="760", display_name="Chủ tịch Quận 1")
    engine.dispose()
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", f"sqlite:///{copy}")
    at = AppTest.from_file(str(REPO_ROOT / "app.py"), default_timeout=120).run()
    at.text_input(key="sign_in_user").input("chair760")
    at.text_input(key="sign_in_password").input("mật khẩu quận 1")
    at.button(key="sign_in_submit").click()
    at.run()
    # Quận 1 is a former district (until 30 June 2025): its chair's board in a month of its time.
    at.query_params["period"] = "2025-05"
    at.query_params["layout"] = "then"
    at.switch_page("pages/analysis/scoreboard.py").run()
    assert not at.exception, at.exception[0].value
    board = at.dataframe[0].value
    listed = set(board["Đơn vị"])
    assert own_wards <= listed and other_district in listed
    from urllib.parse import parse_qs, urlparse

    # Whole unit keys (a substring test took "26740@2025-06-30", Quận 1's, for today's 26740).
    linked = {parse_qs(urlparse(str(v)).query).get("unit", [""])[0] for v in board["Hồ sơ"].dropna()}
    assert not linked & other_ward_codes
    assert len(listed) < 60  # not the city's 300 units with "no data" for the folded ones


def test_the_demo_loads_the_citys_2026_targets(demo_db_url):
    engine = make_engine(demo_db_url)
    targets = queries.load_targets(engine, date(2026, 6, 1)).set_index("kpi_id")["value"]
    assert (targets["satisfaction_rate"], targets["on_time_rate"], targets["online_share"]) == (0.96, 0.98, 0.80)
    engine.dispose()


def test_the_download_keeps_numbers_and_shows_signed_changes():
    from ui.downloads import Col, frames

    display, export = frames([Col("Điểm (/100)", "Score", [85.16, 61.0], "num2"), Col("Tăng/giảm so với tuần trước", "Change", [1.25, -0.5], "change2")], "vi")
    assert display["Điểm (/100)"].tolist() == ["85,16", "61,00"]
    assert display["Tăng/giảm so với tuần trước"].tolist() == ["+1,25", "-0,50"]
    assert export["Tăng/giảm so với tuần trước"].tolist() == [1.25, -0.5]  # Excel computes with it


@pytest.mark.browser
def test_a_week_link_opens_the_weekly_board_and_survives_a_language_switch(app_server, page):
    from tests.support.browser import wait_for_app

    page.goto(f"{app_server}/scoreboard?period=2025-W47")
    wait_for_app(page)
    assert page.locator("h1").first.inner_text().endswith("Tuần 47/2025")
    boxes = page.locator("[data-testid='stSelectbox'] input[role='combobox']")
    assert [boxes.nth(i).input_value() for i in range(2)] == ["Tuần", "Tuần 47/2025"]
    page.get_by_text("English", exact=True).click()
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert page.locator("h1").first.inner_text() == "Service index scoreboard · Week 47/2025"
    assert "period=2025-W47" in page.url  # the type follows from the period (no pk needed)
