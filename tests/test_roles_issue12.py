"""Roles of two-tier government (issue 12): area leaders and ward chairs, the unit each role
needs, scope in the data layer including restated history, the accounts command line.

The pure rules use a hand-made city: former Quận A (DA) with wards a, b, c and former Quận B
(DB) with wards d, e became three wards on 1 July 2025:
    X = a whole + part of b (area 3), Y = part of b + c whole (area 1), Z = d + e whole (area 2).
So X and Y mostly came from DA (area DA = {X, Y}), Z from DB. A chair of X owns X, a and b
(b went partly into X) but not c, a sibling former ward of DA that went into Y.

The data layer uses Hồ Chí Minh City's packaged reference (`reference init --province 79`) with
hand-written monthly counts of May 2025 on three former wards of Quận 1 (760):
    Bến Nghé (26740@2025-06-30) -> wholly Phường Sài Gòn (26740): 100 received, 90 on time
    Phạm Ngũ Lão (26749)        -> wholly Phường Bến Thành (26743): 40 received, 30 on time
    Tân Định (26734)            -> wholly Phường Tân Định (26737): 7 received, 7 on time
and 10 very satisfied ratings on Bến Nghé.
"""

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import insert

from data_access import accounts, queries, reference, schema
from data_access import unit_queries as uq
from domain import access
from domain.access import SYSTEM, OutOfScope, Viewer

FORMER = date(2025, 6, 30)
REFORM = date(2025, 7, 1)

# --- the pure rules, on a hand-made city ------------------------------------------------------

UNITS = pd.DataFrame(
    [
        dict(code="79", level="city", parent_code=None, valid_to=None, area_km2=None),
        dict(code="DA", level="district", parent_code="79", valid_to=FORMER, area_km2=None),
        dict(code="DB", level="district", parent_code="79", valid_to=FORMER, area_km2=None),
        *[dict(code=c, level="ward", parent_code="DA", valid_to=FORMER, area_km2=None) for c in "abc"],
        *[dict(code=c, level="ward", parent_code="DB", valid_to=FORMER, area_km2=None) for c in "de"],
        dict(code="X", level="ward", parent_code="79", valid_to=None, area_km2=3.0),
        dict(code="Y", level="ward", parent_code="79", valid_to=None, area_km2=1.0),
        dict(code="Z", level="ward", parent_code="79", valid_to=None, area_km2=2.0),
        dict(code="79.S", level="department", parent_code="79", valid_to=None, area_km2=None),
    ]
)
LINKS = pd.DataFrame(
    [
        ("a", "X", True),
        ("b", "X", False),
        ("b", "Y", False),
        ("c", "Y", True),
        ("d", "Z", True),
        ("e", "Z", True),
        ("DA", "X", False),
        ("DA", "Y", False),
        ("DB", "Z", True),
    ],
    columns=["old_code", "new_code", "whole"],
).assign(weight=None)
CHAIR_X = Viewer("cx", "ward_chair", "X")
AREA_DA = Viewer("la", "area_leader", "DA")


def test_a_ward_chair_owns_their_ward_and_its_former_wards_not_a_sibling():
    assert access.own_codes(CHAIR_X, UNITS, LINKS) == {"X", "a", "b"}
    assert access.own_codes(Viewer("cz", "ward_chair", "Z"), UNITS, LINKS) == {"Z", "d", "e", "DB"}  # DB went wholly into Z


def test_an_area_leader_owns_the_units_that_mostly_came_from_their_former_district():
    assert access.own_codes(AREA_DA, UNITS, LINKS) == {"X", "Y", "a", "b", "c", "DA"}
    # Without the crosswalk there is no area: nothing (secure default).
    assert access.own_codes(AREA_DA, UNITS) == frozenset()
    assert access.own_codes(AREA_DA, UNITS, LINKS.iloc[0:0]) == frozenset()


def test_others_are_totals_each_ward_under_the_city_whole():
    scope = access.summary_scope(CHAIR_X, UNITS, None, LINKS)
    # Sibling c folds into its former district; today's wards and the department stand for themselves.
    assert scope.fold == {"c": "DA", "d": "DB", "e": "DB"}
    assert access.summary_scope(CHAIR_X, UNITS, ["Y", "Z", "79.S"], LINKS).codes == ("79.S", "Y", "Z")
    assert access.summary_scope(CHAIR_X, UNITS, ["a"], LINKS).codes == ("a",)  # an own former ward
    with pytest.raises(OutOfScope):
        access.summary_scope(CHAIR_X, UNITS, ["c"], LINKS)  # the sibling former ward
    with pytest.raises(OutOfScope):
        access.detail_codes(CHAIR_X, UNITS, ["Y"], LINKS)  # another ward's details
    assert access.detail_codes(AREA_DA, UNITS, ["Y", "c", "Z"], LINKS) == ("Y", "c")
    counts = pd.DataFrame({"unit_code": ["X", "a", "c", "d", "Y"], "n": [1, 2, 4, 8, 16]})
    folded = access.fold_rows(counts, scope.fold, ["n"]).set_index("unit_code")["n"].to_dict()
    assert folded == {"X": 1, "a": 2, "DA": 4, "DB": 8, "Y": 16}


