import numpy as np
import pandas as pd
import pytest
from scipy import stats

from metrics.alerts import ALERT_COLUMNS, AlertThresholds, detect_alerts, sentence, to_alerts

DROPS = {"u005", "u150", "u271"}


def _synthetic(seed=2026, n_units=300):
    """300 units at 99% on several rates; 3 units truly drop to 95% on-time."""
    rng = np.random.default_rng(seed)
    codes = [f"u{i:03d}" for i in range(n_units)]
    n = rng.integers(100, 3000, n_units)
    drop = np.isin(codes, sorted(DROPS))
    n[drop] = 1200
    nb = n * 6  # baseline: previous 6 periods summed
    p_on_time = np.where(drop, 0.95, 0.99)

    def frame(vol, p_ot):
        early = rng.binomial(vol, p_ot * 0.7)
        on_time = rng.binomial(vol - early, np.clip((p_ot - p_ot * 0.7) / (1 - p_ot * 0.7), 0, 1))
        late = vol - early - on_time
        sat = rng.binomial(vol, 0.99)
        dis = rng.binomial(vol - sat, 0.3)
        return pd.DataFrame(
            {
                "unit_code": codes,
                "finished": vol,
                "finished_early": early,
                "finished_on_time": on_time,
                "finished_late": late,
                "late_with_apology": rng.binomial(late, 0.9),
                "ratings": vol,
                "very_satisfied": sat,
                "satisfied": 0,
                "neutral": vol - sat - dis,
                "dissatisfied": dis,
                "open_dossiers": 200,
                "open_overdue": 4,
            }
        )

    return frame(n, p_on_time), frame(nb, np.full(n_units, 0.99))


def test_finds_exactly_the_true_drops():
    cur, base = _synthetic()
    a = detect_alerts(cur, base)
    assert list(a.columns) == ALERT_COLUMNS
    assert set(a["unit_code"]) == DROPS
    assert set(a["kpi_id"]) == {"on_time_rate"}
    assert (a["kind"] == "rate_drop").all()
    assert (a["p_value"] < 0.001).all()
    # 3 rates x 300 units, plus apology compliance where >= 50 late dossiers in both periods
    n_apology = int(((cur["finished_late"] >= 50) & (base["finished_late"] >= 50)).sum())
    assert a.attrs["n_tests"] == 3 * 300 + n_apology
    assert a.attrs["p_cut"] == pytest.approx(0.05 / a.attrs["n_tests"])


@pytest.mark.parametrize("seed", range(10))
def test_no_noise_without_drops(seed):
    cur, base = _synthetic(seed)
    cur = cur[~cur["unit_code"].isin(DROPS)]
    assert detect_alerts(cur, base).empty


def test_p_value_is_exact_fisher_one_sided():
    cur = pd.DataFrame({"unit_code": ["x"], "finished": [1000], "finished_early": [900], "finished_on_time": [50]})
    base = pd.DataFrame({"unit_code": ["x"], "finished": [6000], "finished_early": [5900], "finished_on_time": [40]})
    a = detect_alerts(cur, base, kpi_ids=["on_time_rate"])
    assert len(a) == 1
    table = [[50, 950], [60, 5940]]  # [late, on time] current / baseline
    assert a.loc[0, "p_value"] == pytest.approx(stats.fisher_exact(table, alternative="greater").pvalue, rel=1e-9)
    assert a.loc[0, "current"] == pytest.approx(0.95) and a.loc[0, "baseline"] == pytest.approx(0.99)
    p = (950 + 5940) / 7000
    z = (0.99 - 0.95) / np.sqrt(p * (1 - p) * (1 / 1000 + 1 / 6000))
    assert a.loc[0, "z"] == pytest.approx(z)
    assert a.loc[0, "volume"] == 1000 and a.loc[0, "baseline_volume"] == 6000


def test_thresholds_are_parameters():
    cur = pd.DataFrame({"unit_code": ["x"], "finished": [40], "finished_early": [30], "finished_on_time": [0]})
    base = pd.DataFrame({"unit_code": ["x"], "finished": [600], "finished_early": [594], "finished_on_time": [0]})
    assert detect_alerts(cur, base, ["on_time_rate"]).empty  # below min_volume 50
    loose = AlertThresholds(min_volume=20)
    assert len(detect_alerts(cur, base, ["on_time_rate"], loose)) == 1
    big_effect = AlertThresholds(min_volume=20, min_effect=0.3)
    assert detect_alerts(cur, base, ["on_time_rate"], big_effect).empty
    with pytest.raises(ValueError):
        detect_alerts(cur, base, ["open_overdue"])  # counts are not tested for drops


