import numpy as np
import pandas as pd
import pytest
from scipy import stats

from metrics.ranking import (
    eb_shrinkage,
    fit_beta_prior,
    flag_funnel,
    funnel_limits,
    rank_change,
    rank_units,
    wilson_interval,
)


@pytest.mark.parametrize("x, n", [(3, 3), (0, 3), (2980, 3000), (1, 10), (50, 100), (381000, 381922), (0, 1)])
def test_wilson_matches_scipy(x, n):
    ci = stats.binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    low, high = wilson_interval(x, n)
    assert low == pytest.approx(ci.low, abs=1e-12)
    assert high == pytest.approx(ci.high, abs=1e-12)
    ci99 = stats.binomtest(x, n).proportion_ci(confidence_level=0.99, method="wilson")
    assert wilson_interval(x, n, 0.99)[0] == pytest.approx(ci99.low, abs=1e-12)


def test_wilson_vectorised_and_zero_n():
    low, high = wilson_interval(np.array([3, 0, 2980]), np.array([3, 0, 3000]))
    assert np.isnan(low[1]) and np.isnan(high[1])
    assert low[0] == pytest.approx(stats.binomtest(3, 3).proportion_ci(method="wilson").low)
    assert low[2] > low[0]


def test_eb_posterior_matches_scipy_beta_with_hand_set_prior():
    x, n = np.array([3, 2980, 0, 45]), np.array([3, 3000, 0, 50])
    a, b = 99.0, 1.0
    r = eb_shrinkage(x, n, prior=(a, b))
    assert r.shrunk and (r.prior_alpha, r.prior_beta) == (a, b)
    for i in (0, 1, 3):
        post = stats.beta(a + x[i], b + n[i] - x[i])
        assert r.mean[i] == pytest.approx(post.mean())
        assert r.low[i] == pytest.approx(post.ppf(0.025))
        assert r.high[i] == pytest.approx(post.ppf(0.975))
    assert np.isnan(r.mean[2]) and np.isnan(r.low[2])  # no data stays no data
    # 3 of 3 pulled toward the prior mean 0.99: (99+3)/(100+3)
    assert r.mean[0] == pytest.approx(102 / 103)


def test_eb_fitted_prior_by_hand():
    # Units with real spread around 0.9; MoM by hand
    x = np.array([80, 95, 850, 930, 88, 470])
    n = np.array([100, 100, 1000, 1000, 100, 500])
    N = n.sum()
    p = x.sum() / N
    S = np.sum(n * (x / n - p) ** 2)
    tau2 = (S - (len(n) - 1) * p * (1 - p)) / (N - np.sum(n**2) / N)
    M = p * (1 - p) / tau2 - 1
    assert fit_beta_prior(x, n) == pytest.approx((p * M, (1 - p) * M))
    r = eb_shrinkage(x, n)
    assert r.shrunk
    # shrinkage moves every unit toward p, small units more than big ones
    raw = x / n
    assert np.all(np.abs(r.mean - p) <= np.abs(raw - p) + 1e-12)
    assert abs(r.mean[0] - raw[0]) > abs(r.mean[2] - raw[2])


def test_eb_falls_back_without_between_unit_variance():
    # identical rates: tau^2 <= 0 -> no shrinkage, raw mean, Jeffreys interval
    x, n = np.array([99, 990, 9900]), np.array([100, 1000, 10000])
    assert fit_beta_prior(x, n) is None
    r = eb_shrinkage(x, n)
    assert not r.shrunk
    assert r.mean == pytest.approx(x / n)
    assert r.low[0] == pytest.approx(stats.beta(99.5, 1.5).ppf(0.025))
    # too few units
    assert fit_beta_prior([3, 2980], [3, 3000]) is None


def test_funnel_limits_vs_binom_ppf():
    p0, ns = 0.98, np.array([5, 20, 100, 1000, 10000])
    plain = funnel_limits(p0, ns, interpolate=False)
    for level, tag in ((0.95, "95"), (0.998, "998")):
        lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
        assert plain[f"lower_{tag}"].to_numpy() == pytest.approx(stats.binom.ppf(lo_q, ns, p0) / ns)
        assert plain[f"upper_{tag}"].to_numpy() == pytest.approx(np.minimum(1, stats.binom.ppf(hi_q, ns, p0) / ns))
    interp = funnel_limits(p0, ns)
    # Spiegelhalter interpolation: within one count below the discrete quantile
    for col in ("lower_95", "upper_95", "lower_998", "upper_998"):
        assert np.all(interp[col].to_numpy() <= plain[col].to_numpy() + 1e-12)
        assert np.all(interp[col].to_numpy() >= plain[col].to_numpy() - 1 / ns - 1e-12)
    # one value by hand: n=100, upper 95%
    q = 0.975
    r = stats.binom.ppf(q, 100, p0)
    a = (stats.binom.cdf(r, 100, p0) - q) / (stats.binom.cdf(r, 100, p0) - stats.binom.cdf(r - 1, 100, p0))
    assert interp.loc[2, "upper_95"] == pytest.approx((r - a) / 100)
    # funnel narrows with volume
    assert np.all(np.diff(interp["upper_998"] - interp["lower_998"]) < 0)
    assert np.isnan(funnel_limits(p0, [0]).loc[0, "lower_95"])


