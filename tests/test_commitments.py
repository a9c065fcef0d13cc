"""Meeting commitments: create, list at the next meeting, update with history, never delete.

Runs on SQLite and PostgreSQL (the `engine` fixture), over the tiny dataset's units.
"""

from domain.access import SYSTEM
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data_access import commitments as store
from data_access.schema import commitment_updates, commitments
from tests import tiny_dataset

MEETING_1 = date(2026, 11, 2)
MEETING_2 = date(2026, 12, 1)


@pytest.fixture
def db(engine):
    tiny_dataset.load(engine)
    return engine


def _new(**changes):
    values = dict(
        unit_code="26734",
        title="Giảm hồ sơ trễ hạn lĩnh vực đất đai",
        owner="Chủ tịch UBND phường",
        due_date=date(2026, 11, 20),
        kpi_id="on_time_rate",
        target_value=0.98,
        created_by="Thư ký",
    )
    values.update(changes)
    return values


def _count(engine, table) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def test_validation_messages_are_clear_in_both_languages():
    today = date(2026, 11, 2)
    problems = store.validate_new(dict(unit_code="", title="   ", due_date=date(2026, 11, 1)), today, {"26734"})
    fields = {p.field for p in problems}
    assert fields == {"unit_code", "title", "due_date"}
    texts_vi = " ".join(p.text("vi") for p in problems)
    texts_en = " ".join(p.text("en") for p in problems)
    assert "Chưa chọn đơn vị" in texts_vi and "trống" in texts_vi and "đã qua" in texts_vi
    assert "Choose the unit" in texts_en and "empty" in texts_en and "in the past" in texts_en
    assert store.validate_new(_new(), today, {"26734"}, {"on_time_rate"}) == []
    # Today is allowed, unknown units and KPIs are named, a rate target must be 0..1.
    assert store.validate_new(_new(due_date=today), today, {"26734"}) == []
    assert [p.field for p in store.validate_new(_new(unit_code="999"), today, {"26734"})] == ["unit_code"]
    assert [p.field for p in store.validate_new(_new(kpi_id="nope"), today, None, {"on_time_rate"})] == ["kpi_id"]
    assert [p.field for p in store.validate_new(_new(target_value=98), today)] == ["target_value"]
    assert [p.field for p in store.validate_new(_new(kpi_id=None), today)] == ["target_value"]
    assert [p.field for p in store.validate_new(_new(due_date="2026-13-01"), today)] == ["due_date"]


def test_update_validation():
    today = date(2026, 11, 2)
    assert [p.field for p in store.validate_update(None, "done", None, today)] == ["id"]
    assert [p.field for p in store.validate_update("open", "bogus", None, today)] == ["status"]
    assert [p.field for p in store.validate_update("open", "open", None, today)] == ["status"]
    assert [p.field for p in store.validate_update("open", "dropped", "  ", today)] == ["note"]
    assert [p.field for p in store.validate_update("done", "open", None, today)] == ["note"]
    assert [p.field for p in store.validate_update("open", "late", "dời hạn", today, date(2026, 11, 1))] == ["due_date"]
    assert store.validate_update("open", "done", None, today) == []


def test_create_rejects_invalid_input_and_writes_nothing(db):
    with pytest.raises(store.CommitmentError) as caught:
        store.create(db, _new(unit_code=None, title=""), today=MEETING_1, viewer=SYSTEM)
    assert {p.field for p in caught.value.problems} == {"unit_code", "title"}
    with pytest.raises(store.CommitmentError) as caught:
        store.create(db, _new(due_date=MEETING_1 - timedelta(days=1)), today=MEETING_1, viewer=SYSTEM)
    assert "đã qua" in caught.value.messages("vi")[0]
    with pytest.raises(store.CommitmentError) as caught:
        store.create(db, _new(unit_code="00000"), today=MEETING_1, viewer=SYSTEM)
    assert "00000" in caught.value.messages("en")[0]
    assert _count(db, commitments) == 0 and _count(db, commitment_updates) == 0


