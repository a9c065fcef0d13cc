"""Access scope: the pure rules, and every read of data_access refusing what a viewer may not see.

The tiny dataset (tests/tiny_dataset.py) is extended here: Quận 12 (761) gets a ward,
Phường Thạnh Lộc (26800), with one officer (O3) and one very satisfied rating in October,
and the city gets a department (79.SXD) with one satisfied rating. Every expected figure is
worked out from the comments of tiny_dataset.py:

* Quận 1 (760) in October: 6 ratings (Tân Định 4, Đa Kao 2), 8 dossiers received
  (Tân Định 5: D1-D4, D8; Đa Kao 3: D5-D7), 6 finished (Tân Định 5, Đa Kao 1), one open
  overdue at the end of October (D6, Đa Kao). Officers O1 (Tân Định), O2 (Đa Kao).
* Quận 12 (761): 1 rating (R7, Thạnh Lộc, O3). Sở Xây dựng (79.SXD): 1 rating (R8).
"""

from datetime import date, datetime

import pandas as pd
import pytest
from sqlalchemy import insert

from domain import access
from data_access import commitments as store
from data_access import queries
from data_access import unit_queries as uq
from domain.access import SYSTEM, OutOfScope, Viewer
from data_access.refresh import refresh_summaries
from data_access.schema import officers, ratings, units
from reports import content
from metrics.periods import parse_period
from tests import tiny_dataset

OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
CHAIR_Q1 = Viewer("chair1", "district_chair", "760", "Chủ tịch Quận 1")
CHAIR_Q12 = Viewer("chair12", "district_chair", "761", "Chủ tịch Quận 12")
HEAD_SXD = Viewer("sxd", "department_head", "79.SXD", "Giám đốc Sở Xây dựng")
LEADER = Viewer("leader", "city_leader", None, "Chủ tịch UBND TP")
EXTRA_UNITS = [
    dict(code="26800", name="Phường Thạnh Lộc", level="ward", parent_code="761"),
    dict(code="79.SXD", name="Sở Xây dựng", level="department", parent_code="79"),
]


def _tree() -> pd.DataFrame:
    return pd.DataFrame(tiny_dataset.UNITS + EXTRA_UNITS)[["code", "level", "parent_code"]]


@pytest.fixture
def tiny(engine):
    tiny_dataset.load(engine)
    with engine.begin() as connection:
        connection.execute(insert(units), EXTRA_UNITS)
        connection.execute(insert(officers), [dict(code="O3", full_name="Lê Văn Hòa", unit_code="26800")])
        connection.execute(
            insert(ratings),
            [
                dict(source_key="R7", unit_code="26800", officer_code="O3", channel="kiosk", level=1, rated_at=datetime(2026, 10, 10, 9), reason=None),
                dict(source_key="R8", unit_code="79.SXD", officer_code=None, channel="web", level=2, rated_at=datetime(2026, 10, 11, 9), reason=None),
            ],
        )
    refresh_summaries(engine, today=date(2026, 11, 22))
    return engine


# --- the pure rules --------------------------------------------------------------------------


def test_own_units_per_role():
    tree = _tree()
    assert access.own_codes(LEADER, tree) is None
    assert access.own_codes(SYSTEM, tree) is None
    assert access.own_codes(Viewer("a", "admin"), tree) is None
    assert access.own_codes(CHAIR_Q1, tree) == {"760", "26734", "26737"}
    assert access.own_codes(HEAD_SXD, tree) == {"79.SXD"}
    # Secure defaults: a chair attached to a ward, an unknown unit, or an unknown role owns nothing.
    assert access.own_codes(Viewer("x", "district_chair", "26734"), tree) == frozenset()
    assert access.own_codes(Viewer("x", "district_chair", "999"), tree) == frozenset()
    assert access.own_codes(Viewer("x", "superuser", None), tree) == frozenset()


def test_detail_codes_intersect_with_the_own_units():
    tree = _tree()
    assert access.detail_codes(CHAIR_Q1, tree, None) == ("26734", "26737", "760")
    assert access.detail_codes(CHAIR_Q1, tree, ["26734", "26800"]) == ("26734",)
    with pytest.raises(OutOfScope) as refused:
        access.detail_codes(CHAIR_Q1, tree, ["26800"])
    assert "ngoài phạm vi của bạn" in refused.value.text("vi")
    with pytest.raises(OutOfScope):
        access.detail_codes(Viewer("x", "district_chair", "26734"), tree, None)
    assert access.detail_codes(LEADER, tree, ["26800"]) == ("26800",)


