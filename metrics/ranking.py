"""Fair ranking of units whose volumes differ by orders of magnitude.

A ward with 3 of 3 satisfied must not outrank one with 2,980 of 3,000. Three tools:

* Wilson score interval (no continuity correction): rank by the pessimistic bound - the
  lower bound when higher is better, the upper bound when lower is better.
* Empirical-Bayes beta-binomial shrinkage toward the city rate (method of moments).
* Funnel plot control limits (Spiegelhalter, Statistics in Medicine 2005): EXACT binomial
  limits with Spiegelhalter's interpolation between the discrete quantiles (his
  Appendix A.1.1), not the normal approximation. Only units outside the funnel are flagged.

All functions are pure numpy/scipy and vectorised over units.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from i18n.text import pick
from metrics import kpis as _kpis


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype="float64")


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError("confidence must be in (0, 1)")
    return float(stats.norm.ppf(1 - (1 - confidence) / 2))


def wilson_interval(successes, n, confidence: float = 0.95):
    """Wilson score interval for successes/n, vectorised. Returns (low, high) arrays
    (floats for scalar input). NaN where n == 0."""
    x, nn = _arr(successes), _arr(n)
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(nn > 0, x / nn, np.nan)
        denom = 1 + z * z / nn
        centre = (p + z * z / (2 * nn)) / denom
        half = z * np.sqrt(p * (1 - p) / nn + z * z / (4 * nn * nn)) / denom
        low = np.where(nn > 0, np.clip(centre - half, 0.0, 1.0), np.nan)
        high = np.where(nn > 0, np.clip(centre + half, 0.0, 1.0), np.nan)
    if low.ndim == 0:
        return float(low), float(high)
    return low, high


@dataclass(frozen=True)
class EbResult:
    mean: np.ndarray  # posterior mean per unit (NaN where n == 0)
    low: np.ndarray  # credible interval bounds
    high: np.ndarray
    prior_alpha: float  # NaN when no prior was used
    prior_beta: float
    shrunk: bool  # False: the fallback without shrinkage was used


def fit_beta_prior(successes, n, min_units: int = 3):
    """Method-of-moments beta prior for unit rates, or None when it cannot be fitted.

    Between-unit variance tau^2 = (S - (k-1) p(1-p)) / (N - sum(n_i^2)/N) with
    S = sum n_i (p_i - p)^2, p = pooled rate, N = sum n_i (the binomial-weighted moment
    estimator, stable when units are few and very unequal). Prior strength
    M = p(1-p)/tau^2 - 1; alpha = pM, beta = (1-p)M.
    Returns None when fewer than `min_units` units have data, when tau^2 is ~0 relative to
    p(1-p) (no between-unit variation to learn a prior from), when p is 0 or 1, or when
    M <= 0 (units vary more than any beta prior allows).
    """
    x, nn = _arr(successes), _arr(n)
    keep = nn > 0
    x, nn = x[keep], nn[keep]
    k = len(nn)
    if k < min_units:
        return None
    N = nn.sum()
    p = x.sum() / N
    if p <= 0 or p >= 1:
        return None
    S = float(np.sum(nn * (x / nn - p) ** 2))
    denom = N - np.sum(nn**2) / N
    if denom <= 0:
        return None
    tau2 = (S - (k - 1) * p * (1 - p)) / denom
    if not np.isfinite(tau2) or tau2 <= 1e-9 * p * (1 - p):
        return None
    M = p * (1 - p) / tau2 - 1
    if M <= 0:
        return None
    return p * M, (1 - p) * M


def eb_shrinkage(successes, n, confidence: float = 0.95, prior=None) -> EbResult:
    """Empirical-Bayes beta-binomial shrinkage.

    The prior Beta(alpha, beta) is fitted to the units with `fit_beta_prior` unless
    `prior=(alpha, beta)` is given. Posterior per unit: Beta(alpha + x, beta + n - x); its
    mean and equal-tailed credible interval (scipy.stats.beta.ppf).
    Fallback when no prior can be fitted (few units, or no between-unit variance): no
    shrinkage - mean = x/n and the Jeffreys interval, Beta(x + 1/2, n - x + 1/2); `shrunk`
    is then False. Units with n == 0 get NaN ("no data"), not the prior mean.
    """
    x, nn = _arr(successes), _arr(n)
    tail = (1 - confidence) / 2
    fitted = tuple(prior) if prior is not None else fit_beta_prior(x, nn)
    has = nn > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        if fitted is None:
            a_post, b_post = x + 0.5, nn - x + 0.5
            mean = np.where(has, x / nn, np.nan)
            a0 = b0 = float("nan")
        else:
            a0, b0 = float(fitted[0]), float(fitted[1])
            a_post, b_post = a0 + x, b0 + nn - x
            mean = np.where(has, a_post / (a_post + b_post), np.nan)
        low = np.where(has, stats.beta.ppf(tail, np.where(has, a_post, 1), np.where(has, b_post, 1)), np.nan)
        high = np.where(has, stats.beta.ppf(1 - tail, np.where(has, a_post, 1), np.where(has, b_post, 1)), np.nan)
    return EbResult(np.atleast_1d(mean), np.atleast_1d(low), np.atleast_1d(high), a0, b0, fitted is not None)


def _level_tag(level: float) -> str:
    """0.95 -> "95", 0.998 -> "998"."""
    return f"{level * 100:g}".replace(".", "")


def funnel_limits(p0: float, n_values, levels=(0.95, 0.998), interpolate: bool = True) -> pd.DataFrame:
    """Funnel plot control limits around the overall rate p0, for each volume n.

    Exact binomial method (Spiegelhalter 2005, Appendix A.1.1): for a two-sided level L the
    upper limit uses q = 1 - (1-L)/2, r = binom.ppf(q, n, p0) and
    alpha = (F(r) - q) / (F(r) - F(r-1)); limit = (r - alpha) / n. The lower limit is the
    same with q = (1-L)/2. `interpolate=False` gives the plain discrete quantile r / n.
    Returns a DataFrame with column n and lower_<tag>/upper_<tag> per level
    (tags "95" and "998"); NaN where n <= 0.
    """
    nn = np.atleast_1d(_arr(n_values))
    if not 0 <= p0 <= 1:
        raise ValueError("p0 must be within [0, 1]")
    out = {"n": nn}
    valid = nn > 0
    n_safe = np.where(valid, nn, 1)
    for level in levels:
        tag = _level_tag(level)
        for side, q in (("lower", (1 - level) / 2), ("upper", 1 - (1 - level) / 2)):
            r = stats.binom.ppf(q, n_safe, p0)
            if interpolate:
                f_r = stats.binom.cdf(r, n_safe, p0)
                f_r1 = stats.binom.cdf(r - 1, n_safe, p0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    alpha = np.where(f_r - f_r1 > 0, (f_r - q) / (f_r - f_r1), 0.0)
                lim = (r - alpha) / n_safe
            else:
                lim = r / n_safe
            out[f"{side}_{tag}"] = np.where(valid, np.clip(lim, 0.0, 1.0), np.nan)
    return pd.DataFrame(out)


def flag_funnel(successes, n, p0: float, levels=(0.95, 0.998)) -> np.ndarray:
    """Position of each unit against the funnel around p0:
    "above_998" / "above_95" / "inside" / "below_95" / "below_998"; None where n == 0.

    Decided by exact binomial tail probabilities, not by comparing with the interpolated
    limits (which are for drawing): "above_<L>" when P(X >= x | n, p0) < (1-L)/2, "below_<L>"
    when P(X <= x | n, p0) < (1-L)/2. So 3 of 3 at p0 = 0.99 is inside (P = 0.97).
    "above" means a HIGHER RATE - whether that is better depends on Kpi.higher_is_better.
    """
    x, nn = np.atleast_1d(_arr(successes)), np.atleast_1d(_arr(n))
    valid = nn > 0
    n_safe = np.where(valid, nn, 1)
    upper_p = stats.binom.sf(x - 1, n_safe, p0)  # P(X >= x)
    lower_p = stats.binom.cdf(x, n_safe, p0)  # P(X <= x)
    flags = np.full(len(nn), "inside", dtype=object)
    for level in sorted(levels):  # outer levels overwrite inner ones
        tail = (1 - level) / 2
        tag = _level_tag(level)
        flags[upper_p < tail] = f"above_{tag}"
        flags[lower_p < tail] = f"below_{tag}"
    flags[~valid] = None
    return flags


RANK_COLUMNS = ["unit_code", "value", "numerator", "volume", "low", "high", "score", "rank", "funnel"]


def rank_units(frame: pd.DataFrame, kpi, method: str = "wilson", confidence: float = 0.95) -> pd.DataFrame:
    """Rank units on a KPI; rank 1 is the best, whatever the KPI's direction.

    `frame`: one row per unit (several rows of a unit - channels, fields - are summed) with
    unit_code and the KPI's count columns. Do not pass several days of backlog snapshots.

    Rate KPIs:
      method="wilson": score = Wilson lower bound if higher is better, upper bound if lower
        is better (the pessimistic end: a small unit needs evidence to rank high).
      method="eb": score = empirical-Bayes posterior mean (low/high = credible interval);
        when no prior can be fitted the score falls back to the pessimistic end of the
        Jeffreys interval, so small units still cannot win by luck.
      method="raw": score = the raw rate (low/high still the Wilson interval).
      funnel = flag_funnel against the pooled rate of all units in the frame.
    Count and mean KPIs: score = value (no interval, no funnel; NaN/None).
    Units without data (zero denominator) get rank <NA> and sort last.
    Ties share the best rank ("min"); within a tie the larger volume is listed first.

    Returns columns RANK_COLUMNS, sorted by rank; `rank` is pandas Int64.
    frame.attrs of the result: kpi_id, method, p0 (pooled rate), eb_prior (alpha, beta).
    """
    kpi = _kpis.get(kpi)
    if method not in ("wilson", "eb", "raw"):
        raise ValueError(f"method must be wilson, eb or raw, not {method!r}")
    cols = list(kpi.columns)
    for c in ["unit_code", *cols]:
        if c not in frame.columns:
            raise KeyError(f"rank_units: column {c!r} missing")
    g = frame.groupby("unit_code", sort=False, dropna=False)[cols].sum(min_count=1).reset_index()
    num = _kpis.numerator(g, kpi).to_numpy(dtype="float64")
    val = _kpis.value(g, kpi).to_numpy(dtype="float64")
    vol = _kpis.volume(g, kpi).to_numpy(dtype="float64")
    hib = kpi.higher_is_better
    low = high = np.full(len(g), np.nan)
    flags = np.full(len(g), None, dtype=object)
    p0 = float("nan")
    prior = None
    if kpi.kind == "rate":
        den = _kpis.denominator(g, kpi).to_numpy(dtype="float64")
        den = np.nan_to_num(den, nan=0.0)
        num0 = np.nan_to_num(num, nan=0.0)
        vol = den if kpi.volume_column == kpi.denominator else vol
        tot = den.sum()
        p0 = float(num0.sum() / tot) if tot > 0 else float("nan")
        if method == "eb":
            eb = eb_shrinkage(num0, den, confidence)
            low, high = eb.low, eb.high
            prior = (eb.prior_alpha, eb.prior_beta)
            score = eb.mean if eb.shrunk else (low if hib else high)
        else:
            low, high = wilson_interval(num0, den, confidence)
            low, high = np.atleast_1d(low), np.atleast_1d(high)
            score = val if method == "raw" else (low if hib else high)
        if np.isfinite(p0):
            flags = flag_funnel(num0, den, p0)
    else:
        score = val
    out = pd.DataFrame(
        {
            "unit_code": g["unit_code"].to_numpy(),
            "value": val,
            "numerator": num,
            "volume": vol,
            "low": low,
            "high": high,
            "score": np.where(np.isnan(val), np.nan, score),
            "funnel": flags,
        }
    )
    key = out["score"] if hib else -out["score"]
    out["rank"] = key.rank(method="min", ascending=False).astype("Int64")
    out = out.assign(_k=key.fillna(-np.inf), _v=out["volume"].fillna(-1))
    out = out.sort_values(["_k", "_v"], ascending=[False, False], kind="mergesort")
    out = out.drop(columns=["_k", "_v"])[RANK_COLUMNS].reset_index(drop=True)
    out.attrs.update(kpi_id=kpi.id, method=method, p0=p0, eb_prior=prior)
    return out


def rank_change(current_ranks, previous_ranks) -> pd.DataFrame:
    """Movement between two rankings.

    Inputs: outputs of `rank_units` (columns unit_code, rank) or Series of ranks indexed by
    unit_code. Output: unit_code, rank, previous_rank, change (previous - current: positive
    = moved up towards 1; <NA> for units new to the ranking), for the current units in
    current order.
    """

    def as_series(r) -> pd.Series:
        if isinstance(r, pd.DataFrame):
            return r.set_index("unit_code")["rank"]
        return pd.Series(r)

    cur, prev = as_series(current_ranks), as_series(previous_ranks)
    out = pd.DataFrame({"unit_code": cur.index, "rank": cur.to_numpy()})
    out["rank"] = out["rank"].astype("Int64")
    out["previous_rank"] = out["unit_code"].map(prev).astype("Int64")
    out["change"] = (out["previous_rank"] - out["rank"]).astype("Int64")
    return out


# --- who is "weak" (cần cải thiện): one rule for every page, slide and pack -------------------

DEFAULT_METHOD = "wilson"  # the one order behind every rank a page shows by default
MIN_VOLUME = 20  # below this a unit is never named weak: one late dossier of six is not a pattern


def mark_weak(ranked: pd.DataFrame, kpi, targets: pd.DataFrame | None = None, min_volume: int = MIN_VOLUME) -> pd.DataFrame:
    """`ranked` (an output of `rank_units`) with columns target, weak and weak_reason.

    A unit is weak ("cần cải thiện") only when it has at least `min_volume` and it is
    below its target ("below_target"), or - not meeting a target - worse than the overall
    rate beyond chance, outside the funnel's 95% limit ("worse_than_overall"). A unit at
    or above its target is never weak, whatever the funnel says. `targets`: the targets
    in force (queries.load_targets); None means no targets.
    """
    kpi = _kpis.get(kpi)
    out = ranked.copy()
    out["target"] = np.nan
    if targets is not None and len(targets):
        # kpis.target_for for every unit at once: the unit's own target, else the one for all.
        rows = targets[targets["kpi_id"] == kpi.id]
        general = rows[rows["unit_code"].isna()]
        own = rows[rows["unit_code"].notna()].drop_duplicates("unit_code", keep="last")
        fallback = float(general["value"].iloc[-1]) if len(general) else np.nan
        by_unit = dict(zip(own["unit_code"].astype(str), own["value"].astype("float64")))
        out["target"] = [by_unit.get(str(c), fallback) for c in out["unit_code"]]
    value, target = out["value"].to_numpy(dtype="float64"), out["target"].to_numpy(dtype="float64")
    eps = 1e-12
    with np.errstate(invalid="ignore"):
        shortfall = (target - value) if kpi.higher_is_better else (value - target)
    has_target = ~np.isnan(target)
    below = has_target & (shortfall > eps)
    bad_side = "below" if kpi.higher_is_better else "above"
    funnel_bad = np.array([isinstance(f, str) and f.startswith(bad_side) for f in out["funnel"]], dtype=bool)
    enough = out["volume"].fillna(0).to_numpy(dtype="float64") >= min_volume
    meets = has_target & ~below
    reason = np.where(below, "below_target", np.where(funnel_bad & ~meets, "worse_than_overall", None))
    weak = enough & ~np.isnan(value) & (reason != None)  # noqa: E711 - elementwise on an object array
    out["weak"] = weak
    out["weak_reason"] = np.where(weak, reason, None)
    return out


def weakest(marked: pd.DataFrame, kpi, limit: int | None = None) -> pd.DataFrame:
    """The weak units of `mark_weak`'s output, worst value first (ties: larger volume first)."""
    kpi = _kpis.get(kpi)
    weak = marked[marked["weak"]]
    key = weak["value"] if kpi.higher_is_better else -weak["value"]
    weak = weak.assign(_k=key).sort_values(["_k", "volume"], ascending=[True, False], kind="mergesort").drop(columns="_k")
    return weak.head(limit) if limit else weak


