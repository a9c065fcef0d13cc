"""Units in force on a date, and history restated onto today's units (pure, hand-computed)."""

from datetime import date

import pandas as pd
import pytest

from domain.units import former_areas, home_city, restatement, versions_on
from ingest.admin_units import province_layout
from metrics.restate import restate

UNITS = pd.DataFrame(
    [
        ("79", "Thành phố", "city", None, None, None, None),
        ("74", "Tỉnh cũ", "city", None, None, None, date(2025, 6, 30)),
        ("A", "Phường A", "ward", "79", None, None, date(2025, 6, 30)),
        ("B", "Phường B", "ward", "79", None, None, date(2025, 6, 30)),
        ("C", "Xã C", "ward", "74", None, None, date(2025, 6, 30)),
        ("X", "Phường X", "ward", "79", 3.0, date(2025, 7, 1), None),
        ("Y", "Phường Y", "ward", "79", 1.0, date(2025, 7, 1), None),
    ],
    columns=["code", "name", "level", "parent_code", "area_km2", "valid_from", "valid_to"],
)
LINEAGE = pd.DataFrame(
    [
        ("A", "X", True, None),  # whole
        ("B", "X", False, None),  # split, no weight: by area 3 : 1
        ("B", "Y", False, None),
        ("C", "X", False, 0.4),  # split with the city's weights
        ("C", "Y", False, 0.6),
    ],
    columns=["old_code", "new_code", "whole", "weight"],
)


def test_units_in_force_follow_their_validity():
    assert set(versions_on(UNITS, date(2024, 6, 1))["code"]) == {"79", "74", "A", "B", "C"}
    assert set(versions_on(UNITS, date(2025, 7, 1))["code"]) == {"79", "X", "Y"}
    assert home_city(UNITS) == "79"  # the merged province 74 has ended


def test_whole_links_move_everything_split_links_by_weight_or_area():
    moves = restatement(UNITS, LINEAGE).set_index(["old_code", "new_code"])
    assert moves.loc[("A", "X"), "weight"] == 1.0 and moves.loc[("A", "X"), "exact"]
    assert moves.loc[("B", "X"), "weight"] == pytest.approx(0.75) and not moves.loc[("B", "X"), "exact"]
    assert moves.loc[("B", "Y"), "weight"] == pytest.approx(0.25)
    assert moves.loc[("C", "Y"), "weight"] == pytest.approx(0.6)


def test_restated_counts_sum_former_units_into_todays():
    counts = pd.DataFrame({"unit_code": ["A", "B", "C", "X"], "received": [10, 20, 50, 5], "on_time": [8, 10, 40, 5]})
    result = restate(counts, restatement(UNITS, LINEAGE)).set_index("unit_code")
    # X: A whole (10) + B 3/4 (15) + C 0.4 (20) + its own 5 = 50; on time 8 + 7.5 + 16 + 5 = 36.5
    assert result.loc["X", "received"] == pytest.approx(50) and result.loc["X", "on_time"] == pytest.approx(36.5)
    # Y: B 1/4 (5) + C 0.6 (30) = 35
    assert result.loc["Y", "received"] == pytest.approx(35)
    assert not result.loc["X", "exact"] and not result.loc["Y", "exact"]
    assert result["received"].sum() == pytest.approx(85)  # nothing lost, nothing counted twice


def test_phuong_sai_gon_restates_ben_nghe_whole_and_parts_of_da_kao_and_nguyen_thai_binh():
    # Resolution 1685/NQ-UBTVQH15: Phường Sài Gòn (26740) = all of Bến Nghé, parts of Đa Kao
    # and Nguyễn Thái Bình.
    layout = province_layout("79")
    names = dict(zip(layout.units["code"], layout.units["name"]))
    moves = restatement(layout.units, layout.lineage)
    into = moves[(moves["new_code"] == "26740") & moves["old_code"].map(names).str.startswith("Phường")]
    by_name = {names[c]: exact for c, exact in zip(into["old_code"], into["exact"])}
    assert by_name == {"Phường Bến Nghé": True, "Phường Đa Kao": False, "Phường Nguyễn Thái Bình": False}
    # Every former unit's weights sum to one: restating moves all of its history, once.
    assert moves.groupby("old_code")["weight"].sum().to_numpy() == pytest.approx(1.0)


def test_current_units_are_grouped_by_the_former_district_and_province_they_mostly_came_from():
    layout = province_layout("79")
    names = dict(zip(layout.units["code"], layout.units["name"]))
    areas = former_areas(layout.units, layout.lineage).set_index("code")
    assert len(areas) == 168
    assert names[areas.loc["26740", "district_code"]] == "Quận 1"  # Phường Sài Gòn
    by_province = areas["province_code"].value_counts()
    # Every current unit lies in one of the three former provinces; each has some.
    assert set(by_province.index) == {"79", "74", "77"} and by_province.sum() == 168
