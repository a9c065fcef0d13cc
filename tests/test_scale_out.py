"""Issue 14: several app processes behind HAProxy (scripts/cluster.py, `run.sh --workers N`).

End to end on 127.0.0.1: two app processes behind the proxy, a load run through it
(benchmarks.load_ws's session runner), one process killed mid-run: the other sessions carry
on with no error, those on the killed one reconnect and are told so (ui/reconnect.py).
Also: sign-in tickets and cookies work on any process sharing the secret, and the sign-in
throttle counts each browser's own address through the proxy (X-Forwarded-For, issue 17)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None)


@pytest.fixture
def small_demo(tmp_path):
    import demo
    from data_access import refresh
    from data_access.db import make_engine
    from data_access.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    demo.generate(engine, size="small", seed=3)
    refresh.refresh_summaries(engine)
    engine.dispose()
    return url


@pytest.mark.skipif(HAPROXY is None, reason="HAProxy not installed (Debian package haproxy; scripts/test.sh installs it)")
def test_two_processes_behind_the_proxy_one_killed_mid_run(small_demo):
    from benchmarks import load_ws

    process, base, log_dir = load_ws.start_cluster(small_demo, workers=2)
    try:
        servers = load_ws.ServerProcesses(process.pid, cluster=True)
        before = sorted(servers.pids())
        assert len(before) == 2
        views, info = load_ws.plan(small_demo, seed=5)
        options = load_ws.Options(sessions=4, seconds=20, think=2.0, ramp=2.0, page_timeout=40, seed=5)
        stopped: list[int] = []
        # load_ws.run calls asyncio.run: in a thread of its own, since a browser test earlier in
        # the session may leave an event loop running in this one.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            results = pool.submit(load_ws.run, base, views, info, options, server=servers, during=load_ws.stop_worker_after(servers, 7, stopped)).result()
        assert stopped and stopped[0] in before
        assert results.errors == []
        ok = sum(len(page.times) for page in results.pages.values())
        assert ok >= 8
        # Leastconn spreads 4 sessions 2 and 2: the killed process had sessions, and each of
        # them came back on the other one with the message.
        assert results.reconnects >= 1
        assert results.moved_notices == results.reconnects
        assert load_ws.cluster_traceback(log_dir) is None
    finally:
        load_ws.stop_cluster(process)
    assert process.returncode is not None


WRONG = ("Tên đăng nhập hoặc mật khẩu không đúng", "Wrong user name or password")
LOCKED = ("sai quá nhiều lần", "Too many failed sign-ins")


async def _sign_in_attempts(base: str, attempts: list[tuple[str, str | None, list[tuple[str, str]]]]) -> list[list[list[str]]]:
    """For each (source address, X-Forwarded-For or None, [(user name, password)...]): a new
    Streamlit session through the proxy, connecting from that loopback address, that submits
    the sign-in form once per pair. Returns each submission's st.error texts."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState

    from benchmarks import load_ws

    ws_url = base.replace("http://", "ws://") + load_ws.STREAM_PATH
    answers = []
    for source, forwarded, tries in attempts:
        headers = {"X-Forwarded-For": forwarded} if forwarded else None
        connection = await load_ws.Connection.open(ws_url, 30, local_addr=(source, 0), additional_headers=headers)
        try:
            first = await connection.visit("", "", base + "/", 60)
            assert first.finished and not first.problems, first.problems
            ids = connection.widget_ids
            shown = []
            for username, password in tries:
                widgets = [
                    WidgetState(id=ids["sign_in_user"], string_value=username),
                    WidgetState(id=ids["sign_in_password"], string_value=password),
                    WidgetState(id=ids["sign_in_submit"], trigger_value=True),
                ]
                outcome = await connection.visit("", "", base + "/", 60, widgets=widgets)
                assert outcome.finished and not outcome.problems, outcome.problems
                shown.append(outcome.refusals)
            answers.append(shown)
        finally:
            await connection.close()
    return answers


