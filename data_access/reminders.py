"""Reminding the officer who holds a late step: the message, the sender, the record.

- `Sender`: one interface (`channel`, `send(recipient, subject, body)`); SMS or chat
  gateways differ per city and plug in here. `EmailSender` is the one built: SMTP, set in
  `[smtp]` of .streamlit/secrets.toml (host, port, sender, username, password, starttls).
- `send_reminder(engine, step_id, sender, viewer=...)`: refuses a step outside the
  viewer's own units (OutOfScope, nothing sent or written), builds the message (dossier,
  step, how late, who reminds), sends it and records it in step_reminders, sent or failed.
- `reminders(engine, since, codes, viewer=...)`: the record, for the next meeting.
"""

from __future__ import annotations

import smtplib
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.mime.text import MIMEText
from typing import Protocol

import pandas as pd
from sqlalchemy import insert, select, true
from sqlalchemy.engine import Engine

from data_access import queries
from domain.access import Viewer
from domain.errors import UserFacingError
from data_access.db import PROJECT_ROOT
from data_access.schema import dossier_steps, dossiers, officers, procedures, step_reminders
from domain.steps import step_label


class Sender(Protocol):
    channel: str

    def send(self, recipient: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True)
class EmailSender:
    host: str
    port: int = 25
    sender: str = "dashboard@localhost"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout: float = 20.0
    channel: str = "email"

    def send(self, recipient: str, subject: str, body: str) -> None:
        # Header() splits a long Vietnamese subject into encoded words with the spaces kept
        # (EmailMessage's folding drops the space between two encoded words).
        message = MIMEText(body, "plain", "utf-8")
        message["From"], message["To"], message["Subject"] = self.sender, recipient, Header(subject, "utf-8")
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def email_sender_from_secrets(path=None) -> EmailSender | None:
    """The [smtp] section of .streamlit/secrets.toml, or None when it is not set."""
    path = path or PROJECT_ROOT / ".streamlit" / "secrets.toml"
    try:
        with open(path, "rb") as handle:
            smtp = tomllib.load(handle).get("smtp")
    except FileNotFoundError:
        return None
    if not smtp or not smtp.get("host"):
        return None
    return EmailSender(
        host=smtp["host"],
        port=int(smtp.get("port", 25)),
        sender=smtp.get("sender", "dashboard@localhost"),
        username=smtp.get("username"),
        password=smtp.get("password"),
        starttls=bool(smtp.get("starttls", False)),
    )


class NotRemindable(UserFacingError, ValueError):
    """The step is not open past its due time (or has no officer to remind)."""

    icon = ":material/notifications_off:"


