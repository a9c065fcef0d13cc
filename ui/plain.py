"""Text someone else wrote, shown as plain text: never Markdown.

Streamlit renders Markdown (and its own `:red[...]`, `:material/...:` and `$...$`) in
st.error, st.warning, st.caption, st.markdown and the rest. A URL parameter, a file name, a
column header, a comment or a database message echoed there could otherwise become a live
link (`[Đăng nhập lại](http://evil.example)`), an image the browser fetches from outside
(`![x](http://…)`), or a bare URL turned into a link. Every such value goes through `plain()`.
"""

from __future__ import annotations

import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and then stands
# for itself.
_PUNCTUATION = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
# GitHub-flavoured Markdown also links bare addresses (http://, www., name@host) after the
# escapes are read; an invisible word joiner inside each keeps them text.
_BARE_LINK = re.compile(r"(?i)(?<=:)(?=//)|(?<=www)(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def plain(text) -> str:
    """`text` escaped so that Markdown shows it character for character, on one line."""
    one_line = " ".join(str(text).splitlines())
    return _PUNCTUATION.sub(r"\\\1", _BARE_LINK.sub(WORD_JOINER, one_line))