@pytest.mark.skipif(HAPROXY is None, reason="HAProxy not installed (Debian package haproxy; scripts/test.sh installs it)")
def test_sign_in_failures_through_the_proxy_count_against_the_browsers_address(tmp_path, monkeypatch):
    """Behind scripts/cluster.py's HAProxy every connection comes from 127.0.0.1, which
    Streamlit reports as no address: per-address throttling did nothing. HAProxy now appends
    the browser's address to X-Forwarded-For and the processes believe it from 127.0.0.1 only.
    Test clients connect from other loopback addresses, standing in for browsers: one with a
    forged header (ignored) fails 20 times under 20 names, on whichever process, and its
    address is locked for a name it never tried; another address is not. A client on
    127.0.0.1 (a trusted proxy, as the processes are told) has its header believed."""
    from sqlalchemy import select

    from benchmarks import load_ws
    from data_access import accounts
    from data_access import sign_in_throttle as throttle
    from data_access.db import make_engine
    from data_access.migrate import upgrade
    from data_access.schema import audit_log

    monkeypatch.delenv("DASHBOARD_TRUSTED_PROXIES", raising=False)
    url = f"sqlite:///{tmp_path / 'accounts.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    accounts.add(engine, "chair760", "admin", "a long enough password 1")
    guesses = [(f"guess{n}", "wrong password!") for n in range(throttle.ADDRESS_FREE)]
    process, base, log_dir = load_ws.start_cluster(url, workers=2)
    try:
        attempts = [
            ("127.0.0.5", "198.51.100.77", guesses),  # the forged header must not spare it
            ("127.0.0.5", "198.51.100.78", [("chair760", "a long enough password 1")]),
            ("127.0.0.6", None, [("newname", "wrong password!")]),
            ("127.0.0.1", "203.0.113.7", [("other", "wrong password!")]),
        ]
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # an event loop of its own
            answers = pool.submit(asyncio.run, _sign_in_attempts(base, attempts)).result()
        assert load_ws.cluster_traceback(log_dir) is None
    finally:
        load_ws.stop_cluster(process)
    failed, locked, other, proxied = answers
    assert all(len(shown) == 1 and shown[0].startswith(WRONG) for shown in failed), failed
    assert len(locked[0]) == 1 and any(text in locked[0][0] for text in LOCKED), locked
    assert other[0][0].startswith(WRONG) and proxied[0][0].startswith(WRONG)
    with engine.connect() as connection:
        rows = connection.execute(select(audit_log.c.action, audit_log.c.details).order_by(audit_log.c.id)).all()
    addresses = [(action, json.loads(details)["address"]) for action, details in rows]
    assert addresses == [("sign-in-failed", "127.0.0.5")] * throttle.ADDRESS_FREE + [
        ("sign-in-locked", "127.0.0.5"),
        ("sign-in-failed", "127.0.0.6"),
        ("sign-in-failed", "203.0.113.7"),
    ]
    assert throttle.locked_until(engine, "anyone", "127.0.0.5") is not None
    assert throttle.locked_until(engine, "anyone", "198.51.100.77") is None
    engine.dispose()


def test_sign_in_ticket_from_one_process_is_redeemed_by_another(monkeypatch):
    env = {**os.environ, "DASHBOARD_SESSION_SECRET": "shared-secret-for-the-test", "PYTHONPATH": str(ROOT)}

    def python(code: str) -> str:
        return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()

    ticket = python("from ui import session_cookie as s; print(s.issue_ticket('thu.nguyen', '/unit?unit=26734'))")
    # Another process with the same secret: redeemed once, then refused; a forged one refused.
    answer = python(f"from ui import session_cookie as s\nt = {ticket!r}\nprint(s.redeem_ticket(t), s.redeem_ticket(t), s.redeem_ticket(t[:-3] + 'abc'))")
    assert answer == "('thu.nguyen', '/unit?unit=26734') None None"
    # A process with another secret refuses it.
    env["DASHBOARD_SESSION_SECRET"] = "another"
    assert python(f"from ui import session_cookie as s; print(s.redeem_ticket({ticket!r}))") == "None"


def test_expired_ticket_and_foreign_next_path_are_refused():
    from ui import session_cookie

    old = session_cookie.issue_ticket("a", "/", now=1_000_000.0)
    assert session_cookie.redeem_ticket(old, now=1_000_000.0 + session_cookie.TICKET_SECONDS + 1) is None
    ticket = session_cookie.issue_ticket("a", "//evil.example/x")
    assert session_cookie.redeem_ticket(ticket) == ("a", "/")


def test_the_cluster_refuses_a_network_address_in_demo_mode(tmp_path):
    env = {**os.environ, "DASHBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'none.sqlite'}", "HOME": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "cluster.py"), "--workers", "2", "--address", "0.0.0.0", "--port", "1"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "single-user demo" in done.stderr


def test_a_process_drops_its_cached_data_when_another_one_changed_the_database(tmp_path, monkeypatch):
    """Behind the proxy an import runs in one process; the others must not keep showing the
    old figures for the cache's ten minutes."""
    from datetime import datetime

    import streamlit as st
    from sqlalchemy import insert

    from data_access import schema
    from data_access.db import make_engine
    from data_access.migrate import upgrade
    from ui import data

    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    monkeypatch.setattr(data, "VERSION_CHECK_SECONDS", 0.0)
    cleared = []
    monkeypatch.setattr(st.cache_data, "clear", lambda: cleared.append(1))
    data.db_key()
    data.db_key()
    assert cleared == []  # nothing changed
    with engine.begin() as connection:  # what an import in another process leaves behind
        connection.execute(insert(schema.refresh_log).values(table_name="all", refreshed_at=datetime.now()))
    assert data.db_key() == url
    assert cleared == [1]
    data.db_key()
    assert cleared == [1]
    engine.dispose()