def test_flag_funnel():
    p0 = 0.99
    x = [3, 2980, 2985, 2990, 2958, 2955, 2900, 0]
    n = [3, 3000, 3000, 3000, 3000, 3000, 3000, 0]
    flags = flag_funnel(x, n, p0)
    assert flags[0] == "inside"  # 3/3 is not evidence of anything (P = 0.97)
    assert flags[-1] is None

    def expected(xi, ni):  # independent: exact binomial tails
        up, lo = stats.binom.sf(xi - 1, ni, p0), stats.binom.cdf(xi, ni, p0)
        if up < 0.001:
            return "above_998"
        if lo < 0.001:
            return "below_998"
        if up < 0.025:
            return "above_95"
        if lo < 0.025:
            return "below_95"
        return "inside"

    assert [expected(a, b) for a, b in zip(x[:-1], n[:-1])] == list(flags[:-1])
    # every band is exercised
    assert set(flags[:-1]) == {"inside", "above_95", "above_998", "below_95", "below_998"}


def _units():
    rng = np.random.default_rng(7)
    n = rng.integers(200, 4000, 40)
    x = rng.binomial(n, rng.beta(300, 4, 40))
    f = pd.DataFrame({"unit_code": [f"u{i:02d}" for i in range(40)], "ratings": n, "very_satisfied": x})
    f = pd.concat([f, pd.DataFrame({"unit_code": ["small", "big"], "ratings": [3, 3000], "very_satisfied": [3, 2980]})])
    f["satisfied"] = 0
    f["neutral"] = 0
    f["dissatisfied"] = f["ratings"] - f["very_satisfied"]
    return f.reset_index(drop=True)


@pytest.mark.parametrize("method", ["wilson", "eb"])
def test_big_unit_outranks_3_of_3(method):
    r = rank_units(_units(), "satisfaction_rate", method).set_index("unit_code")
    assert r.loc["big", "rank"] < r.loc["small", "rank"]
    assert r.loc["small", "value"] == 1.0 and r.loc["small", "volume"] == 3


def test_big_unit_outranks_3_of_3_even_alone():
    f = _units().iloc[-2:]
    for method in ("wilson", "eb"):
        r = rank_units(f, "satisfaction_rate", method).set_index("unit_code")
        assert r.loc["big", "rank"] == 1 and r.loc["small", "rank"] == 2
    raw = rank_units(f, "satisfaction_rate", "raw").set_index("unit_code")
    assert raw.loc["small", "rank"] == 1  # raw is raw


def test_lower_is_better_uses_upper_bound():
    f = _units()
    r = rank_units(f, "dissatisfaction_rate", "wilson").set_index("unit_code")
    # small unit: 0 of 3 dissatisfied, but the upper bound (0.56) is awful -> ranks near the bottom
    low, high = wilson_interval(0, 3)
    assert r.loc["small", "score"] == pytest.approx(high)
    assert r.loc["big", "rank"] < r.loc["small", "rank"]
    # rank order = ascending upper bound
    ordered = r.sort_values("rank")
    assert ordered["score"].is_monotonic_increasing


def test_rank_units_structure_and_ties():
    f = pd.DataFrame(
        {
            "unit_code": ["a", "a", "b", "c", "d"],  # two rows of "a" are summed
            "ratings": [50, 50, 100, 100, 0],
            "very_satisfied": [45, 45, 90, 95, 0],
            "satisfied": 0,
            "neutral": 0,
            "dissatisfied": 0,
        }
    )
    r = rank_units(f, "satisfaction_rate", "wilson")
    assert list(r.columns) == ["unit_code", "value", "numerator", "volume", "low", "high", "score", "rank", "funnel"]
    assert r["unit_code"].tolist() == ["c", "a", "b", "d"]
    assert r["rank"].tolist()[:3] == [1, 2, 2]  # a and b tie (90 of 100 each)
    assert pd.isna(r["rank"].iloc[3]) and np.isnan(r["value"].iloc[3])
    assert r.attrs["p0"] == pytest.approx(275 / 300)
    with pytest.raises(ValueError):
        rank_units(f, "satisfaction_rate", "magic")


def test_count_kpi_ranks_by_value():
    f = pd.DataFrame({"unit_code": ["a", "b", "c"], "open_overdue": [5, 0, 12], "open_dossiers": [100, 10, 90]})
    r = rank_units(f, "open_overdue")
    assert r["unit_code"].tolist() == ["b", "a", "c"]  # lower is better
    assert r["volume"].tolist() == [10, 100, 90]
    assert r["funnel"].isna().all() and r["low"].isna().all()


def test_rank_change():
    cur = pd.DataFrame({"unit_code": ["a", "b", "c"], "rank": [1, 2, 3]})
    prev = pd.DataFrame({"unit_code": ["b", "a"], "rank": [1, 2]})
    out = rank_change(cur, prev).set_index("unit_code")
    assert out.loc["a", "change"] == 1  # moved up from 2 to 1
    assert out.loc["b", "change"] == -1
    assert pd.isna(out.loc["c", "change"]) and pd.isna(out.loc["c", "previous_rank"])
    out2 = rank_change(pd.Series({"a": 3}), pd.Series({"a": 1}))
    assert out2["change"].tolist() == [-2]
