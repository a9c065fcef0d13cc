"""The frame and router: page config, language, database check, global filters, navigation.

Pages live in pages/<section>/<page>.py (never directly in pages/, see DESIGN.md) and read
the filters through ui.filters.current().
"""

import time
from pathlib import Path

import streamlit as st

from data_access.db import DatabaseUnavailable
from ui import frame
from ui.i18n import language_switch, t
from ui.setup import SchemaOutdated, prepare_database, prepare_map_glyphs

render_started = time.perf_counter()
# The icon is a local file: a ":material/...:" favicon would be fetched from the internet.
st.set_page_config(page_title="Chỉ số phục vụ người dân", page_icon=str(Path(__file__).parent / "ui/assets/favicon.png"), layout="wide")
language_switch()

pages = {
    t("Điều hành", "Leadership"): [
        st.Page("pages/overview/overview.py", title=t("Tổng quan", "Overview"), icon=":material/dashboard:", url_path="overview", default=True),
        st.Page("pages/map/map.py", title=t("Bản đồ", "Map"), icon=":material/map:", url_path="map"),
        st.Page("pages/analysis/trends.py", title=t("Xu hướng", "Trends"), icon=":material/trending_up:", url_path="trends"),
        st.Page("pages/analysis/rankings.py", title=t("Xếp hạng", "Rankings"), icon=":material/leaderboard:", url_path="rankings"),
        st.Page("pages/analysis/unit_profile.py", title=t("Hồ sơ đơn vị", "Unit profile"), icon=":material/account_tree:", url_path="unit"),
    ],
    t("Họp", "Meetings"): [
        st.Page("pages/meeting/meeting.py", title=t("Họp giao ban", "Review meeting"), icon=":material/co_present:", url_path="meeting"),
    ],
    t("Quản trị", "Administration"): [
        st.Page("pages/admin/data.py", title=t("Dữ liệu", "Data"), icon=":material/upload_file:", url_path="data"),
    ],
}
navigation = st.navigation(pages)

try:
    prepare_map_glyphs()
    prepare_database()
    filters = frame.filter_bar_or_notice()
    # With no data yet, only the data page can help: it loads the first files.
    if filters is not None or navigation.url_path == "data":
        navigation.run()
    frame.footer()
except DatabaseUnavailable as error:
    frame.database_unavailable(error)
except SchemaOutdated as error:
    st.error(str(error), icon=":material/database:")
finally:
    # The server-side time of this run, read by benchmarks/ (and handy when profiling).
    st.session_state["render_ms"] = (time.perf_counter() - render_started) * 1000
