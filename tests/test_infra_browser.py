"""The server and browser fixtures work for real: a throwaway script in Debian Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import wait_for_app

SCRIPT = """
import os
import streamlit as st

st.title("Bảng điều hành thử nghiệm")
st.write("Phường Tân Định:", os.environ.get("INFRA_MARKER", "no marker"))
if st.button("Bấm thử"):
    st.success("Đã bấm")
"""


@pytest.mark.browser
def test_throwaway_script_renders_in_chromium(tmp_path, streamlit_server, page):
    script = tmp_path / "throwaway_app.py"
    script.write_text(SCRIPT, encoding="utf-8")
    server = streamlit_server(script, env={"INFRA_MARKER": "marker-42"})

    page.goto(server.url)
    wait_for_app(page)
    expect(page.get_by_text("Bảng điều hành thử nghiệm")).to_be_visible()
    expect(page.get_by_text("marker-42")).to_be_visible()

    page.get_by_role("button", name="Bấm thử").click()
    page.get_by_text("Đã bấm").wait_for()
    wait_for_app(page)


def test_server_helper_reports_a_crashing_script(tmp_path):
    from tests.support.app_server import StreamlitServer, StreamlitServerError

    script = tmp_path / "x.py"
    script.write_text("import streamlit as st\nst.write('hi')\n")
    server = StreamlitServer(script, extra_args=["--server.port", "not-a-port"], startup_timeout=30)
    with pytest.raises(StreamlitServerError) as error:
        server.start()
    assert "exited with code" in str(error.value)
