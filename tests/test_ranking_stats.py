"""What the rankings page shows, checked against values computed independently.

Counts come straight from the fact tables with SQL; the statistics from scipy
(binomtest's Wilson interval, binomial tails for the funnel). Then the alerts against the
demo generator's planted incidents.
"""

import sqlite3
from datetime import date

import numpy as np
import pytest
from scipy import stats
from streamlit.testing.v1 import AppTest

from i18n.format import fmt_pct
from tests.support.app_server import REPO_ROOT

APP = str(REPO_ROOT / "app.py")


def district_counts(url: str, start: str, end: str) -> dict[str, tuple[str, int, int]]:
    """name -> (code, satisfied, ratings) per district of the city (not the former provinces'):
    its own office plus its wards."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        rows = db.execute(
            """
            select d.code, d.name, sum(r.level in (1, 2)), count(*)
            from ratings r join units u on u.code = r.unit_code
            join units d on d.code = case when u.level = 'district' then u.code else u.parent_code end
            where d.level = 'district' and d.parent_code = '79' and date(r.rated_at) between ? and ?
            group by d.code, d.name
            """,
            (start, end),
        ).fetchall()
    return {name: (code, int(x), int(n)) for code, name, x, n in rows}


def rankings_table(method: str = "wilson"):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/analysis/rankings.py")
    at.run()
    # Districts rank in a month of the former layout (the district tier ended on 30 June 2025).
    at.query_params["period"] = RANKED_MONTH
    at.query_params["layout"] = "then"
    at.query_params["level"] = "districts"
    at.query_params["method"] = method
    at.run()
    assert not at.exception
    return at.dataframe[0].value


RANKED_MONTH = "2025-05"


@pytest.fixture
def october(demo_db_env):
    """The districts' counts in RANKED_MONTH (named for the month it used before the reform)."""
    counts = district_counts(demo_db_env, "2025-05-01", "2025-05-31")
    assert len(counts) >= 15  # of the 22 districts, those with ratings that month
    return counts


def test_wilson_bounds_and_order_match_scipy(october):
    table = rankings_table("wilson").set_index("Đơn vị")
    expected = {}
    for name, (_, x, n) in october.items():
        ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
        expected[name] = (ci.low, ci.high)
        assert table.loc[name, "Tỷ lệ hài lòng"] == fmt_pct(x / n)
        assert table.loc[name, "Cận dưới 95%"] == fmt_pct(ci.low)
        assert table.loc[name, "Cận trên 95%"] == fmt_pct(ci.high)
    # Listed by the lower bound, best first (districts without ratings would come last).
    # (Districts with the same count and volume tie: compare the bounds in the shown order.)
    shown = [round(expected[name][0], 12) for name in table.index if name in expected]
    assert len(shown) == len(expected) and shown == sorted(shown, reverse=True)


def test_funnel_flags_match_binomial_tails(october):
    table = rankings_table("wilson").set_index("Đơn vị")
    p0 = sum(x for _, x, _ in october.values()) / sum(n for _, _, n in october.values())
    for name, (_, x, n) in october.items():
        above = stats.binom.sf(x - 1, n, p0)  # P(X >= x): higher rate than chance allows
        below = stats.binom.cdf(x, n, p0)
        word = table.loc[name, "Vị trí trên biểu đồ phễu"]
        if below < 0.001:
            assert word.startswith("Kém hẳn")
        elif below < 0.025:
            assert word.startswith("Kém hơn")
        elif above < 0.001:
            assert word.startswith("Tốt hơn hẳn")
        elif above < 0.025:
            assert word.startswith("Tốt hơn")
        else:
            assert word == "Trong giới hạn"


def test_plain_order_is_the_raw_rate(october):
    table = rankings_table("raw")
    rates = {name: x / n for name, (_, x, n) in october.items()}
    shown = [name for name in table["Đơn vị"] if name in rates]
    assert [round(rates[n], 12) for n in shown] == sorted((round(r, 12) for r in rates.values()), reverse=True)


def test_empirical_bayes_shrinks_toward_the_city_rate(october):
    """The shrunk rate lies between the raw rate and the pooled rate, and the credible
    interval is the posterior Beta's (recomputed with scipy from the method-of-moments prior)."""
    from metrics.ranking import fit_beta_prior

    names = list(october)
    x = np.array([october[n][1] for n in names], dtype=float)
    n = np.array([october[k][2] for k in names], dtype=float)
    prior = fit_beta_prior(x, n)
    table = rankings_table("eb").set_index("Đơn vị")
    p0 = x.sum() / n.sum()
    for name, xi, ni in zip(names, x, n):
        if prior is None:  # no between-district variation: Jeffreys interval, no shrinkage
            low = stats.beta.ppf(0.025, xi + 0.5, ni - xi + 0.5)
        else:
            a, b = prior[0] + xi, prior[1] + ni - xi
            low = stats.beta.ppf(0.025, a, b)
            mean = a / (a + b)
            assert min(xi / ni, p0) - 1e-12 <= mean <= max(xi / ni, p0) + 1e-12
            assert table.loc[name, "Tỷ lệ đã co (Bayes)"] == fmt_pct(mean)
        assert table.loc[name, "Cận dưới 95%"] == fmt_pct(low)


# --- alerts against the demo's true incidents ------------------------------------------------
# The small demo spreads 20,000 dossiers over six years: a ward has a handful of ratings a
# month, too few for any test of a drop. So this builds a denser demo, 200,000 dossiers over
# March-October 2026 (about 25,000 a month), with the generator's own truth at hand.
START, END = date(2026, 3, 1), date(2026, 10, 31)


@pytest.fixture(scope="module")
def dense_demo(tmp_path_factory):
    import demo
    from data_access import refresh
    from data_access.db import make_engine
    from data_access.migrate import upgrade

    url = f"sqlite:///{tmp_path_factory.mktemp('dense') / 'demo.sqlite'}"
    engine = make_engine(url)
    saved = dict(demo.SIZES)
    demo.SIZES["dense"] = 200_000
    try:
        upgrade(engine)
        demo.generate(engine, size="dense", seed=42, start=START, end=END)
        refresh.refresh_summaries(engine)
    finally:
        demo.SIZES.clear()
        demo.SIZES.update(saved)
        engine.dispose()
    return url


def test_alerts_find_the_true_incident_and_little_else(dense_demo, monkeypatch):
    import demo
    from domain.access import SYSTEM
    from metrics.periods import parse_period
    from ui import alerts, auth, data

    monkeypatch.setenv("DASHBOARD_DATABASE_URL", dense_demo)
    # The loaders read as the session's viewer; outside a session that is nobody (who sees
    # no ward): read as the system, with full access, as the city leader's overview does.
    monkeypatch.setattr(auth, "current_viewer", lambda: SYSTEM)
    data.clear_caches()
    found = alerts.find_alerts(parse_period("2026-10"), None)
    truth = [a for a in demo.incidents(seed=42, start=START, end=END) if a.kind != "weak_ward" and date(2026, 10, 1) in a.months]
    assert truth, "the generator always plants an incident in the latest complete month"
    flagged = set(found["unit_code"])
    for incident in truth:
        assert incident.unit_code in flagged, f"missed {incident.unit_name} ({incident.kind})"
    # Weak wards are weak every month: not a drop, so not an alert. A few others may pass the
    # Bonferroni-corrected test by chance or by a real backlog swing; a flood would not.
    others = flagged - {a.unit_code for a in truth}
    assert len(others) <= 3, found
    data.clear_caches()
