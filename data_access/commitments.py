"""Meeting commitments (kết luận / nhiệm vụ giao ban): record, list, update - never delete.

SQLAlchemy Core with bound parameters, on SQLite and PostgreSQL alike.

* `validate_new` / `validate_update` are pure: they return a list of `Problem`s, each with a
  Vietnamese and an English message, and touch no database.
* `create` and `update` validate first and raise `CommitmentError` (holding the problems);
  a change of status and its history row are written in one transaction.
* Nothing is ever deleted: "dropped" is a status, and every change (creation included)
  leaves a row in `commitment_updates`.

Status rule ("late"): the stored status is what the chair recorded - open, done, late
(acknowledged late, usually with a new due date) or dropped. An item still *open* after its
due date is *shown* as late (`effective_status`), computed at read time; nothing is written
behind the chair's back. Open and late items are "pending"; done and dropped are "closed".

Access: every read and write takes a required keyword `viewer`. Lists read only the
viewer's own units (access.detail_codes: OutOfScope when a request names none of them);
`create` accepts only a unit of the viewer's own, `update` only a commitment of one, and
`history` raises OutOfScope for any other (domain/access.py).

Which items the next meeting opens with (`due_for_meeting`): every pending item due on or
before the meeting date, plus every item closed since the previous meeting (the latest
meeting date recorded before this one; 31 days before when there is none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from collections.abc import Iterable, Sequence

import pandas as pd
from sqlalchemy import and_, func, insert, or_, select, update as sa_update
from sqlalchemy.engine import Engine

from i18n.text import pick
from data_access import queries
from domain import access
from domain.errors import UserFacingError
from domain.access import Viewer
from data_access.schema import commitment_updates, commitments, units

STATUSES = ("open", "done", "late", "dropped")
PENDING = ("open", "late")
CLOSED = ("done", "dropped")
STATUS_LABELS = {
    "open": ("Đang thực hiện", "Open"),
    "done": ("Hoàn thành", "Done"),
    "late": ("Trễ hạn", "Late"),
    "dropped": ("Hủy bỏ", "Dropped"),
}
TITLE_MAX = 1000
OWNER_MAX = 200
BY_MAX = 100
NOTE_MAX = 2000
PREVIOUS_MEETING_FALLBACK_DAYS = 31

COLUMNS = [
    "id",
    "unit_code",
    "unit_name",
    "title",
    "owner",
    "kpi_id",
    "target_value",
    "due_date",
    "status",
    "effective_status",
    "meeting_date",
    "created_at",
    "created_by",
    "closed_at",
    "updated_at",
]
HISTORY_COLUMNS = ["id", "commitment_id", "at", "by", "old_status", "new_status", "old_due_date", "new_due_date", "note"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: the form field it concerns and what to do about it."""

    field: str
    vi: str
    en: str

    def text(self, lang: str = "vi") -> str:
        return pick(lang, self.vi, self.en)


