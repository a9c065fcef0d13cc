"""Counts restated on today's units through the data layer, on SQLite and PostgreSQL.

Summary rows are written by hand (the refresh has its own tests): what is checked here is
that a period before the reform reads the former units' counts moved along the crosswalk,
whole links exactly and split links by weight, and says which.
"""

from datetime import date

import pytest
from sqlalchemy import insert

from data_access import queries, schema
from domain.access import SYSTEM

REFORM = date(2025, 7, 1)
UNITS = [
    dict(code="79", name="Thành phố", level="city", parent_code=None, valid_from=None, valid_to=None),
    dict(code="A", name="Phường A", level="ward", parent_code="79", valid_from=None, valid_to=date(2025, 6, 30)),
    dict(code="B", name="Phường B", level="ward", parent_code="79", valid_from=None, valid_to=date(2025, 6, 30)),
    dict(code="X", name="Phường X", level="ward", parent_code="79", valid_from=REFORM, valid_to=None, area_km2=3.0),
    dict(code="Y", name="Phường Y", level="ward", parent_code="79", valid_from=REFORM, valid_to=None, area_km2=1.0),
]
LINKS = [("A", "X", True, None), ("B", "X", False, 0.6), ("B", "Y", False, 0.4)]
ZERO_DOSSIERS = dict.fromkeys(schema.DOSSIER_COUNTS, 0)
ZERO_RATINGS = dict.fromkeys(schema.RATING_COUNTS, 0)


def insert_layout(connection, links) -> None:
    """The units of both layouts and the crosswalk's links (old, new, whole, weight)."""
    connection.execute(insert(schema.units), [{"area_km2": None, **u} for u in UNITS])
    connection.execute(
        insert(schema.unit_lineage), [dict(old_code=o, new_code=n, effective_date=REFORM, kind="split", whole=w, weight=g) for o, n, w, g in links]
    )


@pytest.fixture
def reformed(engine):
    month = date(2025, 5, 1)
    with engine.begin() as connection:
        insert_layout(connection, LINKS)
        dossiers = {"A": (100, 90), "B": (50, 40), "X": (0, 0)}
        connection.execute(
            insert(schema.dossier_monthly),
            [
                {**ZERO_DOSSIERS, "month": month, "unit_code": u, "field_code": "f", "channel": 1, "received": r, "finished": r, "finished_on_time": ok}
                for u, (r, ok) in dossiers.items()
            ],
        )
        connection.execute(
            insert(schema.rating_monthly),
            [
                {**ZERO_RATINGS, "month": month, "unit_code": "A", "channel": "kiosk", "ratings": 10, "very_satisfied": 10},
            ],
        )
        connection.execute(
            insert(schema.dossier_monthly),
            [
                {
                    **ZERO_DOSSIERS,
                    "month": date(2025, 8, 1),
                    "unit_code": "X",
                    "field_code": "f",
                    "channel": 1,
                    "received": 7,
                    "finished": 7,
                    "finished_on_time": 7,
                },
            ],
        )
    return engine


def test_a_former_period_restated_on_a_current_unit(reformed):
    may_start, may_end = date(2025, 5, 1), date(2025, 5, 31)
    x = queries.kpi_counts(reformed, may_start, may_end, ("X",), viewer=SYSTEM, restated=True)
    # X = all of A (100 received, 90 on time) + 60 % of B (30, 24)
    assert int(x["received"].iloc[0]) == 130 and int(x["finished_on_time"].iloc[0]) == 114
    assert int(x["ratings"].iloc[0]) == 10
    assert x.attrs["restated"] == "approximate"
    # Without restatement the current unit had nothing then.
    assert int(queries.kpi_counts(reformed, may_start, may_end, ("X",), viewer=SYSTEM)["received"].iloc[0]) == 0

    by_unit = queries.kpi_counts(reformed, may_start, may_end, None, True, viewer=SYSTEM, restated=True).set_index("unit_code")
    assert by_unit.loc["Y", "received"] == 20 and by_unit.loc["X", "received"] == 130
    assert by_unit["received"].sum() == 150  # nothing lost or counted twice


def test_a_monthly_trend_across_the_reform_restates_only_the_months_before_it(reformed):
    a_only = queries.flow_counts_by_period(reformed, date(2025, 1, 1), date(2025, 12, 31), "month", ("X",), viewer=SYSTEM, restated=True)
    months = dict(zip(a_only["period"].dt.strftime("%Y-%m"), a_only["received"]))
    assert months == {"2025-05": 130, "2025-08": 7}
    after = queries.kpi_counts(reformed, date(2025, 8, 1), date(2025, 8, 31), ("X",), viewer=SYSTEM, restated=True)
    assert int(after["received"].iloc[0]) == 7 and after.attrs.get("restated") is None


