"""benchmarks/load_ws.py: the websocket load client measures real page runs and counts failures."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
import textwrap

from benchmarks import load_ws


def in_thread(function, *args):
    """Run in a thread of its own: the browser tests' Playwright keeps an event loop running
    in the main thread, where asyncio.run() is refused."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(function, *args).result()


async def _visit(base: str, page: str, query: str = "") -> load_ws.Outcome:
    connection = await load_ws.Connection.open("ws" + base[len("http") :] + load_ws.STREAM_PATH, 30)
    try:
        return await connection.visit(page, query, f"{base}/{page}?{query}", 60)
    finally:
        await connection.close()


def test_one_session_browses_without_errors(app_server, demo_db_url):
    views, info = load_ws.plan(demo_db_url, seed=1)
    options = load_ws.Options(sessions=1, seconds=5, think=0.1, ramp=0, page_timeout=60)
    results = in_thread(load_ws.run, app_server, views, info, options)
    data = load_ws.summary(results)
    assert data["errors"] == []
    assert data["overall"]["ok"] >= 3, data
    times = [t for page in results.pages.values() for t in page.times]
    assert times and all(t > 0 for t in times)
    assert data["overall"]["median_s"] > 0


def test_hostile_unit_is_refused_and_unknown_page_is_an_error(app_server):
    hostile = in_thread(asyncio.run, _visit(app_server, "unit", "unit=%3Cscript%3Ealert(1)%3C%2Fscript%3E"))
    assert hostile.finished is not None and hostile.problems == []
    assert hostile.refusals and "?script?" in hostile.refusals[0]  # the app's own "no unit with code" message
    results = load_ws.Results()
    results.record("unit-hostile", "/unit?unit=...", hostile, 0.0, expect_refusal=True)
    assert results.errors == [] and results.pages["unit-hostile"].refused == 1
    results.record("unit", "/unit?unit=...", hostile, 0.0, expect_refusal=False)  # the same message on a normal view
    assert results.pages["unit"].errors == 1

    missing = in_thread(asyncio.run, _visit(app_server, "no-such-page"))
    assert any(problem.startswith("page not found") for problem in missing.problems)


def test_exception_and_error_alert_are_counted(streamlit_server, tmp_path):
    script = tmp_path / "boom.py"
    script.write_text(
        textwrap.dedent("""
        import streamlit as st
        st.title("boom")
        if st.query_params.get("mode") == "alert":
            st.error("something failed")
        elif st.query_params.get("mode") == "raise":
            raise RuntimeError("deliberate failure")
        else:
            st.write("fine")
    """)
    )
    base = streamlit_server(script).url
    fine = in_thread(asyncio.run, _visit(base, "", ""))
    assert fine.finished is not None and fine.problems == [] and fine.refusals == []
    raised = in_thread(asyncio.run, _visit(base, "", "mode=raise"))
    assert any("RuntimeError: deliberate failure" in problem for problem in raised.problems)
    alert = in_thread(asyncio.run, _visit(base, "", "mode=alert"))
    assert alert.refusals == ["something failed"]
    results = load_ws.Results()
    for outcome in (fine, raised, alert):
        results.record("boom", "/", outcome, 0.0, expect_refusal=False)
    assert results.pages["boom"].requests == 3 and results.pages["boom"].errors == 2 and len(results.pages["boom"].times) == 1


def test_bounds_are_enforced(capsys):
    import pytest

    for argv in (["--sessions", str(load_ws.MAX_SESSIONS + 1)], ["--sessions", "0"], ["--seconds", str(load_ws.MAX_SECONDS + 1)]):
        with pytest.raises(SystemExit) as exited:
            load_ws.main(argv)
        assert exited.value.code == 2
    assert "between" in capsys.readouterr().err