@pytest.mark.parametrize(
    "role, unit, links, problem",
    [
        ("ward_chair", "X", LINKS, None),
        ("ward_chair", "a", LINKS, "ended on 2025-06-30"),  # a former ward
        ("ward_chair", "DA", LINKS, "is a district"),
        ("ward_chair", None, LINKS, "needs a unit"),
        ("area_leader", "DA", LINKS, None),
        ("area_leader", "79", LINKS, None),  # the former province, still keyed 79: its units are an area too
        ("area_leader", "X", LINKS, "is a ward"),
        ("area_leader", "DA", None, "not an area"),  # no crosswalk
        ("district_chair", "DA", LINKS, "its leader is an area_leader"),
        ("department_head", "79.S", LINKS, None),
        ("city_leader", "X", LINKS, "has no unit"),
        ("city_leader", None, LINKS, None),
        ("king", None, LINKS, "unknown role"),
    ],
)
def test_the_unit_each_role_needs(role, unit, links, problem):
    found = access.role_unit_problem(role, unit, UNITS, links)
    assert (found is None) if problem is None else (problem in found), found


def test_an_existing_account_is_not_locked_out_when_its_unit_ends():
    assert access.role_unit_problem("ward_chair", "a", UNITS, LINKS, new_account=False) is None
    assert access.own_codes(Viewer("old", "district_chair", "DA"), UNITS, LINKS) == {"DA", "a", "b", "c"}


def test_role_names():
    assert Viewer("w", "ward_chair", "X").role_label("vi") == "Chủ tịch UBND phường/xã"
    assert Viewer("w", "area_leader", "DA").role_label("en") == "Area leader"
    assert Viewer("w", "ward_chair", "X").scope_key() == ("ward_chair", "X")


# --- the data layer on Hồ Chí Minh City's reference, SQLite and PostgreSQL -----------------------

SAI_GON, BEN_THANH, TAN_DINH = "26740", "26743", "26737"
BEN_NGHE, PHAM_NGU_LAO, TAN_DINH_FORMER = "26740@2025-06-30", "26749", "26734"
QUAN_1, QUAN_3_WARD = "760", "27127"
CHAIR_SG = Viewer("chair-sg", "ward_chair", SAI_GON)
AREA_Q1 = Viewer("area-q1", "area_leader", QUAN_1)
MAY = (date(2025, 5, 1), date(2025, 5, 31))
ZERO_DOSSIERS = dict.fromkeys(schema.DOSSIER_COUNTS, 0)
ZERO_RATINGS = dict.fromkeys(schema.RATING_COUNTS, 0)


@pytest.fixture
def hcmc(engine):
    reference.init_province(engine, "79")
    with engine.begin() as connection:
        connection.execute(
            insert(schema.dossier_monthly),
            [
                {**ZERO_DOSSIERS, "month": MAY[0], "unit_code": unit, "field_code": "f", "channel": 1, "received": r, "finished": r, "finished_on_time": ok}
                for unit, r, ok in ((BEN_NGHE, 100, 90), (PHAM_NGU_LAO, 40, 30), (TAN_DINH_FORMER, 7, 7))
            ],
        )
        connection.execute(
            insert(schema.rating_monthly),
            [
                {**ZERO_RATINGS, "month": MAY[0], "unit_code": BEN_NGHE, "channel": "kiosk", "ratings": 10, "very_satisfied": 10},
            ],
        )
    return engine


def _received(frame) -> int:
    return int(frame["received"].sum())


def test_a_ward_chair_reads_their_own_former_wards_history(hcmc):
    own = queries.kpi_counts(hcmc, *MAY, (SAI_GON,), viewer=CHAIR_SG, restated=True)
    assert _received(own) == 100 and int(own["finished_on_time"].iloc[0]) == 90 and int(own["ratings"].iloc[0]) == 10
    assert own.attrs["restated"] == "exact"
    # The same figure the city leader sees: nothing of a sibling's history is mixed in.
    assert _received(queries.kpi_counts(hcmc, *MAY, (SAI_GON,), viewer=SYSTEM, restated=True)) == 100
    assert _received(queries.kpi_counts(hcmc, *MAY, (BEN_NGHE,), viewer=CHAIR_SG)) == 100  # the former ward itself
    trend = queries.flow_counts_by_period(hcmc, date(2025, 1, 1), date(2025, 12, 31), "month", (SAI_GON,), viewer=CHAIR_SG, restated=True)
    assert dict(zip(trend["period"].dt.strftime("%Y-%m"), trend["received"])) == {"2025-05": 100}


