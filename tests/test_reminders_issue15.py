"""Reminders: the round trip through a real SMTP server on 127.0.0.1 (aiosmtpd), the record,
and a reminder outside the sender's scope refused in the data layer."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select, update

from data_access import ingest, refresh, schema, steps
from domain.access import OutOfScope, Viewer
from data_access.reminders import EmailSender, NotRemindable, reminders, send_reminder
from tests import tiny_dataset
from tests.test_ingest import csv_bytes
from tests.test_steps_issue15 import GOOD, HEADER, TODAY

NOW = datetime(2026, 10, 31, 17, 0)
CHAIR_1 = Viewer("chair1", "district_chair", "760", "Chủ tịch Quận 1")
CHAIR_12 = Viewer("chair12", "district_chair", "761", "Chủ tịch Quận 12")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp_server():
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def late_step(engine):
    tiny_dataset.load(engine)
    refresh.refresh_summaries(engine, today=TODAY)
    ingest.import_file(engine, "steps", csv_bytes(HEADER, GOOD), "slip.csv", actor="test", lang="en")
    with engine.begin() as connection:
        connection.execute(update(schema.officers).where(schema.officers.c.code == "O2").values(email="minh@ward.example"))
    step = steps.overdue_steps(engine, NOW, viewer=CHAIR_1).iloc[0]
    assert (step["dossier_code"], step["officer_code"]) == ("D6", "O2")
    return engine, int(step["step_id"])


def _subject(envelope) -> str:
    return str(message_from_bytes(envelope.content, policy=policy.default)["Subject"])


def test_a_reminder_reaches_the_officer_and_is_recorded(late_step, smtp_server):
    engine, step_id = late_step
    inbox, port = smtp_server
    record = send_reminder(engine, step_id, EmailSender("127.0.0.1", port, "dashboard@city.example"), viewer=CHAIR_1, now=NOW)
    assert record["status"] == "sent"
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert envelope.rcpt_tos == ["minh@ward.example"]
    # D6's appraisal was due 22/10 17:00: on 31/10 17:00 it is 9 days late.
    assert _subject(envelope) == "Nhắc việc: hồ sơ D6, bước Thẩm định, thụ lý, trễ 9 ngày"
    body = message_from_bytes(envelope.content, policy=policy.default).get_content()
    assert "Trần Văn Minh" in body and "Người nhắc: Chủ tịch Quận 1" in body
    seen = reminders(engine, NOW - timedelta(days=7), viewer=CHAIR_1)
    assert seen[["by", "officer", "dossier_code", "step", "days_late", "status"]].values.tolist() == [
        ["Chủ tịch Quận 1", "Trần Văn Minh", "D6", "tham_dinh", 9, "sent"]
    ]


def test_a_reminder_outside_the_senders_scope_is_refused(late_step, smtp_server):
    engine, step_id = late_step
    inbox, port = smtp_server
    with pytest.raises(OutOfScope):
        send_reminder(engine, step_id, EmailSender("127.0.0.1", port), viewer=CHAIR_12, now=NOW)
    assert inbox.messages == []
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(schema.step_reminders)).scalar() == 0


def test_a_step_not_yet_due_is_not_reminded(late_step, smtp_server):
    engine, step_id = late_step
    with pytest.raises(NotRemindable):
        send_reminder(engine, step_id, EmailSender("127.0.0.1", smtp_server[1]), viewer=CHAIR_1, now=datetime(2026, 10, 21))


def test_an_unreachable_server_is_recorded_as_failed(late_step):
    engine, step_id = late_step
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    record = send_reminder(engine, step_id, EmailSender("127.0.0.1", closed_port, timeout=2), viewer=CHAIR_1, now=NOW)
    assert record["status"] == "failed"