class CommitmentError(UserFacingError, ValueError):
    """Invalid input for a commitment: every problem, each with its field and its text."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(vi="; ".join(p.vi for p in self.problems), en="; ".join(p.en for p in self.problems))

    def messages(self, lang: str = "vi") -> list[str]:
        return [p.text(lang) for p in self.problems]


def status_label(status: str, lang: str = "vi") -> str:
    vi, en = STATUS_LABELS.get(status, (status, status))
    return pick(lang, vi, en)


def effective_status(status: str, due_date: date, today: date) -> str:
    """The status to show: an open item past its due date reads as late."""
    if status == "open" and due_date is not None and due_date < today:
        return "late"
    return status


# --- validation (pure) --------------------------------------------------------------------


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (isinstance(value, str) and not value.strip())


def _as_day(value):
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value.strip():
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return "invalid"
    return None


def validate_new(values: dict, today: date, unit_codes: Iterable[str] | None = None, kpi_ids: Iterable[str] | None = None) -> list[Problem]:
    """Problems with a new commitment (empty list: fine).

    `values`: unit_code, title, due_date (date or ISO text), optional owner, kpi_id,
    target_value, created_by. `unit_codes` / `kpi_ids`: the known ones (None: not checked).
    """
    problems: list[Problem] = []
    unit = values.get("unit_code")
    if _blank(unit):
        problems.append(Problem("unit_code", "Chưa chọn đơn vị chịu trách nhiệm.", "Choose the unit responsible."))
    elif unit_codes is not None and str(unit) not in set(unit_codes):
        problems.append(Problem("unit_code", f"Không có đơn vị mã {unit}.", f"There is no unit with code {unit}."))

    title = values.get("title")
    if _blank(title):
        problems.append(Problem("title", "Nội dung nhiệm vụ không được để trống.", "Write what is to be done: the text is empty."))
    elif len(str(title).strip()) > TITLE_MAX:
        problems.append(Problem("title", f"Nội dung dài quá {TITLE_MAX} ký tự.", f"The text is longer than {TITLE_MAX} characters."))

    due = _as_day(values.get("due_date"))
    if due is None:
        problems.append(Problem("due_date", "Chưa nhập hạn hoàn thành.", "Enter a due date."))
    elif due == "invalid":
        problems.append(Problem("due_date", "Hạn hoàn thành không phải ngày hợp lệ (YYYY-MM-DD).", "The due date is not a valid date (YYYY-MM-DD)."))
    elif due < today:
        problems.append(
            Problem(
                "due_date",
                f"Hạn hoàn thành {due:%d/%m/%Y} đã qua; chọn từ hôm nay ({today:%d/%m/%Y}) trở đi.",
                f"The due date {due:%d/%m/%Y} is in the past; choose today ({today:%d/%m/%Y}) or later.",
            )
        )

    owner = values.get("owner")
    if not _blank(owner) and len(str(owner).strip()) > OWNER_MAX:
        problems.append(Problem("owner", f"Người phụ trách dài quá {OWNER_MAX} ký tự.", f"The owner is longer than {OWNER_MAX} characters."))
    by = values.get("created_by")
    if not _blank(by) and len(str(by).strip()) > BY_MAX:
        problems.append(Problem("created_by", f"Người ghi dài quá {BY_MAX} ký tự.", f"'Recorded by' is longer than {BY_MAX} characters."))

    kpi_id = values.get("kpi_id")
    target = values.get("target_value")
    if not _blank(kpi_id) and kpi_ids is not None and kpi_id not in set(kpi_ids):
        problems.append(Problem("kpi_id", f"Không có chỉ số {kpi_id}.", f"There is no KPI {kpi_id}."))
    if not _blank(target):
        try:
            number = float(target)
        except (TypeError, ValueError):
            number = float("nan")
        if math.isnan(number) or math.isinf(number):
            problems.append(Problem("target_value", "Mục tiêu phải là một số.", "The target must be a number."))
        elif _blank(kpi_id):
            problems.append(Problem("target_value", "Có mục tiêu thì phải chọn chỉ số.", "A target needs a KPI: choose one."))
        else:
            from metrics import kpis  # local: keep this module's import light

            if kpi_id in kpis.KPIS and kpis.get(kpi_id).kind == "rate" and not 0 <= number <= 1:
                problems.append(Problem("target_value", "Mục tiêu tỷ lệ phải từ 0% đến 100%.", "A rate target must be between 0% and 100%."))
            elif number < 0:
                problems.append(Problem("target_value", "Mục tiêu không được âm.", "The target cannot be negative."))
    return problems


def validate_update(current_status: str | None, new_status: str, note: str | None, today: date, new_due_date=None) -> list[Problem]:
    """Problems with a change of status. `current_status` None: the commitment does not exist.

    Allowed: any change to a different status. A note is required to drop an item and to
    reopen a closed one; a new due date, when given, may not be in the past.
    """
    problems: list[Problem] = []
    if current_status is None:
        return [Problem("id", "Không tìm thấy nhiệm vụ này.", "This commitment does not exist.")]
    if new_status not in STATUSES:
        problems.append(Problem("status", f"Trạng thái không hợp lệ: {new_status}.", f"Invalid status: {new_status}."))
    due = _as_day(new_due_date)
    if new_status == current_status and due is None:
        problems.append(Problem("status", "Trạng thái không thay đổi.", "The status is unchanged."))
    note_text = "" if _blank(note) else str(note).strip()
    if new_status == "dropped" and not note_text:
        problems.append(Problem("note", "Ghi rõ lý do hủy bỏ nhiệm vụ.", "Give the reason for dropping the commitment."))
    if current_status in CLOSED and new_status in PENDING and not note_text:
        problems.append(Problem("note", "Ghi rõ lý do mở lại nhiệm vụ đã đóng.", "Give the reason for reopening a closed commitment."))
    if len(note_text) > NOTE_MAX:
        problems.append(Problem("note", f"Ghi chú dài quá {NOTE_MAX} ký tự.", f"The note is longer than {NOTE_MAX} characters."))
    if due == "invalid":
        problems.append(Problem("due_date", "Hạn mới không phải ngày hợp lệ.", "The new due date is not a valid date."))
    elif due is not None and due < today:
        problems.append(Problem("due_date", "Hạn mới đã qua.", "The new due date is in the past."))
    return problems


# --- writing -------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def _outside(viewer: Viewer, engine: Engine, unit_code) -> bool:
    """True when the viewer may not record or change anything of this unit."""
    if access.require_viewer(viewer).full_access:
        return False
    links = queries.unit_links(engine)
    return not access.in_scope(viewer, queries.unit_tree(engine, links), str(unit_code or ""), links)


def _out_of_scope_problem(field: str) -> Problem:
    return Problem(field, "Đơn vị này nằm ngoài phạm vi của bạn: không ghi được nhiệm vụ.", "This unit is outside your scope: nothing was recorded.")


def create(engine: Engine, values: dict, today: date | None = None, meeting_date: date | None = None, now: datetime | None = None, *, viewer: Viewer) -> int:
    """Record a commitment; returns its id. Raises CommitmentError on invalid input or a unit
    outside the viewer's scope."""
    from metrics import kpis

    today = today or date.today()
    now = now or _now()
    if not _blank(values.get("unit_code")) and _outside(viewer, engine, values.get("unit_code")):
        raise CommitmentError([_out_of_scope_problem("unit_code")])
    with engine.begin() as connection:
        codes = set(connection.execute(select(units.c.code).where(units.c.code == str(values.get("unit_code") or ""))).scalars())
        problems = validate_new(values, today, codes, kpis.KPIS)
        if problems:
            raise CommitmentError(problems)
        by = (str(values.get("created_by") or "").strip() or viewer.display_name or viewer.username)[:BY_MAX]
        target = values.get("target_value")
        row = dict(
            unit_code=str(values["unit_code"]),
            title=str(values["title"]).strip(),
            owner=None if _blank(values.get("owner")) else str(values["owner"]).strip(),
            kpi_id=None if _blank(values.get("kpi_id")) else values["kpi_id"],
            target_value=None if _blank(target) else float(target),
            due_date=_as_day(values["due_date"]),
            status="open",
            meeting_date=meeting_date or today,
            created_at=now,
            created_by=by,
        )
        new_id = connection.execute(insert(commitments).values(**row).returning(commitments.c.id)).scalar_one()
        connection.execute(
            insert(commitment_updates).values(
                commitment_id=new_id,
                at=now,
                by=by,
                old_status=None,
                new_status="open",
                old_due_date=None,
                new_due_date=row["due_date"],
                note=None,
            )
        )
    return int(new_id)


