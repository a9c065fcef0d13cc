"""Every error a user can meet is one type (domain.errors.UserFacingError): its Vietnamese and
English text, an icon, the technical detail; the frame shows any of them the same way."""

from __future__ import annotations

import pytest

from data_access.accounts import AccountError
from data_access.commitments import CommitmentError, Problem
from data_access.db import DatabaseDamaged, DatabaseRefused, DatabaseUnavailable
from data_access.reminders import NotRemindable
from domain.access import OutOfScope
from domain.errors import UserFacingError
from ingest import FileRejected
from reports.content import BriefingError
from ui.downloads import DownloadRefused
from ui.setup import SchemaOutdated


@pytest.mark.parametrize(
    "kind",
    [
        AccountError,
        CommitmentError,
        NotRemindable,
        FileRejected,
        BriefingError,
        DownloadRefused,
        OutOfScope,
        DatabaseUnavailable,
        DatabaseRefused,
        DatabaseDamaged,
        SchemaOutdated,
    ],
)
def test_every_user_facing_error_is_the_one_type(kind):
    assert issubclass(kind, UserFacingError)


def test_a_refusal_with_a_detail_keeps_it_as_its_message_for_the_command_lines():
    """The accounts and briefing commands print `str(error)`: the same words as before."""
    refused = AccountError("the two passwords differ")
    assert str(refused) == "the two passwords differ"
    assert refused.text("vi").startswith("Không chấp nhận thông tin tài khoản")
    assert refused.text("en").startswith("The account details were refused")
    assert str(BriefingError("The database holds no units")) == "The database holds no units"


def test_a_reminder_refusal_reads_in_the_readers_language():
    why = NotRemindable(vi="Bước này chưa có cán bộ xử lý để nhắc.", en="The step has no officer to remind.")
    assert why.text("vi") == "Bước này chưa có cán bộ xử lý để nhắc."
    assert why.text("en") == "The step has no officer to remind."


def test_a_commitments_problems_are_its_text_in_either_language():
    error = CommitmentError([Problem("title", "Thiếu nội dung.", "The title is missing."), Problem("owner", "Thiếu người phụ trách.", "No owner.")])
    assert error.text("vi") == "Thiếu nội dung.; Thiếu người phụ trách."
    assert error.text("en") == str(error) == "The title is missing.; No owner."
    assert error.messages("vi") == ["Thiếu nội dung.", "Thiếu người phụ trách."]


def test_a_rejected_file_says_its_message_already_in_the_readers_language():
    rejected = FileRejected("Tệp a.csv rỗng (0 byte).")
    assert str(rejected) == rejected.text("vi") == rejected.text("en") == "Tệp a.csv rỗng (0 byte)."
