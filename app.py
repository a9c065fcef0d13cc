"""The frame and router: page config, language, database check, sign-in, global filters, navigation.

Pages live in pages/<section>/<page>.py (never directly in pages/, see DESIGN.md) and read
the filters through ui.filters.current() and the viewer through ui.auth.current_viewer().
Nothing is drawn from the data before sign-in; the navigation offers only the pages the
viewer's role may use, and data_access refuses out-of-scope reads whatever the page asks.
"""

import time
from pathlib import Path

import streamlit as st

from domain.access import Viewer
from domain.errors import UserFacingError
from ui import auth, data, frame, reconnect, url_state
from ui.i18n import language_switch, t
from ui.setup import prepare_database, prepare_map_glyphs

render_started = time.perf_counter()
# The icon is a local file: a ":material/...:" favicon would be fetched from the internet.
st.set_page_config(page_title="Chỉ số phục vụ người dân", page_icon=str(Path(__file__).parent / "ui/assets/favicon.png"), layout="wide")
url_state.forget_rejected()  # each run reports the parameters its own link got wrong
language_switch()
reconnect.notice()  # a session its browser moved here from a stopped app process says so


def pages_for(viewer: Viewer) -> dict:
    pages = {
        t("Điều hành", "Leadership"): [
            st.Page("pages/overview/overview.py", title=t("Tổng quan", "Overview"), icon=":material/dashboard:", url_path="overview", default=True),
            st.Page("pages/map/map.py", title=t("Bản đồ", "Map"), icon=":material/map:", url_path="map"),
            st.Page("pages/analysis/trends.py", title=t("Xu hướng", "Trends"), icon=":material/trending_up:", url_path="trends"),
            st.Page("pages/analysis/rankings.py", title=t("Xếp hạng", "Rankings"), icon=":material/leaderboard:", url_path="rankings"),
            st.Page("pages/analysis/unit_profile.py", title=t("Hồ sơ đơn vị", "Unit profile"), icon=":material/account_tree:", url_path="unit"),
            st.Page(
                "pages/analysis/scoreboard.py", title=t("Bảng chỉ số phục vụ", "Service index scoreboard"), icon=":material/scoreboard:", url_path="scoreboard"
            ),
            st.Page("pages/analysis/surveys.py", title=t("Khảo sát độc lập", "Independent surveys"), icon=":material/fact_check:", url_path="surveys"),
            st.Page("pages/analysis/steps.py", title=t("Khâu nào chậm", "Which step is slow"), icon=":material/timeline:", url_path="steps"),
        ],
        t("Họp", "Meetings"): [
            st.Page("pages/meeting/meeting.py", title=t("Họp giao ban", "Review meeting"), icon=":material/co_present:", url_path="meeting"),
        ],
    }
    if viewer.can_admin:  # loading data (and, from the command line, accounts) is the admin's
        pages[t("Quản trị", "Administration")] = [
            st.Page("pages/admin/data.py", title=t("Dữ liệu", "Data"), icon=":material/upload_file:", url_path="data"),
        ]
    return pages


try:
    prepare_map_glyphs()
    prepare_database()
    viewer = auth.require_viewer()  # the sign-in screen, and the run stops there, until signed in
    navigation = st.navigation(pages_for(viewer))
    units = data.units()
    auth.sidebar(viewer, dict(zip(units["code"], units["name"])))
    refused = frame.out_of_scope_in_url(viewer)
    if refused is not None:
        frame.show_error(refused)
    else:
        notice = st.empty()
        filters = frame.filter_bar_or_notice()
        # With no data yet, only the data page can help: it loads the first files.
        if filters is not None or navigation.url_path == "data":
            navigation.run()
        frame.rejected_params_notice(notice)
        frame.footer()
except UserFacingError as error:  # the database's, the schema's, a scope refusal: domain/errors.py
    frame.show_error(error)
finally:
    # The server-side time of this run, read by benchmarks/ (and handy when profiling).
    st.session_state["render_ms"] = (time.perf_counter() - render_started) * 1000