def update(
    engine: Engine,
    commitment_id: int,
    new_status: str,
    note: str | None = None,
    by: str | None = None,
    new_due_date=None,
    today: date | None = None,
    now: datetime | None = None,
    *,
    viewer: Viewer,
) -> None:
    """Change a commitment's status (and optionally its due date) with a note, keeping history.

    The change and its history row commit together or not at all. Raises CommitmentError
    (also for a commitment of a unit outside the viewer's scope).
    """
    today = today or date.today()
    now = now or _now()
    c = commitments.c
    with engine.connect() as connection:
        unit_code = connection.execute(select(c.unit_code).where(c.id == int(commitment_id))).scalar()
    if unit_code is not None and _outside(viewer, engine, unit_code):
        raise CommitmentError([_out_of_scope_problem("id")])
    by = str(by or "").strip() or viewer.display_name or viewer.username
    with engine.begin() as connection:
        current = connection.execute(select(c.status, c.due_date).where(c.id == int(commitment_id))).first()
        problems = validate_update(current.status if current else None, new_status, note, today, new_due_date)
        if problems:
            raise CommitmentError(problems)
        due = _as_day(new_due_date)
        changes = dict(status=new_status, updated_at=now)
        if due is not None:
            changes["due_date"] = due
        if new_status in CLOSED and current.status not in CLOSED:
            changes["closed_at"] = now
        elif new_status in PENDING:
            changes["closed_at"] = None
        # The WHERE on the old status makes a concurrent change fail instead of being overwritten.
        done = connection.execute(sa_update(commitments).where(c.id == int(commitment_id), c.status == current.status).values(**changes))
        if done.rowcount != 1:
            raise CommitmentError(
                [Problem("id", "Nhiệm vụ vừa được người khác cập nhật; tải lại trang.", "Someone else just updated this commitment; reload the page.")]
            )
        connection.execute(
            insert(commitment_updates).values(
                commitment_id=int(commitment_id),
                at=now,
                by=str(by or "").strip()[:BY_MAX] or "—",
                old_status=current.status,
                new_status=new_status,
                old_due_date=current.due_date if due is not None else None,
                new_due_date=due,
                note=None if _blank(note) else str(note).strip(),
            )
        )