def test_summary_scope_reads_other_districts_only_as_a_whole():
    tree = _tree()
    whole_q12 = access.summary_scope(CHAIR_Q1, tree, ["761", "26800"])
    assert whole_q12.codes == ("26800", "761")
    # Part of Quận 12 (its ward alone) is dropped; nothing left -> refused.
    with pytest.raises(OutOfScope):
        access.summary_scope(CHAIR_Q1, tree, ["26800"])
    assert access.summary_scope(CHAIR_Q1, tree, ["26734", "26800"]).codes == ("26734",)
    # Per-unit rows outside Quận 1 fold into their district; departments stand for themselves.
    assert access.summary_scope(CHAIR_Q1, tree, None).fold == {"26800": "761"}
    frame = pd.DataFrame({"unit_code": ["26734", "26800", "761", "79.SXD"], "ratings": [4, 1, 0, 1]})
    folded = access.fold_rows(frame, {"26800": "761"}, ["ratings"]).set_index("unit_code")["ratings"].to_dict()
    assert folded == {"26734": 4, "761": 1, "79.SXD": 1}


def test_a_viewer_is_required():
    with pytest.raises(TypeError):
        queries.kpi_counts(None, *OCTOBER)  # no viewer: refused before any SQL
    with pytest.raises(TypeError):
        access.own_codes("chair1", _tree())


# --- every read of data_access, as a district chair -------------------------------------------


def test_counts_by_unit_show_other_districts_only_as_aggregates(tiny):
    frame = queries.kpi_counts(tiny, *OCTOBER, None, True, viewer=CHAIR_Q12).set_index("unit_code")
    # Quận 1 as one row (6 ratings, 8 received, 6 finished, 1 open overdue); its wards not at all.
    assert set(frame.index) == {"760", "26800", "79.SXD"}
    assert frame.loc["760", ["ratings", "received", "finished", "open_overdue"]].tolist() == [6, 8, 6, 1]
    assert frame.loc["26800", "ratings"] == 1 and frame.loc["79.SXD", "ratings"] == 1
    # Quận 1's chair sees its own wards in full, and Quận 12 as a district.
    own = queries.kpi_counts(tiny, *OCTOBER, None, True, viewer=CHAIR_Q1).set_index("unit_code")
    assert set(own.index) == {"26734", "26737", "761", "79.SXD"}
    assert own.loc["26734", "ratings"] == 4 and own.loc["761", "ratings"] == 1
    # The city leader sees every unit.
    assert {"26734", "26737", "26800"} <= set(queries.kpi_counts(tiny, *OCTOBER, None, True, viewer=LEADER)["unit_code"])


def test_counts_of_another_districts_ward_are_refused(tiny):
    with pytest.raises(OutOfScope):
        queries.kpi_counts(tiny, *OCTOBER, ("26734",), False, viewer=CHAIR_Q12)
    with pytest.raises(OutOfScope):
        queries.flow_counts_by_period(tiny, *OCTOBER, "month", ("26737",), viewer=CHAIR_Q12)
    with pytest.raises(OutOfScope):
        queries.backlog_counts(tiny, [OCTOBER[1]], ("26737",), viewer=CHAIR_Q12)
    with pytest.raises(OutOfScope):
        queries.rating_counts(tiny, *OCTOBER, ("26734",), viewer=CHAIR_Q12)
    with pytest.raises(OutOfScope):
        queries.dossier_counts(tiny, *OCTOBER, ("26734",), viewer=CHAIR_Q12)
    with pytest.raises(OutOfScope):
        uq.flow_counts(tiny, *OCTOBER, "month", ("26734",), viewer=CHAIR_Q12)
    # The whole of Quận 1 is an aggregate: allowed (6 ratings).
    whole = queries.kpi_counts(tiny, *OCTOBER, ("760", "26734", "26737"), False, viewer=CHAIR_Q12)
    assert whole["ratings"].iloc[0] == 6
    # A ward of Quận 1 beside an own ward is dropped: only Thạnh Lộc's one rating counts.
    mixed = queries.kpi_counts(tiny, *OCTOBER, ("26734", "26800"), False, viewer=CHAIR_Q12)
    assert mixed["ratings"].iloc[0] == 1
    backlog = queries.backlog_counts(tiny, [OCTOBER[1]], None, True, viewer=CHAIR_Q12).set_index("unit_code")
    assert backlog.loc["760", "open_overdue"] == 1 and "26737" not in backlog.index
    flows = uq.flow_counts(tiny, *OCTOBER, "month", None, viewer=CHAIR_Q12)
    assert set(flows["unit_code"]) == {"760", "26800", "79.SXD"}
    assert flows.set_index("unit_code").loc["760", "ratings"] == 6