def weak_rule_text(kpi, lang: str = "vi", min_volume: int = MIN_VOLUME) -> str:
    """The rule in one plain sentence, for a caption under every "needs improvement" list
    (kpi None: a list over several KPIs)."""
    noun_vi, noun_en = (
        (kpi.volume_noun_vi, kpi.volume_noun_en) if (kpi := _kpis.get(kpi) if kpi else None) else ("hồ sơ hoặc lượt đánh giá", "dossiers or ratings")
    )
    if lang == "en":
        return (
            f"Only units that miss their target, or worse than the overall rate beyond chance, with at least {min_volume} "
            f"{noun_en} are named; a unit at or above target never is. Rank: the fair order that accounts for volume."
        )
    return (
        f"Chỉ nêu đơn vị chưa đạt mục tiêu hoặc kém hơn mức chung ngoài dao động ngẫu nhiên, từ {min_volume} "
        f"{noun_vi} trở lên; đơn vị đạt mục tiêu không bao giờ bị nêu. Hạng: thứ tự công bằng có tính đến số lượng."
    )


def weak_reason_words(reason, lang: str = "vi") -> str:
    words = {"below_target": ("Chưa đạt mục tiêu", "Misses its target"), "worse_than_overall": ("Kém hơn mức chung", "Worse than overall")}
    return pick(lang, *words[reason]) if reason in words else ""