# --- reading -------------------------------------------------------------------------------


def _frame(connection, query, today: date) -> pd.DataFrame:
    rows = connection.execute(query).mappings().all()
    frame = pd.DataFrame([dict(r) for r in rows], columns=[n for n in COLUMNS if n != "effective_status"])
    for name in ("due_date", "meeting_date"):
        frame[name] = [_as_day(v) for v in frame[name]]
    frame["effective_status"] = [effective_status(s, d, today) for s, d in zip(frame["status"], frame["due_date"])]
    return frame[COLUMNS]


def _select():
    c = commitments.c
    return select(*list(commitments.columns), units.c.name.label("unit_name")).join(units, units.c.code == c.unit_code)


def list_commitments(
    engine: Engine, codes: Sequence[str] | None = None, statuses: Sequence[str] | None = None, today: date | None = None, *, viewer: Viewer
) -> pd.DataFrame:
    """Commitments of the units in `codes` (None: all the viewer may see), optionally of some
    stored statuses, by due date (columns COLUMNS, with `effective_status`)."""
    codes = queries.detail_codes(engine, viewer, codes)
    c = commitments.c
    query = _select()
    if codes is not None:
        query = query.where(c.unit_code.in_(list(codes)))
    if statuses is not None:
        query = query.where(c.status.in_(list(statuses)))
    query = query.order_by(c.due_date, c.id)
    with engine.connect() as connection:
        return _frame(connection, query, today or date.today())


def previous_meeting_date(engine: Engine, meeting_date: date, codes: Iterable[str] | None = None) -> date | None:
    """The latest meeting (a day commitments were recorded) before `meeting_date`, of the
    units in `codes` (None: any unit): another district's meeting is not this one's."""
    c = commitments.c
    query = select(func.max(c.meeting_date)).where(c.meeting_date < meeting_date)
    if codes is not None:
        query = query.where(c.unit_code.in_(list(codes)))
    with engine.connect() as connection:
        return connection.execute(query).scalar()


def due_for_meeting(
    engine: Engine, meeting_date: date, codes: Sequence[str] | None = None, previous_meeting: date | None = None, *, viewer: Viewer
) -> pd.DataFrame:
    """What a meeting opens with: pending items due on or before `meeting_date`, and items
    closed since the previous meeting (exclusive) up to the meeting date (inclusive), of the
    units in `codes` (None: all the viewer may see)."""
    codes = queries.detail_codes(engine, viewer, codes)
    c = commitments.c
    since = previous_meeting or _as_day(previous_meeting_date(engine, meeting_date, codes)) or (meeting_date - timedelta(days=PREVIOUS_MEETING_FALLBACK_DAYS))
    closed_from = datetime.combine(since + timedelta(days=1), datetime.min.time())
    closed_to = datetime.combine(meeting_date + timedelta(days=1), datetime.min.time())
    query = _select().where(
        or_(
            and_(c.status.in_(PENDING), c.due_date <= meeting_date),
            and_(c.status.in_(CLOSED), c.closed_at >= closed_from, c.closed_at < closed_to),
        )
    )
    if codes is not None:
        query = query.where(c.unit_code.in_(list(codes)))
    query = query.order_by(c.due_date, c.id)
    with engine.connect() as connection:
        frame = _frame(connection, query, meeting_date)
    frame.attrs["since"] = since
    return frame


def history(engine: Engine, commitment_id: int, *, viewer: Viewer) -> pd.DataFrame:
    """Every change of one commitment, oldest first (the creation row included).
    OutOfScope for a commitment of a unit outside the viewer's scope."""
    with engine.connect() as connection:
        unit_code = connection.execute(select(commitments.c.unit_code).where(commitments.c.id == int(commitment_id))).scalar()
    if unit_code is not None and _outside(viewer, engine, unit_code):
        raise access.OutOfScope()
    h = commitment_updates.c
    query = select(*commitment_updates.columns).where(h.commitment_id == int(commitment_id)).order_by(h.at, h.id)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    return pd.DataFrame([dict(r) for r in rows], columns=HISTORY_COLUMNS)