@pytest.mark.parametrize("restated", [False, True])
def test_a_ward_chair_cannot_read_a_sibling_former_ward_of_their_former_district(hcmc, restated):
    for read in (
        lambda: queries.kpi_counts(hcmc, *MAY, (PHAM_NGU_LAO,), viewer=CHAIR_SG, restated=restated),
        lambda: queries.flow_counts_by_period(hcmc, *MAY, "month", (PHAM_NGU_LAO,), viewer=CHAIR_SG, restated=restated),
        lambda: queries.backlog_counts(hcmc, [MAY[1]], (PHAM_NGU_LAO,), viewer=CHAIR_SG, restated=restated),
        lambda: uq.flow_counts(hcmc, *MAY, "month", (PHAM_NGU_LAO,), viewer=CHAIR_SG, restated=restated),
    ):
        with pytest.raises(OutOfScope):
            read()
    with pytest.raises(OutOfScope):
        uq.officer_stats(hcmc, *MAY, (PHAM_NGU_LAO,), viewer=CHAIR_SG)
    with pytest.raises(OutOfScope):
        uq.officer_stats(hcmc, *MAY, (BEN_THANH,), viewer=CHAIR_SG)  # another ward's details


def test_a_ward_chairs_city_ranking_shows_other_wards_as_totals_and_no_former_ward(hcmc):
    by_unit = queries.kpi_counts(hcmc, *MAY, None, True, viewer=CHAIR_SG, restated=True).set_index("unit_code")
    assert by_unit.loc[SAI_GON, "received"] == 100  # own: exactly its own former ward
    assert by_unit.loc[BEN_THANH, "received"] == 40 and by_unit.loc[TAN_DINH, "received"] == 7  # whole wards of today
    assert not set(by_unit.index) & {BEN_NGHE, PHAM_NGU_LAO, TAN_DINH_FORMER, QUAN_1}
    assert by_unit["received"].sum() == 147  # nothing lost, nothing twice
    # In the units of the time the siblings are their former district's total, the own former ward in full.
    then = queries.kpi_counts(hcmc, *MAY, None, True, viewer=CHAIR_SG).set_index("unit_code")
    assert then.loc[BEN_NGHE, "received"] == 100 and then.loc[QUAN_1, "received"] == 47
    assert PHAM_NGU_LAO not in then.index and TAN_DINH_FORMER not in then.index


def test_an_area_leader_reads_their_area_in_full_and_not_another(hcmc):
    assert _received(queries.kpi_counts(hcmc, *MAY, (PHAM_NGU_LAO,), viewer=AREA_Q1)) == 40
    assert _received(queries.kpi_counts(hcmc, *MAY, (BEN_THANH, SAI_GON), viewer=AREA_Q1, restated=True)) == 140
    assert uq.officer_stats(hcmc, *MAY, (PHAM_NGU_LAO,), viewer=AREA_Q1).empty  # allowed; no officers loaded
    with pytest.raises(OutOfScope):
        queries.kpi_counts(hcmc, *MAY, (QUAN_3_WARD,), viewer=AREA_Q1)
    with pytest.raises(OutOfScope):
        uq.officer_stats(hcmc, *MAY, ("26734",), viewer=Viewer("w", "ward_chair", BEN_THANH))


# --- accounts with the new roles ------------------------------------------------------------------

PASSWORD = "một mật khẩu đủ dài"


def _cli(engine, monkeypatch, capsys, *args) -> tuple[int, str]:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    code = accounts.main(["--url", engine.url.render_as_string(hide_password=False), *args])
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_accounts_command_creates_and_lists_the_new_roles(hcmc, monkeypatch, capsys):
    assert _cli(hcmc, monkeypatch, capsys, "add", "chair-sg", "--role", "ward_chair", "--unit", SAI_GON)[0] == 0
    assert _cli(hcmc, monkeypatch, capsys, "add", "area-q1", "--role", "area_leader", "--unit", QUAN_1)[0] == 0
    for args, message in (
        (("--role", "ward_chair", "--unit", BEN_NGHE), "ended on 2025-06-30"),  # a former ward
        (("--role", "area_leader", "--unit", SAI_GON), "is a ward"),
        (("--role", "district_chair", "--unit", QUAN_1), "its leader is an area_leader"),
        (
            (
                "--role",
                "ward_chair",
            ),
            "needs --unit",
        ),
    ):
        code, output = _cli(hcmc, monkeypatch, capsys, "add", "x1", *args)
        assert code == accounts.EXIT_REFUSED and message in output, output
    code, listed = _cli(hcmc, monkeypatch, capsys, "list")
    assert code == 0
    lines = {line.split()[0]: line.split() for line in listed.splitlines()[1:]}
    assert lines["chair-sg"][1:] == ["chair-sg", "ward_chair", SAI_GON, "None", "True", "True"]
    assert lines["area-q1"][2:4] == ["area_leader", QUAN_1]
    assert "x1" not in lines
    assert access.own_codes(accounts.get(hcmc, "area-q1").viewer(), queries.unit_tree(hcmc), queries.unit_links(hcmc)) >= {
        SAI_GON,
        BEN_THANH,
        TAN_DINH,
        PHAM_NGU_LAO,
    }
