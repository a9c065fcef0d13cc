"""Họp giao ban: the chosen scope and period as slides for a projector, the briefing pack,
and the commitments log.

Every slide is a link: `?slide=3` (1-based) with the usual filter parameters; `present=1`
hides the sidebar and enlarges the type. Next / previous: buttons, the arrow keys and
PageDown / PageUp (what presentation clickers send).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import streamlit as st

from ui import auth, meeting
from ui.filters import current, units_of
from ui.i18n import lang, t

filters = current()
present = st.query_params.get("present") == "1"
viewer = auth.current_viewer()
today = date.today()
meeting.styles(present)

args = (filters.scope_code, filters.period.key, lang(), filters.compare_mode, today)
with st.spinner(t("Đang chuẩn bị nội dung họp…", "Preparing the meeting…")):
    b = meeting.briefing_for(*args)
m = meeting.Meeting(b, filters, units_of(filters), viewer, today, args)

slides = meeting.slide_sequence(b)
requested = st.query_params.get("slide", "1")
try:
    # "last" opens the commitments, the slide a unit profile links to.
    number = len(slides) if requested == "last" else min(max(int(requested), 1), len(slides))
except ValueError:
    number = 1


def go_to(n: int) -> None:
    st.query_params["slide"] = str(min(max(n, 1), len(slides)))


def link(**changes) -> str:
    params = {**st.query_params.to_dict(), **{k: str(v) for k, v in changes.items()}}
    params = {k: v for k, v in params.items() if v != ""}
    return "/meeting?" + urlencode(params)


# --- header: where we are, navigation -----------------------------------------------------
head, nav = st.columns([3, 2], vertical_alignment="center")
with head:
    st.markdown(f"**{t('Họp giao ban', 'Review meeting')} · {b.scope_name} · {b.period.label(lang())}** · {t('trang', 'slide')} {number}/{len(slides)}")
with nav:
    left, right, mode = st.columns(3)
    left.button(
        t("Trước", "Previous"),
        icon=":material/arrow_back:",
        on_click=go_to,
        args=(number - 1,),
        disabled=number == 1,
        shortcut="Left",
        key="prev",
        width="stretch",
    )
    right.button(
        t("Tiếp", "Next"),
        icon=":material/arrow_forward:",
        on_click=go_to,
        args=(number + 1,),
        disabled=number == len(slides),
        shortcut="Right",
        key="next",
        width="stretch",
    )
    if present:
        mode.link_button(t("Thoát trình chiếu", "Exit"), link(present=""), icon=":material/close_fullscreen:", width="stretch")
    else:
        mode.link_button(t("Trình chiếu", "Present"), link(present="1", slide=number), icon=":material/slideshow:", width="stretch")
with st.container(key="clicker-keys"):  # presentation clickers send PageDown / PageUp
    st.button("PageUp", on_click=go_to, args=(number - 1,), shortcut="PageUp", key="prev_page")
    st.button("PageDown", on_click=go_to, args=(number + 1,), shortcut="PageDown", key="next_page")

meeting.show_slide(m, *slides[number - 1])
if not present:
    meeting.pack_download(m)
