"""The one user-facing error type: what a reader sees when a request cannot be served.

Each error carries its Vietnamese and English text and an icon; the frame (app.py through
ui/frame.py `show_error`) shows any that reaches it, in the reader's language, once.
`detail` is the technical part (a driver's message, a path), shown after the text as plain
text and kept as `str(error)` for logs and tests; `hint` (vi, en) says what to do next.

The text comes as class attributes (a fixed refusal: `DatabaseUnavailable`, `BriefingError`,
`AccountError`, `DownloadRefused`) or per raise as `vi=`/`en=` (`NotRemindable`,
`CommitmentError`'s problems, `SchemaOutdated`); a command line prints `str(error)`, which is
the detail when there is one. `ingest.FileRejected` is written in the reader's language where
it is raised (the reading runs in a worker told the language): both texts are that message.
"""

from __future__ import annotations

from i18n.text import pick


class UserFacingError(Exception):
    vi = "Không thực hiện được yêu cầu."
    en = "The request could not be served."
    icon = ":material/error:"
    hint: tuple[str, str] | None = None

    def __init__(self, detail: str | None = None, *, vi: str | None = None, en: str | None = None):
        if vi is not None:
            self.vi = vi
        if en is not None:
            self.en = en
        self.detail = detail
        super().__init__(detail if detail is not None else self.en)

    def text(self, lang: str = "vi") -> str:
        return pick(lang, self.vi, self.en)
