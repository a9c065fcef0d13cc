import math

import numpy as np
import pandas as pd
import pytest

from data_access.schema import BACKLOG_COUNTS, DOSSIER_COUNTS, RATING_COUNTS
from metrics import kpis
from metrics.kpis import KPIS, Kpi, add_kpi_columns, denominator, get, numerator, status_against_target, value

REQUIRED = [
    "ratings",
    "satisfaction_rate",
    "dissatisfaction_rate",
    "received",
    "finished",
    "on_time_rate",
    "open_overdue",
    "online_share",
    "apology_compliance",
    "avg_processing_days",
    "online_payment_rate",
    "digitisation_rate",
]


def test_catalog_complete_and_consistent():
    all_counts = set(RATING_COUNTS) | set(DOSSIER_COUNTS) | set(BACKLOG_COUNTS)
    for kid in REQUIRED:
        assert kid in KPIS
    for kid, k in KPIS.items():
        assert k.id == kid
        assert set(k.columns) <= all_counts, kid  # only schema count columns
        src = {"ratings": RATING_COUNTS, "dossiers": DOSSIER_COUNTS, "backlog": BACKLOG_COUNTS}[k.source]
        assert set(k.columns) <= set(src), kid
        assert k.label_vi and k.label_en and k.help_vi and k.help_en
        assert k.volume_noun_vi and k.volume_noun_en


def test_definitions_as_briefed():
    assert get("satisfaction_rate").numerator == ("very_satisfied", "satisfied")
    assert get("satisfaction_rate").denominator == "ratings"
    assert get("on_time_rate").numerator == ("finished_early", "finished_on_time")
    assert get("on_time_rate").label_vi == "Tỷ lệ đúng hạn"
    assert get("satisfaction_rate").label_vi == "Tỷ lệ hài lòng"
    k = get("open_overdue")
    assert (k.kind, k.higher_is_better, k.volume_column, k.denominator) == ("count", False, "open_dossiers", None)
    assert get("avg_processing_days").kind == "mean" and not get("avg_processing_days").higher_is_better
    assert not get("dissatisfaction_rate").higher_is_better
    assert get("online_share").label_vi == "Tỷ lệ hồ sơ trực tuyến"
    assert get("apology_compliance").label_vi == "Tỷ lệ xin lỗi đúng quy định"
    assert get("avg_processing_days").label_vi == "Số ngày xử lý bình quân"
    assert get("open_overdue").label_vi == "Hồ sơ quá hạn đang giải quyết"


def test_unknown_id_is_clear_keyerror():
    with pytest.raises(KeyError, match="Unknown KPI id 'nope'"):
        get("nope")
    assert get(KPIS["ratings"]) is KPIS["ratings"]


def test_string_numerator_normalised_and_validation():
    k = Kpi("x", "X", "X", "ratings", None, "count", True, "h", "h", "ratings", "ratings")
    assert k.numerator == ("ratings",)
    with pytest.raises(ValueError):
        Kpi("y", "Y", "Y", ("a",), None, "rate", True, "h", "h", "a", "ratings")
    with pytest.raises(ValueError):
        Kpi("y", "Y", "Y", ("a",), "b", "ratio", True, "h", "h", "a", "ratings")


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "unit_code": ["A", "B", "C"],
            "ratings": [200, 0, 3],
            "very_satisfied": [150, 0, 3],
            "satisfied": [45, 0, 0],
            "neutral": [3, 0, 0],
            "dissatisfied": [2, 0, 0],
            "finished": [1000, 0, 10],
            "finished_early": [700, 0, 2],
            "finished_on_time": [250, 0, 6],
            "finished_late": [50, 0, 2],
            "late_with_apology": [40, 0, 0],
            "processing_days_sum": [5500, 0, 31],
        }
    )