def _late_step(engine: Engine, step_id: int) -> dict | None:
    s, o = dossier_steps.c, officers.c
    query = (
        select(
            s.id,
            s.dossier_code,
            s.step,
            s.unit_code,
            s.officer_code,
            o.full_name,
            o.email,
            s.started_at,
            s.due_at,
            s.finished_at,
            procedures.c.name.label("procedure"),
        )
        .select_from(
            dossier_steps.outerjoin(officers, o.code == s.officer_code)
            .join(dossiers, dossiers.c.code == s.dossier_code)
            .join(procedures, procedures.c.code == dossiers.c.procedure_code)
        )
        .where(s.id == step_id)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def reminder_text(step: dict, by_name: str, days_late: int, lang: str = "vi") -> tuple[str, str]:
    """(subject, body) of the reminder."""
    name = step_label(step["step"], lang)
    due = pd.Timestamp(step["due_at"]).strftime("%H:%M %d/%m/%Y")
    if lang == "en":
        return (
            f"Reminder: dossier {step['dossier_code']}, step {name}, {days_late} day(s) late",
            f"Dear {step['full_name']},\n\nDossier {step['dossier_code']} ({step['procedure']}) has been at the step "
            f'"{name}" with you since {pd.Timestamp(step["started_at"]):%d/%m/%Y}; the step was due at {due}, '
            f"{days_late} day(s) ago. Please finish it or report what holds it up.\n\nReminded by {by_name}.",
        )
    return (
        f"Nhắc việc: hồ sơ {step['dossier_code']}, bước {name}, trễ {days_late} ngày",
        f"Kính gửi {step['full_name']},\n\nHồ sơ {step['dossier_code']} ({step['procedure']}) đang ở bước «{name}» do "
        f"đồng chí xử lý từ ngày {pd.Timestamp(step['started_at']):%d/%m/%Y}; hạn của bước là {due}, đã trễ {days_late} ngày. "
        f"Đề nghị đồng chí hoàn thành hoặc báo cáo vướng mắc.\n\nNgười nhắc: {by_name}.",
    )


def send_reminder(engine: Engine, step_id: int, sender: Sender, *, viewer: Viewer, now: datetime | None = None, lang: str = "vi") -> dict:
    """Send and record one reminder; returns the recorded row. OutOfScope (nothing sent,
    nothing written) for a step of a unit outside the viewer's own units."""
    now = now or datetime.now()
    step = _late_step(engine, step_id)
    if step is None:
        raise NotRemindable(vi=f"Không có bước xử lý số {step_id}.", en=f"Step {step_id} does not exist.")
    queries.detail_codes(engine, viewer, [step["unit_code"]])  # raises OutOfScope
    if step["finished_at"] is not None or step["due_at"] is None or pd.Timestamp(step["due_at"]) >= pd.Timestamp(now):
        raise NotRemindable(vi="Bước này không còn quá hạn (đã xong hoặc chưa đến hạn): không nhắc.", en="The step is not open past its due time: no reminder.")
    if not step["officer_code"]:
        raise NotRemindable(vi="Bước này chưa có cán bộ xử lý để nhắc.", en="The step has no officer to remind.")
    days_late = int((pd.Timestamp(now) - pd.Timestamp(step["due_at"])).total_seconds() // 86400)
    by_name = viewer.display_name or viewer.username
    subject, body = reminder_text(step, by_name, days_late, lang)
    status, error = "sent", None
    if not step["email"] and sender.channel == "email":
        status, error = "failed", "no e-mail address for the officer"
    else:
        try:
            sender.send(step["email"], subject, body)
        except (OSError, smtplib.SMTPException) as failure:
            status, error = "failed", str(failure)[:500]
    record = {
        "at": now,
        "by": viewer.username,
        "by_name": by_name,
        "officer_code": step["officer_code"],
        "unit_code": step["unit_code"],
        "dossier_code": step["dossier_code"],
        "step_id": step["id"],
        "step": step["step"],
        "days_late": days_late,
        "channel": sender.channel,
        "recipient": step["email"],
        "message": f"{subject}\n\n{body}",
        "status": status,
        "error": error,
    }
    with engine.begin() as connection:
        connection.execute(insert(step_reminders), [record])
    return record


def reminders(engine: Engine, since: datetime, codes: Sequence[str] | None = None, *, viewer: Viewer) -> pd.DataFrame:
    """Reminders sent since a moment in the viewer's own units, newest first."""
    codes = queries.detail_codes(engine, viewer, codes)
    r, o = step_reminders.c, officers.c
    query = (
        select(r.at, r.by_name, o.full_name, r.unit_code, r.dossier_code, r.step, r.days_late, r.channel, r.status)
        .select_from(step_reminders.join(officers, o.code == r.officer_code))
        .where(r.at >= since, true() if codes is None else r.unit_code.in_(list(codes)))
        .order_by(r.at.desc(), r.id.desc())
        .limit(500)
    )
    with engine.connect() as connection:
        frame = pd.DataFrame(
            connection.execute(query).all(), columns=["at", "by", "officer", "unit_code", "dossier_code", "step", "days_late", "channel", "status"]
        )
    frame["at"] = pd.to_datetime(frame["at"])
    return frame