def test_per_unit_flows_restated_for_the_trends_page(reformed):
    from data_access import unit_queries

    flows = unit_queries.flow_counts(
        reformed, date(2025, 5, 1), date(2025, 8, 31), "month", ("X", "Y"), ("unit_code",), "dossiers", viewer=SYSTEM, restated=True
    )
    got = {(p.strftime("%Y-%m"), u): r for p, u, r in zip(flows["period"], flows["unit_code"], flows["received"])}
    assert got == {("2025-05", "X"): 130, ("2025-05", "Y"): 20, ("2025-08", "X"): 7}
    assert flows.attrs["restated"] == "approximate"


def test_a_restated_part_never_exceeds_its_whole(engine):
    # B, split 50/50 into X and Y, had 13 ratings: 3 very satisfied + 10 satisfied. Halves:
    # 6.5 ratings, 1.5 + 5 satisfied; rounded to nearest (even) that is 2 + 5 = 7 of 6.
    with engine.begin() as connection:
        insert_layout(connection, [("B", n, False, 0.5) for n in ("X", "Y")])
        connection.execute(
            insert(schema.rating_monthly),
            [
                {**ZERO_RATINGS, "month": date(2025, 5, 1), "unit_code": "B", "channel": "kiosk", "ratings": 13, "very_satisfied": 3, "satisfied": 10},
            ],
        )
    x = queries.kpi_counts(engine, date(2025, 5, 1), date(2025, 5, 31), ("X",), viewer=SYSTEM, restated=True)
    ratings, satisfied = int(x["ratings"].iloc[0]), int(x["very_satisfied"].iloc[0] + x["satisfied"].iloc[0])
    assert satisfied <= ratings == 6


@pytest.mark.parametrize(
    "links, city_ratings",
    [
        # B's 13 ratings split 60/40 (7.8 and 5.2): X 10 + 7 and Y 5 once each rounded down, 22;
        # the city had 23 and keeps them.
        ([("A", "X", True, None), ("B", "X", False, 0.6), ("B", "Y", False, 0.4)], 23),
        # A crosswalk that carries only 60 % of B: the city is the sum of today's units, 10 + 7.
        ([("A", "X", True, None), ("B", "X", False, 0.6)], 17),
    ],
    ids=["B carried whole", "B carried in part"],
)
def test_the_citys_restated_totals_are_what_todays_units_received(engine, links, city_ratings):
    may_start, may_end = date(2025, 5, 1), date(2025, 5, 31)
    with engine.begin() as connection:
        insert_layout(connection, links)
        connection.execute(
            insert(schema.rating_monthly),
            [{**ZERO_RATINGS, "month": may_start, "unit_code": u, "channel": "kiosk", "ratings": r, "very_satisfied": r} for u, r in (("A", 10), ("B", 13))],
        )
    city = queries.kpi_counts(engine, may_start, may_end, None, viewer=SYSTEM, restated=True)
    assert int(city["ratings"].iloc[0]) == city_ratings and city.attrs["restated"] == "approximate"
    months = queries.flow_counts_by_period(engine, may_start, may_end, "month", None, viewer=SYSTEM, restated=True)
    assert list(months["ratings"]) == [city_ratings] and months.attrs["restated"] == "approximate"
    units = queries.kpi_counts(engine, may_start, may_end, None, True, viewer=SYSTEM, restated=True).set_index("unit_code")
    assert units.loc["X", "ratings"] == 17


def test_a_city_whose_data_starts_after_the_reform_has_nothing_restated(engine):
    # A province that loads only its exports since the reform: a window reaching back before
    # it moves nothing, and no page says its figures were restated.
    with engine.begin() as connection:
        insert_layout(connection, LINKS)
        connection.execute(
            insert(schema.dossier_monthly),
            [{**ZERO_DOSSIERS, "month": date(2025, 8, 1), "unit_code": "X", "field_code": "f", "channel": 1, "received": 7, "finished": 7}],
        )
    for codes in (None, ("X",)):
        months = queries.flow_counts_by_period(engine, date(2025, 5, 1), date(2025, 8, 31), "month", codes, viewer=SYSTEM, restated=True)
        assert list(months["received"]) == [7] and months.attrs.get("restated") is None
