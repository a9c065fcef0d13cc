import math

import pandas as pd
import pytest

from metrics.service_index import (
    compare_allowed,
    compute_index,
    default_version_id,
    get_version,
    index_breakdown,
    load_versions,
)


def _frame():
    return pd.DataFrame(
        {
            "unit_code": ["A", "B", "C"],
            "period": ["2026-Q1"] * 3,
            "received": [120, 10, 100],
            "received_online": [60, 5, 100],
            "finished": [100, 0, 100],
            "finished_early": [50, 0, 100],
            "finished_on_time": [40, 0, 0],
            "finished_late": [10, 0, 0],
            "paid_online": [30, 0, 100],
            "digitised": [80, 0, 100],
            "open_dossiers": [20, 0, 0],
            "open_overdue": [5, 0, 0],
            "ratings": [200, 0, 100],
            "dissatisfied": [2, 0, 15],
        }
    )


def test_version_config():
    assert default_version_id() == "766-2022"
    v = get_version("766-2022")
    weights = {g.id: g.weight for g in v.groups}
    assert weights == {"transparency": 18, "timeliness": 20, "online_services": 12, "online_payment": 10, "digitisation": 22, "satisfaction": 18}
    assert sum(weights.values()) == v.max_points == 100
    assert not next(g for g in v.groups if g.id == "transparency").supported
    assert "766-2022" in load_versions()
    with pytest.raises(KeyError):
        get_version("nope")


def test_points_by_hand():
    r = compute_index(_frame()).set_index("unit_code")
    a = r.loc["A"]
    # timeliness: (50 + 40 + (20 - 5)) / (100 + 20) = 105/120 = 0.875 -> 17.5 of 20
    assert (a["timeliness_numerator"], a["timeliness_denominator"]) == (105, 120)
    assert a["timeliness_points"] == pytest.approx(17.5)
    assert a["online_services_points"] == pytest.approx(60 / 120 * 12)  # 6.0
    assert a["online_payment_points"] == pytest.approx(0.3 * 10)  # 3.0
    assert a["digitisation_points"] == pytest.approx(0.8 * 22)  # 17.6
    # satisfaction: 1 - ((10 + 5)/120 + 2/200) = 1 - 0.135 = 0.865; full at 0.9 -> 18 * 0.865/0.9 = 17.3
    assert a["satisfaction_overdue_rate"] == pytest.approx(0.125)
    assert a["satisfaction_complaint_rate"] == pytest.approx(0.01)
    assert a["satisfaction_rate"] == pytest.approx(0.865)
    assert a["satisfaction_points"] == pytest.approx(17.3)
    assert a["total"] == pytest.approx(17.5 + 6 + 3 + 17.6 + 17.3)
    assert a["max_possible"] == 82  # transparency (18) excluded: no data
    assert a["score_100"] == pytest.approx(61.4 / 82 * 100)
    assert a["excluded"] == "transparency"
    assert a["version"] == "766-2022"
    assert a["period"] == "2026-Q1"  # key columns kept


def test_full_points_at_90_percent_and_capped():
    c = compute_index(_frame()).set_index("unit_code").loc["C"]
    # satisfaction 1 - (0 + 0.15) = 0.85 < 0.9: 17.0; everything else 100%
    assert c["satisfaction_points"] == pytest.approx(18 * 0.85 / 0.9)
    assert c["timeliness_points"] == 20 and c["digitisation_points"] == 22
    f = _frame()
    f.loc[2, "dissatisfied"] = 5  # 0.95 >= 0.9: full points, not more
    assert compute_index(f).loc[2, "satisfaction_points"] == 18


def test_unsupported_rows_and_groups_excluded_from_max():
    b = compute_index(_frame()).set_index("unit_code").loc["B"]
    assert b["online_services_points"] == 6  # 5/10 received online
    assert math.isnan(b["timeliness_points"]) and math.isnan(b["timeliness_max"])
    assert b["max_possible"] == 12
    assert b["excluded"].split(",") == ["transparency", "timeliness", "online_payment", "digitisation", "satisfaction"]
    # a frame without ratings: satisfaction cannot be computed for anyone, and the frame says why
    r = compute_index(_frame().drop(columns=["ratings", "dissatisfied"]))
    assert "satisfaction" in r.attrs["excluded_groups"]
    assert "ratings" in r.attrs["excluded_groups"]["satisfaction"]
    assert r.loc[0, "max_possible"] == 64
    assert (r["version"] == "766-2022").all()


def test_breakdown_and_compare():
    r = compute_index(_frame())
    bd = index_breakdown(r.iloc[0], lang="vi")
    t = bd.set_index("group")
    assert t.loc["digitisation", "numerator"] == 80 and t.loc["digitisation", "denominator"] == 100
    assert t.loc["digitisation", "points"] == pytest.approx(17.6)
    assert math.isnan(t.loc["transparency", "max"])
    assert t.loc["satisfaction.complaint", "rate"] == pytest.approx(0.01)
    assert compare_allowed("766-2022", "766-2022")
    assert not compare_allowed("766-2022", "766-2025")
    assert compare_allowed(get_version(), r.loc[0, "version"])