def test_officers_dossiers_and_reasons_of_another_district_are_refused(tiny):
    as_of = OCTOBER[1]
    for read in (
        lambda: uq.officer_stats(tiny, *OCTOBER, ("26734",), viewer=CHAIR_Q12),
        lambda: uq.overdue_dossiers(tiny, as_of, ("26737",), viewer=CHAIR_Q12),
        lambda: uq.count_overdue(tiny, as_of, ("26737",), viewer=CHAIR_Q12),
        lambda: uq.late_without_apology(tiny, *OCTOBER, ("26734", "26737"), viewer=CHAIR_Q12),
        lambda: uq.procedure_breakdown(tiny, *OCTOBER, ("26734",), viewer=CHAIR_Q12),
        lambda: uq.dissatisfied_reasons(tiny, *OCTOBER, ("26734",), viewer=CHAIR_Q12),
        lambda: uq.officer_stats(tiny, *OCTOBER, ("760",), viewer=CHAIR_Q12),  # a whole other district: still a detail
        lambda: uq.officer_stats(tiny, *OCTOBER, ("26734",), viewer=HEAD_SXD),
    ):
        with pytest.raises(OutOfScope):
            read()
    # "Everything I may see" (None) is the own units only.
    assert list(uq.officer_stats(tiny, *OCTOBER, None, viewer=CHAIR_Q12)["officer_code"]) == ["O3"]
    assert uq.count_overdue(tiny, as_of, None, viewer=CHAIR_Q12) == 0  # D6 is Quận 1's
    assert uq.dissatisfied_reasons(tiny, *OCTOBER, None, viewer=CHAIR_Q12).empty
    assert uq.late_without_apology(tiny, *OCTOBER, None, viewer=CHAIR_Q12).empty
    # Quận 1's own chair reads them in full.
    assert sorted(uq.officer_stats(tiny, *OCTOBER, None, viewer=CHAIR_Q1)["officer_code"]) == ["O1", "O2"]
    assert uq.count_overdue(tiny, as_of, ("26737",), viewer=CHAIR_Q1) == 1


def test_commitments_of_another_district_are_not_listed_nor_changed(tiny):
    today = date(2026, 11, 2)
    values = dict(title="Giảm hồ sơ trễ hạn", due_date=date(2026, 11, 30), created_by="Thư ký")
    theirs = store.create(tiny, {**values, "unit_code": "26734"}, today=today, viewer=SYSTEM)
    mine = store.create(tiny, {**values, "unit_code": "26800"}, today=today, viewer=CHAIR_Q12)
    with pytest.raises(store.CommitmentError) as refused:
        store.create(tiny, {**values, "unit_code": "26737"}, today=today, viewer=CHAIR_Q12)
    assert "ngoài phạm vi của bạn" in refused.value.messages("vi")[0]
    assert list(store.list_commitments(tiny, today=today, viewer=CHAIR_Q12)["id"]) == [mine]
    assert list(store.due_for_meeting(tiny, date(2026, 12, 1), viewer=CHAIR_Q12)["id"]) == [mine]
    with pytest.raises(OutOfScope):
        store.list_commitments(tiny, ("26734",), today=today, viewer=CHAIR_Q12)
    with pytest.raises(store.CommitmentError):
        store.update(tiny, theirs, "done", note="x", today=today, viewer=CHAIR_Q12)
    with pytest.raises(OutOfScope):
        store.history(tiny, theirs, viewer=CHAIR_Q12)
    assert store.list_commitments(tiny, today=today, viewer=SYSTEM).set_index("id").loc[theirs, "status"] == "open"  # untouched
    store.update(tiny, mine, "done", note="Xong", today=today, viewer=CHAIR_Q12)
    assert store.history(tiny, mine, viewer=CHAIR_Q12)["by"].tolist() == ["Thư ký", "Chủ tịch Quận 12"]
    assert sorted(store.list_commitments(tiny, today=today, viewer=LEADER)["id"]) == sorted([theirs, mine])


def test_a_briefing_is_built_only_for_an_own_scope(tiny):
    with pytest.raises(OutOfScope):
        content.build_briefing(tiny, "760", parse_period("2026-10"), with_map=False, meeting_date=date(2026, 11, 2), viewer=CHAIR_Q12)
    briefing = content.build_briefing(tiny, "760", parse_period("2026-10"), with_map=False, meeting_date=date(2026, 11, 2), viewer=CHAIR_Q1)
    assert set(briefing.units_values["unit_code"]) == {"26734", "26737"}


def test_the_previous_meeting_is_the_viewers_own(tiny):
    """Quận 12's meeting of 20 November is not Quận 1's: a Quận 1 item closed after Quận 1's
    own meeting of 2 November still opens Quận 1's meeting of 1 December."""
    values = dict(title="Giảm hồ sơ trễ hạn", due_date=date(2026, 11, 30), created_by="Thư ký")
    own = store.create(tiny, {**values, "unit_code": "26734"}, today=date(2026, 11, 2), meeting_date=date(2026, 11, 2), viewer=SYSTEM)
    store.create(tiny, {**values, "unit_code": "26800"}, today=date(2026, 11, 20), meeting_date=date(2026, 11, 20), viewer=SYSTEM)
    store.update(tiny, own, "done", note="xong", today=date(2026, 11, 10), now=datetime(2026, 11, 10, 9), viewer=SYSTEM)
    due = store.due_for_meeting(tiny, date(2026, 12, 1), viewer=CHAIR_Q1)
    assert due.attrs["since"] == date(2026, 11, 2)
    assert list(due["id"]) == [own]