def test_lower_is_better_rate_rise_is_a_drop():
    cur = pd.DataFrame({"unit_code": ["x"], "ratings": [2000], "dissatisfied": [100], "very_satisfied": [1900], "satisfied": [0]})
    base = pd.DataFrame({"unit_code": ["x"], "ratings": [12000], "dissatisfied": [60], "very_satisfied": [11940], "satisfied": [0]})
    a = detect_alerts(cur, base, ["dissatisfaction_rate"])
    assert a["kpi_id"].tolist() == ["dissatisfaction_rate"]
    assert "cao hơn mức thường lệ 0,5%" in sentence(a.iloc[0], "vi", "Phường Y")


def test_backlog_growth_rule():
    cur = pd.DataFrame({"unit_code": ["a", "b", "c", "d"], "open_overdue": [12, 9, 30, 20], "open_dossiers": [400, 300, 500, 90]})
    base = pd.DataFrame({"unit_code": ["a", "b", "c", "d"], "open_overdue": [6, 2, 20, 0], "open_dossiers": [380, 300, 480, 80]})
    a = detect_alerts(cur, base, kpi_ids=[])
    # a doubled and >= 10; b below 10; c only x1.5; d from 0 to 20
    assert sorted(a["unit_code"]) == ["a", "d"]
    assert set(a["kind"]) == {"backlog_growth"}
    row = a.set_index("unit_code").loc["a"]
    assert (row["current"], row["baseline"], row["volume"]) == (12, 6, 400)
    assert a.set_index("unit_code").loc["d", "severity"] == "high"
    assert detect_alerts(cur, base, [], AlertThresholds(backlog_factor=1.5)).shape[0] == 3


def test_sentences():
    cur = pd.DataFrame({"unit_code": ["x"], "finished": [1230], "finished_early": [1000], "finished_on_time": [36]})
    base = pd.DataFrame({"unit_code": ["x"], "finished": [7380], "finished_early": [7000], "finished_on_time": [299]})
    a = detect_alerts(cur, base, ["on_time_rate"])
    assert sentence(a.iloc[0], "vi", "Phường X") == (
        "Phường X: tỷ lệ đúng hạn 84,2% (trên 1.230 hồ sơ), thấp hơn mức thường lệ 98,9% — khó là ngẫu nhiên (p < 0,001)."
    )
    assert sentence(a.iloc[0], "en", "Ward X") == ("Ward X: on-time rate 84.2% (of 1,230 dossiers), below the usual 98.9% — unlikely to be chance (p < 0.001).")
    assert to_alerts(a)[0].sentence("vi", "Phường X").startswith("Phường X: tỷ lệ đúng hạn 84,2%")
    backlog = {
        "unit_code": "x",
        "kpi_id": "open_overdue",
        "kind": "backlog_growth",
        "current": 23,
        "baseline": 5,
        "volume": 1410,
        "baseline_volume": 1300,
        "z": np.nan,
        "p_value": np.nan,
        "severity": "high",
    }
    assert sentence(backlog, "vi", "Phường X") == ("Phường X: hồ sơ quá hạn đang giải quyết tăng từ 5 lên 23 (trên 1.410 hồ sơ đang giải quyết).")
    assert sentence(backlog, "en") == "x: open overdue dossiers rose from 5 to 23 (of 1,410 open dossiers)."


def test_a_worsened_unit_still_on_target_is_said_not_to_need_improvement():
    """84,2 % on time got worse beyond chance; against an 80 % target it is still on target
    (the one rule: never "cần cải thiện"), against 98 % it is not, and nothing is added."""
    cur = pd.DataFrame({"unit_code": ["x"], "finished": [1230], "finished_early": [1000], "finished_on_time": [36]})
    base = pd.DataFrame({"unit_code": ["x"], "finished": [7380], "finished_early": [7000], "finished_on_time": [299]})
    row = detect_alerts(cur, base, ["on_time_rate"]).iloc[0]
    assert sentence(row, "vi", "Phường X", target=0.80).endswith("(p < 0,001). Vẫn đạt mục tiêu 80,0%: không phải đơn vị cần cải thiện.")
    assert sentence(row, "en", "Ward X", target=0.80).endswith("Still on its 80.0% target: not a unit needing improvement.")
    assert sentence(row, "vi", "Phường X", target=0.98).endswith("(p < 0,001).")