def test_values_by_hand(frame):
    sat = value(frame, "satisfaction_rate")
    assert sat[0] == pytest.approx(195 / 200)
    assert math.isnan(sat[1])  # zero denominator: no data, never 0
    assert sat[2] == 1.0
    assert numerator(frame, "satisfaction_rate").tolist() == [195, 0, 3]
    assert denominator(frame, "satisfaction_rate").tolist() == [200, 0, 3]
    assert value(frame, "on_time_rate").tolist()[0] == pytest.approx(0.95)
    assert value(frame, "apology_compliance")[0] == pytest.approx(0.8)
    assert math.isnan(value(frame, "apology_compliance")[1])
    assert value(frame, "apology_compliance")[2] == 0.0  # 0 of 2: a real zero
    assert value(frame, "avg_processing_days")[0] == pytest.approx(5.5)
    assert math.isnan(value(frame, "avg_processing_days")[1])
    assert value(frame, "ratings").tolist() == [200, 0, 3]  # count: the sum itself
    assert denominator(frame, "ratings").isna().all()


def test_rates_from_summed_counts_not_average_of_rates(frame):
    pooled = kpis.total(frame, "satisfaction_rate")
    assert pooled == pytest.approx((195 + 3) / 203)
    assert pooled != pytest.approx(np.nanmean(value(frame, "satisfaction_rate")))
    assert math.isnan(kpis.total(frame.iloc[[1]], "satisfaction_rate"))


def test_add_kpi_columns(frame):
    out = add_kpi_columns(frame, ["satisfaction_rate", "ratings", "on_time_rate"])
    assert "satisfaction_rate" in out and "on_time_rate" in out
    assert out["ratings"].tolist() == [200, 0, 3]
    assert "satisfaction_rate" not in frame  # input untouched
    with pytest.raises(KeyError, match="online_share"):
        add_kpi_columns(frame, ["online_share"])  # needs received/received_online


def test_status_against_target():
    assert status_against_target(0.99, 0.98, True, 0.01) == "green"
    assert status_against_target(0.98, 0.98, True, 0.01) == "green"
    assert status_against_target(0.975, 0.98, True, 0.01) == "amber"
    assert status_against_target(0.97, 0.98, True, 0.01) == "amber"  # boundary despite floats
    assert status_against_target(0.96, 0.98, True, 0.01) == "red"
    assert status_against_target(0.96, 0.98, True, None) == "red"
    # lower is better
    assert status_against_target(3, 5, False, 2) == "green"
    assert status_against_target(6, 5, False, 2) == "amber"
    assert status_against_target(8, 5, False, 2) == "red"
    assert status_against_target(float("nan"), 0.98, True, 0.01) is None
    assert status_against_target(0.9, None, True, 0.01) is None


def test_format_value():
    assert kpis.format_value(0.9924, "satisfaction_rate", "vi") == "99,2%"
    assert kpis.format_value(1230, "ratings", "vi") == "1.230"
    assert kpis.format_value(5.56, "avg_processing_days", "en") == "5.6"
    assert kpis.format_value(float("nan"), "on_time_rate", "vi") == "—"


def test_every_kpi_carries_one_display_format():
    # A rate shows as a percentage everywhere (table column, chart axis, text); a count as a
    # whole number; a mean with one decimal.
    for kpi in kpis.KPIS.values():
        text = kpis.format_value(0.5 if kpi.kind != "count" else 1234, kpi, "en")
        if kpi.kind == "rate":
            assert (kpi.column_kind, kpi.d3format, text) == ("pct", ".1%", "50.0%"), kpi.id
        elif kpi.kind == "count":
            assert (kpi.column_kind, kpi.d3format, text) == ("int", ",d", "1,234"), kpi.id
        else:
            assert (kpi.column_kind, kpi.d3format, text) == ("num", ".1f", "0.5"), kpi.id


def test_a_change_that_reads_as_zero_is_grey_not_red_or_green():
    # 5,56 -> 5,58 days reads "+0,0": no arrow colour may call it worse (issue 13 audit).
    same = kpis.format_change("avg_processing_days", 5.58, 5.56, "vi")
    assert same == "+0,0"
    assert kpis.change_colour("avg_processing_days", same) == "off"
    # A real change keeps its meaning: more days is worse (red), a higher rate better (green).
    assert kpis.change_colour("avg_processing_days", kpis.format_change("avg_processing_days", 6.1, 5.5, "vi")) == "inverse"
    assert kpis.change_colour("on_time_rate", kpis.format_change("on_time_rate", 0.97, 0.95, "vi")) == "normal"
    # A volume is neither good nor bad, and no change at all has no colour.
    assert kpis.change_colour("received", kpis.format_change("received", 120, 100, "vi")) == "off"
    assert kpis.change_colour("on_time_rate", None) == "off"