def test_create_list_at_next_meeting_update_with_history(db):
    # Meeting 1 records three commitments.
    first = store.create(db, _new(), today=MEETING_1, meeting_date=MEETING_1, now=datetime(2026, 11, 2, 9), viewer=SYSTEM)
    second = store.create(
        db,
        _new(unit_code="26737", title="Trả lời phản ánh không hài lòng", kpi_id=None, target_value=None, due_date=date(2026, 11, 25)),
        today=MEETING_1,
        meeting_date=MEETING_1,
        now=datetime(2026, 11, 2, 9),
        viewer=SYSTEM,
    )
    later = store.create(
        db,
        _new(title="Số hóa hồ sơ hộ tịch", kpi_id="digitisation_rate", target_value=0.9, due_date=date(2027, 3, 1)),
        today=MEETING_1,
        meeting_date=MEETING_1,
        now=datetime(2026, 11, 2, 9),
        viewer=SYSTEM,
    )
    listed = store.list_commitments(db, codes=("26734", "26737"), today=MEETING_1, viewer=SYSTEM)
    assert list(listed["id"]) == [first, second, later]
    assert set(listed["status"]) == {"open"}
    assert listed.loc[listed["id"] == first, "unit_name"].item() == "Phường Tân Định"
    assert listed.loc[listed["id"] == first, "target_value"].item() == pytest.approx(0.98)

    # Between meetings: the second is done.
    store.update(db, second, "done", note="Đã trả lời 12 phản ánh", by="Phường Đa Kao", today=date(2026, 11, 24), now=datetime(2026, 11, 24, 16), viewer=SYSTEM)

    # Meeting 2 opens with the first (open, past due: shown late) and the second (closed since meeting 1);
    # the third is not due yet.
    due = store.due_for_meeting(db, MEETING_2, viewer=SYSTEM)
    assert list(due["id"]) == [first, second]
    assert due.attrs["since"] == MEETING_1
    assert due.set_index("id").loc[first, "status"] == "open"
    assert due.set_index("id").loc[first, "effective_status"] == "late"
    assert due.set_index("id").loc[second, "status"] == "done"
    # Scoped to Phường Đa Kao only.
    assert list(store.due_for_meeting(db, MEETING_2, codes=("26737",), viewer=SYSTEM)["id"]) == [second]

    # Meeting 2: the first is acknowledged late with a new due date, then dropped with a reason.
    store.update(
        db,
        first,
        "late",
        note="Chờ số liệu địa chính",
        by="Chủ trì",
        new_due_date=date(2026, 12, 15),
        today=MEETING_2,
        now=datetime(2026, 12, 1, 10),
        viewer=SYSTEM,
    )
    with pytest.raises(store.CommitmentError) as caught:
        store.update(db, first, "dropped", note="", today=MEETING_2, viewer=SYSTEM)
    assert caught.value.problems[0].field == "note"
    store.update(db, first, "dropped", note="Gộp vào nhiệm vụ chung của quận", by="Chủ trì", today=MEETING_2, now=datetime(2026, 12, 1, 11), viewer=SYSTEM)

    # Nothing was deleted: every commitment is still there, every change has a history row.
    assert _count(db, commitments) == 3
    history = store.history(db, first, viewer=SYSTEM)
    assert list(history["new_status"]) == ["open", "late", "dropped"]
    assert list(history["old_status"].fillna("")) == ["", "open", "late"]
    assert history["note"].iloc[-1] == "Gộp vào nhiệm vụ chung của quận"
    assert history["new_due_date"].iloc[1] == date(2026, 12, 15)
    row = store.list_commitments(db, today=MEETING_2, viewer=SYSTEM).set_index("id").loc[first]
    assert row["status"] == "dropped" and row["due_date"] == date(2026, 12, 15)
    assert _count(db, commitment_updates) == 3 + 1 + 2  # three creations, one done, late + dropped


def test_update_of_unknown_commitment_and_failed_update_leave_no_history(db):
    with pytest.raises(store.CommitmentError):
        store.update(db, 12345, "done", today=MEETING_1, viewer=SYSTEM)
    cid = store.create(db, _new(), today=MEETING_1, viewer=SYSTEM)
    with pytest.raises(store.CommitmentError):
        store.update(db, cid, "open", today=MEETING_1, viewer=SYSTEM)  # unchanged
    assert len(store.history(db, cid, viewer=SYSTEM)) == 1


def test_effective_status_rule():
    assert store.effective_status("open", date(2026, 11, 1), date(2026, 11, 2)) == "late"
    assert store.effective_status("open", date(2026, 11, 2), date(2026, 11, 2)) == "open"
    assert store.effective_status("done", date(2026, 11, 1), date(2026, 11, 2)) == "done"
