"""One rule for "weak" (cần cải thiện), checked on counts worked out by hand."""

import pandas as pd

from metrics import ranking


def targets(kpi_id, value, margin=0.01):
    return pd.DataFrame([{"kpi_id": kpi_id, "unit_code": None, "value": value, "amber_margin": margin}])


def frame(rows):
    """rows: unit -> (satisfied, ratings); every rating either satisfied or dissatisfied."""
    return pd.DataFrame([{"unit_code": u, "very_satisfied": s, "satisfied": 0, "dissatisfied": n - s, "ratings": n} for u, (s, n) in rows.items()])


# The city is 100,996 of 101,112 satisfied (99.885 %), almost all from one big unit E.
UNITS = {"E": (99_900, 100_000), "C": (990, 1_000), "D": (95, 100), "A": (6, 6), "B": (5, 6)}


def marked(kpi_targets):
    ranked = ranking.rank_units(frame(UNITS), "satisfaction_rate")
    return ranking.mark_weak(ranked, "satisfaction_rate", kpi_targets).set_index("unit_code")


def test_a_unit_at_or_above_target_is_never_weak_even_outside_the_funnel():
    m = marked(targets("satisfaction_rate", 0.98))
    # C: 99.0 % >= 98 % target, though 10 failures where 1.15 are expected is far below the funnel.
    assert m.loc["C", "funnel"] == "below_998"
    assert not m.loc["C", "weak"]
    # D: 95 % < 98 % on 100 ratings: weak because it misses the target.
    assert m.loc["D", "weak"] and m.loc["D", "weak_reason"] == "below_target"
    # A (6 of 6) meets the target; B (5 of 6, 83 %) misses it but has fewer than 20 ratings.
    assert not m.loc["A", "weak"] and not m.loc["B", "weak"]
    assert list(ranking.weakest(m.reset_index(), "satisfaction_rate")["unit_code"]) == ["D"]


def test_without_a_target_only_units_outside_the_funnel_are_weak():
    m = marked(None)
    assert m.loc["C", "weak"] and m.loc["C", "weak_reason"] == "worse_than_overall"
    assert m.loc["D", "weak"] and m.loc["D", "weak_reason"] == "worse_than_overall"
    assert not m.loc["E", "weak"] and not m.loc["A", "weak"] and not m.loc["B", "weak"]
    # Worst value first: D (95 %) before C (99 %).
    assert list(ranking.weakest(m.reset_index(), "satisfaction_rate")["unit_code"]) == ["D", "C"]


def test_min_volume_is_a_parameter_and_the_rule_reads_plainly():
    m = ranking.mark_weak(
        ranking.rank_units(frame(UNITS), "satisfaction_rate"), "satisfaction_rate", targets("satisfaction_rate", 0.98), min_volume=5
    ).set_index("unit_code")
    assert m.loc["B", "weak"]  # 5 of 6 counts once 6 ratings are enough
    text = ranking.weak_rule_text("satisfaction_rate", "vi")
    assert "chưa đạt mục tiêu" in text and "20 lượt đánh giá" in text and "Wilson" not in text
    assert "at least 20 ratings" in ranking.weak_rule_text("satisfaction_rate", "en")


def test_lower_is_better_kpi_misses_its_ceiling_from_above():
    rows = pd.DataFrame(
        [
            {"unit_code": "X", "very_satisfied": 98, "satisfied": 0, "dissatisfied": 2, "ratings": 100},  # 2 % > 0.5 %
            {"unit_code": "Y", "very_satisfied": 100, "satisfied": 0, "dissatisfied": 0, "ratings": 100},  # 0 %
        ]
    )
    m = ranking.mark_weak(ranking.rank_units(rows, "dissatisfaction_rate"), "dissatisfaction_rate", targets("dissatisfaction_rate", 0.005, 0.0025)).set_index(
        "unit_code"
    )
    assert m.loc["X", "weak"] and m.loc["X", "weak_reason"] == "below_target"
    assert not m.loc["Y", "weak"]


def test_a_unit_s_own_target_wins_over_the_general_one():
    both = pd.concat(
        [targets("satisfaction_rate", 0.98), pd.DataFrame([{"kpi_id": "satisfaction_rate", "unit_code": "D", "value": 0.90, "amber_margin": 0.01}])]
    )
    m = marked(both)
    assert m.loc["D", "target"] == 0.90 and not m.loc["D", "weak"]  # 95 % meets its own 90 %
    assert m.loc["C", "target"] == 0.98
