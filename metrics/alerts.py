"""Alerts: units whose rates got worse beyond chance, and units whose overdue backlog grows.

Inputs are per-unit COUNTS: `current` for the period under review and `baseline` for the
comparison (e.g. the previous 6 periods summed - flows sum fine). Backlog columns in the
baseline (open_dossiers, open_overdue) are read as a LEVEL (e.g. the average of the
baseline period-end snapshots, or the last one), never a sum over periods.

Rate drops: a one-sided two-proportion comparison of current vs baseline. The p-value is
the exact conditional (Fisher) test - hypergeometric tail - because at rates near 99% the
normal approximation is badly anti-conservative (5 failures where 1 is expected gives
p ~ 3e-5 by z but 4e-3 exactly). The pooled z is reported as the effect statistic.
False alarms across ~300 units x several KPIs are controlled by all of:
  p < min(p_max, family_alpha / number_of_tests)   (Bonferroni on the tests actually run)
  a worsening of at least `min_effect` (absolute, e.g. 0.02 = 2 percentage points)
  at least `min_volume` in the current period and `min_baseline_volume` in the baseline.
Backlog growth: open_overdue >= backlog_min and >= backlog_factor x the baseline level.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from i18n.format import fmt_int, fmt_num, fmt_pct
from i18n.text import pick
from metrics import kpis as _kpis
from metrics.periods import Period, previous_period

DEFAULT_ALERT_KPIS = ("satisfaction_rate", "dissatisfaction_rate", "on_time_rate", "apology_compliance")

ALERT_COLUMNS = [
    "unit_code",
    "kpi_id",
    "kind",  # "rate_drop" | "backlog_growth"
    "current",
    "baseline",
    "volume",  # current volume (denominator; open dossiers for backlog)
    "baseline_volume",
    "z",
    "p_value",
    "severity",  # "high" | "medium"
]


@dataclass(frozen=True)
class AlertThresholds:
    p_max: float = 0.001
    family_alpha: float | None = 0.05  # None: no Bonferroni, p_max only
    min_effect: float = 0.02
    min_volume: int = 50
    min_baseline_volume: int = 50
    backlog_factor: float = 2.0
    backlog_min: int = 10
    # "high" when p is 100x below the cut and the effect is 2x the minimum, or backlog >= 2x factor.
    high_p_ratio: float = 0.01
    high_effect_ratio: float = 2.0


DEFAULTS = AlertThresholds()


def _one_sided_fisher_worse(bad_cur, n_cur, bad_base, n_base) -> np.ndarray:
    """P(at least bad_cur 'bad' outcomes in the current group | margins): hypergeometric."""
    M = n_cur + n_base
    K = bad_cur + bad_base
    return stats.hypergeom.sf(bad_cur - 1, M, K, n_cur)


def detect_alerts(
    current: pd.DataFrame,
    baseline: pd.DataFrame,
    kpi_ids=DEFAULT_ALERT_KPIS,
    thresholds: AlertThresholds = DEFAULTS,
    include_backlog: bool = True,
) -> pd.DataFrame:
    """Alerts per unit and KPI, most severe first (columns ALERT_COLUMNS).

    `current` and `baseline`: one row per unit_code (repeated rows are summed) with the
    count columns of the KPIs (and open_dossiers/open_overdue for the backlog rule).
    Only rate KPIs are tested for drops; a drop means worse in the KPI's direction
    (lower for higher-is-better, higher for dissatisfaction).
    """
    t = thresholds
    cur = current.groupby("unit_code", sort=False).sum(numeric_only=True)
    base = baseline.groupby("unit_code", sort=False).sum(numeric_only=True)
    units = cur.index.intersection(base.index)
    cur, base = cur.loc[units], base.loc[units]
    candidates = []
    n_tests = 0
    for kpi_id in kpi_ids:
        kpi = _kpis.get(kpi_id)
        if kpi.kind != "rate":
            raise ValueError(f"Alerts test rates only; {kpi.id!r} is a {kpi.kind}")
        x1 = _kpis.numerator(cur, kpi).to_numpy(dtype="float64")
        n1 = _kpis.denominator(cur, kpi).to_numpy(dtype="float64")
        x0 = _kpis.numerator(base, kpi).to_numpy(dtype="float64")
        n0 = _kpis.denominator(base, kpi).to_numpy(dtype="float64")
        ok = (n1 >= max(t.min_volume, 1)) & (n0 >= max(t.min_baseline_volume, 1))
        ok &= np.isfinite(x1) & np.isfinite(x0)
        n_tests += int(ok.sum())
        with np.errstate(divide="ignore", invalid="ignore"):
            p1, p0 = x1 / n1, x0 / n0
            worse = (p0 - p1) if kpi.higher_is_better else (p1 - p0)
            pooled = (x1 + x0) / (n1 + n0)
            se = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
            z = np.where(se > 0, worse / se, 0.0)
        # "bad" outcomes: failures for higher-is-better rates, the numerator otherwise
        bad1 = (n1 - x1) if kpi.higher_is_better else x1
        bad0 = (n0 - x0) if kpi.higher_is_better else x0
        idx = np.flatnonzero(ok & (worse >= t.min_effect))
        if len(idx):
            pv = _one_sided_fisher_worse(bad1[idx], n1[idx], bad0[idx], n0[idx])
            for j, i in enumerate(idx):
                candidates.append(
                    dict(
                        unit_code=units[i],
                        kpi_id=kpi.id,
                        kind="rate_drop",
                        current=p1[i],
                        baseline=p0[i],
                        volume=n1[i],
                        baseline_volume=n0[i],
                        z=float(z[i]),
                        p_value=float(pv[j]),
                        _effect=float(worse[i]),
                    )
                )
    cut = t.p_max
    if t.family_alpha is not None and n_tests > 0:
        cut = min(cut, t.family_alpha / n_tests)
    rows = []
    for c in candidates:
        if c["p_value"] < cut:
            high = c["p_value"] < cut * t.high_p_ratio and c["_effect"] >= t.min_effect * t.high_effect_ratio
            c["severity"] = "high" if high else "medium"
            rows.append(c)

    if include_backlog and "open_overdue" in cur.columns and "open_overdue" in base.columns:
        ov1 = cur["open_overdue"].to_numpy(dtype="float64")
        ov0 = base["open_overdue"].to_numpy(dtype="float64")
        od1 = cur["open_dossiers"].to_numpy(dtype="float64") if "open_dossiers" in cur else np.full(len(cur), np.nan)
        od0 = base["open_dossiers"].to_numpy(dtype="float64") if "open_dossiers" in base else np.full(len(cur), np.nan)
        grow = (ov1 >= t.backlog_min) & (ov1 >= t.backlog_factor * ov0) & (ov1 > ov0)
        for i in np.flatnonzero(grow):
            high = ov1[i] >= 2 * t.backlog_factor * ov0[i]
            rows.append(
                dict(
                    unit_code=units[i],
                    kpi_id="open_overdue",
                    kind="backlog_growth",
                    current=ov1[i],
                    baseline=ov0[i],
                    volume=od1[i],
                    baseline_volume=od0[i],
                    z=np.nan,
                    p_value=np.nan,
                    severity="high" if high else "medium",
                    _effect=ov1[i] - ov0[i],
                )
            )

    out = pd.DataFrame(rows, columns=ALERT_COLUMNS + ["_effect"])
    if out.empty:
        return out.drop(columns="_effect").astype({"current": "float64", "baseline": "float64"})
    out["_sev"] = out["severity"].map({"high": 0, "medium": 1})
    out["_p"] = out["p_value"].fillna(0.0)
    out = out.sort_values(["_sev", "kind", "_p", "_effect"], ascending=[True, False, True, False], kind="mergesort")
    out = out.drop(columns=["_sev", "_p", "_effect"]).reset_index(drop=True)
    out.attrs.update(p_cut=cut, n_tests=n_tests)
    return out


def _fmt_p(p: float, lang: str) -> str:
    if p < 0.001:
        return f"p < {fmt_num(0.001, lang, 3)}"
    return f"p = {fmt_num(p, lang, 3)}"


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def sentence(alert, lang: str = "vi", unit_name: str | None = None, target: float | None = None) -> str:
    """One sentence a leader can read aloud. `alert`: a row of detect_alerts (Series/dict).

    vi: "Phường X: tỷ lệ đúng hạn 84,2% (trên 1.230 hồ sơ), thấp hơn mức thường lệ 98,9%
         — khó là ngẫu nhiên (p < 0,001)."
    en: "Ward X: on-time rate 84.2% (of 1,230 dossiers), below the usual 98.9% — unlikely
         to be chance (p < 0.001)."
    """
    a = dict(alert)
    name = unit_name or str(a["unit_code"])
    kpi = _kpis.get(a["kpi_id"])
    en = lang == "en"
    if a["kind"] == "backlog_growth":
        vol = a.get("volume")
        vol_txt = (
            ""
            if vol is None or (isinstance(vol, float) and math.isnan(vol))
            else (pick(lang, f" (trên {fmt_int(vol, lang)} hồ sơ đang giải quyết)", f" (of {fmt_int(vol, lang)} open dossiers)"))
        )
        if en:
            return f"{name}: open overdue dossiers rose from {fmt_int(a['baseline'], lang)} to {fmt_int(a['current'], lang)}{vol_txt}."
        return f"{name}: hồ sơ quá hạn đang giải quyết tăng từ {fmt_int(a['baseline'], lang)} lên {fmt_int(a['current'], lang)}{vol_txt}."
    label = _lower_first(kpi.label(lang))
    cur, base = fmt_pct(a["current"], lang), fmt_pct(a["baseline"], lang)
    vol = fmt_int(a["volume"], lang)
    noun = kpi.volume_noun(lang)
    went_down = a["current"] < a["baseline"]
    p_txt = _fmt_p(float(a["p_value"]), lang)
    # The one rule for "weak" (metrics.ranking.mark_weak): a unit still at its target is not
    # one needing improvement, even when it got worse; the sentence says so.
    on_target = target is not None and _kpis.status_against_target(a["current"], target, kpi.higher_is_better) == "green"
    if en:
        direction = "below" if went_down else "above"
        still = f" Still on its {fmt_pct(target, lang)} target: not a unit needing improvement." if on_target else ""
        return f"{name}: {label} {cur} (of {vol} {noun}), {direction} the usual {base} — unlikely to be chance ({p_txt}).{still}"
    direction = "thấp hơn" if went_down else "cao hơn"
    still = f" Vẫn đạt mục tiêu {fmt_pct(target, lang)}: không phải đơn vị cần cải thiện." if on_target else ""
    return f"{name}: {label} {cur} (trên {vol} {noun}), {direction} mức thường lệ {base} — khó là ngẫu nhiên ({p_txt}).{still}"


@dataclass(frozen=True)
class Alert:
    """One alert row as an object, for code that prefers attributes to a DataFrame."""

    unit_code: str
    kpi_id: str
    kind: str
    current: float
    baseline: float
    volume: float
    baseline_volume: float
    z: float
    p_value: float
    severity: str

    def sentence(self, lang: str = "vi", unit_name: str | None = None) -> str:
        return sentence(self.__dict__, lang, unit_name)


def to_alerts(frame: pd.DataFrame) -> list[Alert]:
    """The rows of detect_alerts as Alert objects."""
    return [Alert(**{c: r[c] for c in ALERT_COLUMNS}) for r in frame.to_dict("records")]


# --- the dashboard's alert scan, with the loaders passed in ---------------------------

BASELINE_PERIODS = 6


def baseline_periods(period: Period, count: int = BASELINE_PERIODS) -> list[Period]:
    """The `count` periods of the same kind before `period`, newest first."""
    before = [previous_period(period)]
    while len(before) < count:
        before.append(previous_period(before[-1]))
    return before


def scan_alerts(kpi_counts: Callable, backlog_counts: Callable, period: Period, codes) -> pd.DataFrame:
    """Alerts of every unit in `codes` (None: all), most severe first (metrics.alerts columns).

    `kpi_counts(start, end, codes, by_unit)` and `backlog_counts(days, codes, by_unit)` load
    counts (data_access.queries signatures without the engine). The baseline is the six
    previous periods of the same kind; its backlog is the average of their closing snapshots.
    """
    before = baseline_periods(period)
    current = kpi_counts(period.start, period.end, codes, True)
    baseline = kpi_counts(before[-1].start, before[0].end, codes, True)
    snapshots = backlog_counts(tuple(p.end for p in before), codes, True)
    level = snapshots.groupby("unit_code")[["open_dossiers", "open_overdue"]].mean().reset_index()
    baseline = baseline.drop(columns=["open_dossiers", "open_overdue"]).merge(level, on="unit_code", how="left").fillna(0)
    return detect_alerts(current, baseline)
