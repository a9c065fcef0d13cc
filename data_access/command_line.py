"""What the command lines of data_access (ingest, reference, accounts) print the same way."""

from __future__ import annotations

import getpass
import os
import sys
from typing import TYPE_CHECKING

from i18n.format import fmt_int
from i18n.text import pick

if TYPE_CHECKING:  # the accounts command line does not need the import checks loaded
    from ingest.checks import Checked

PROBLEMS_LISTED = 50  # a terminal's worth; the rejected-rows file or the Data page has them all


def os_user() -> str:
    """The name an import records in the audit log when no --actor is given."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name in some containers
        return os.environ.get("USER", "cli")


def print_refusal(checked: Checked, lang: str) -> None:
    """Why a file was refused: the summary, then its first problems, row by row."""
    print(checked.message)
    print(checked.problems.head(PROBLEMS_LISTED).to_string(index=False))
    if checked.problem_count > PROBLEMS_LISTED:
        more = checked.problem_count - PROBLEMS_LISTED
        print(pick(lang, f"… và {fmt_int(more, 'vi')} lỗi khác.", f"… and {more:,} more problems."))


def print_database_error(error: Exception, lang: str) -> None:
    """The database's own first line, after saying that the transaction wrote nothing."""
    print(
        pick(lang, "Lỗi cơ sở dữ liệu, không có gì được ghi: ", "Database error, nothing was written: ") + str(getattr(error, "orig", error)).splitlines()[0],
        file=sys.stderr,
    )
