"""Text someone else wrote, shown as plain text: never Markdown.

Streamlit renders Markdown (and its own `:red[...]`, `:material/...:` and `$...$`) in
st.error, st.warning, st.caption, st.markdown and the rest. A URL parameter, a file name, a
column header, a comment or a database message echoed there could otherwise become a live
link (`[Đăng nhập lại](http://evil.example)`), an image the browser fetches from outside
(`![x](http://…)`), or a bare URL turned into a link. Every such value goes through `plain()`.
"""

from __future__ import annotations

import re

# The characters that make Markdown (and Streamlit's :directives[...] and $math$) anywhere
# in a line are backslash-escaped (CommonMark: an escaped one stands for itself); the ones
# that only count at the start of a line (# + - 1.) are escaped there.
_PUNCTUATION = re.compile(r"""([!$&()*:<>\[\\\]_`{|}~])""")
_LINE_START = re.compile(r"^(\s*)([#+\-]|\d+[.)])")
# GitHub-flavoured Markdown also links bare addresses (http://, www., name@host) after the
# escapes are read; an invisible word joiner inside each keeps them text.
_BARE_LINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def plain(text) -> str:
    """`text` escaped so that Markdown shows it character for character, on one line."""
    one_line = " ".join(str(text).splitlines())
    escaped = _PUNCTUATION.sub(r"\\\1", _BARE_LINK.sub(WORD_JOINER, one_line))
    return _LINE_START.sub(lambda m: m.group(1) + "".join("\\" + c if not c.isdigit() else c for c in m.group(2)), escaped)
