"""Concurrent sessions without a browser: N Streamlit sessions browse the pages over the websocket.

    python -m benchmarks.load_ws --sessions 20 --seconds 60     # benchmarks/out/default.sqlite, else var/demo.sqlite
    python -m benchmarks.load_ws --sessions 5 --seconds 30 --new-session-per-view
    python -m benchmarks.load_ws --sessions 1 --seconds 20 --hostile 0.2
    python -m benchmarks.load_ws --url postgresql://dashboard_app@127.0.0.1:5432/dashboard

benchmarks/load.py drives headless Chromium; on 2 cores twenty browsers take the CPU and its
times measure them. This client speaks Streamlit's own protocol on /_stcore/stream, as the
browser's frontend does, so the times are the app server's. It starts the app itself
(benchmarks.load.start_app: scripts/serve.py, headless, 127.0.0.1, a free port), makes one
untimed visit to "/" (the first run imports the pages' modules), then starts the sessions over
--ramp seconds; each browses until --seconds have passed: a view drawn from the pages (overview,
map, trends, rankings, a ward's profile, the review meeting) with a period, scope, KPI, unit...
drawn from the database's own (benchmarks.load.build_views), then a pause of 0..--think s.

The protocol (Streamlit 1.67: Starlette/uvicorn server, streamlit/web/server/starlette/
starlette_websocket.py; messages in streamlit/proto/BackMsg, ForwardMsg, ClientState):
- Connect to ws://HOST/_stcore/stream with the subprotocols ["streamlit", XSRF token, session
  id to resume]; the server echoes the first. Only "streamlit" is sent: no XSRF token (no
  cookie and no Origin header, so no sign-in cookie is read; the demo needs none) and no
  session to resume, so each connection is a new session. Frames are binary protobufs.
- Nothing runs until the client asks: BackMsg.rerun_script = ClientState(query_string without
  "?", page_name = the URL path without "/" ("" is the default page), page_script_hash "" (the
  server resolves the name against st.navigation's url_path; an unknown one gets a
  page_not_found and the default page), widget_states empty (the session keeps its widgets'
  values), cached_message_hashes, context_info (time zone, locale vi-VN, URL)).
- The run answers new_session (metadata.run.script_run_id), session_status_changed(running),
  page_config_changed, navigation, deltas (elements), page_info_changed (the query string the
  script wrote back), script_finished(status) and session_status_changed(not running). A run
  ended by st.rerun / st.switch_page finishes FINISHED_EARLY_FOR_RERUN and the next run sends
  its own new_session. Page time = from sending rerun_script (from opening the socket with
  --new-session-per-view) to the last run's script_finished.
- Messages of 10 kB or more carry metadata.cacheable and a hash; a later rerun that lists the
  hash in cached_message_hashes gets ForwardMsg(ref_hash) in its place. The client keeps what
  it needs of each (its errors, not its content) for two runs, as the frontend's cache does.
- Keep-alive: uvicorn pings the socket and the websockets library answers. BackMsg.app_heartbeat
  is sent by the frontend only when an embedding page asks for it: not needed here.

A view fails on: an exception element (st.exception, an uncaught error: delta.new_element or
new_transient .exception, not is_warning), an st.error alert (Alert format ERROR), a
script_compilation_exception or a FINISHED_WITH_COMPILE_ERROR, page_not_found, a sign-in
redirect, a closed socket, or no script_finished within --page-timeout. The --hostile share of
views are unit profiles of codes that do not exist ("<script>...", "' OR 1=1 --"): for those the
app's st.error "no unit with code ..." is the right answer (counted as refused, not an error),
and a missing refusal is an error. st.warning alerts (an ignored URL parameter...) are counted,
not errors. Messages arriving after a view has finished count for that view. Afterwards the
server log is searched for tracebacks.

Prints per page and overall: requests, errors, p50 / p95 / max seconds, and the app server's
CPU time (/proc of its pid) over the run; writes the same as JSON to benchmarks/out/load_ws.json
(--json). Exits 1 on any error. Bounded: --sessions <= 50, --seconds <= 300.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from benchmarks import load
from benchmarks.common import OUT, schema_problem
from domain.units import AREA_PREFIX

REPO_ROOT = load.REPO_ROOT
MAX_SESSIONS = 200
MAX_SECONDS = 300
RESULT_FILE = OUT / "load_ws.json"
SLOWEST_SHOWN = 20  # the slowest views kept in the JSON: which pages and parameters make the p95
STREAM_PATH = "/_stcore/stream"
# After a run's script_finished, how long to wait for the "not running" status that follows it.
STATUS_GRACE = 5.0
# The frontend's cache drops a message not used by the last 2 runs (global.maxCachedMessageAge).
CACHE_AGE = 2
HOSTILE_UNITS = ["99999999", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "760%00"]
# ui/reconnect.py's toast, as UTF-8 bytes inside the protobuf messages.
MOVED_MARKS = ("Máy chủ vừa được thay".encode(), b"The server was replaced")
CONTEXT = {"timezone": "Asia/Ho_Chi_Minh", "timezone_offset": -420, "locale": "vi-VN", "color_scheme": "light"}


@dataclass(frozen=True)
class View:
    """A page and its URL parameters' choices (parameter -> choices; a None choice leaves it out)."""

    name: str
    path: str
    extra: dict
    expect_refusal: bool = False  # a hostile link: the app's st.error refusal is the right answer


HOSTILE_VIEW = View("unit-hostile", "/unit", {"unit": HOSTILE_UNITS}, expect_refusal=True)


def plan(url: str, seed: int) -> tuple[list[View], dict]:
    """benchmarks.load's views (periods, scopes and wards from the database) plus a few KPIs,
    map areas, ranking levels, trend grains and meeting slides."""
    views, info = load.build_views(url, seed)
    districts = [scope for scope in info["scopes"] if scope and not scope.startswith(AREA_PREFIX)]
    # A two-tier city (its scopes are areas of former districts) maps and ranks its units as
    # the pages offer it: one map of the city, rankings of all units or of an area's.
    levels = [None, "wards", "all_wards"] if districts else [None, "all_wards", "area_wards"]
    more = {
        "map": {"kpi": [None, "on_time_rate", "received", "open_overdue_share"], "area": [None, *districts]},
        "trends": {"kpi": [None, "on_time_rate", "avg_processing_days"], "grain": [None, "week", "quarter"]},
        "rankings": {"kpi": [None, "on_time_rate", "service_index"], "level": levels},
        "meeting": {"slide": [None, "2", "last"]},
    }
    return [View(name, path, {**extra, **more.get(name, {})}) for name, path, extra in views], info


def view_query(view: View, info: dict, rng: random.Random) -> str:
    """The query string of one visit. The period type goes with the period, as the app's own
    links carry it: in a session that last showed months, a bare quarter would be ignored."""
    params = load.view_params(view.path, view.extra, info, rng)
    if "period" in params:
        from metrics import periods

        params = {"pk": periods.parse_period(params["period"]).kind, **params}
    return urlencode(params)


# --- the protocol ------------------------------------------------------------------------------
def _elements(msg):
    if msg.WhichOneof("type") != "delta":
        return
    kind = msg.delta.WhichOneof("type")
    if kind == "new_element":
        yield msg.delta.new_element
    elif kind == "new_transient":
        yield from msg.delta.new_transient.elements


def classify(msg) -> list[tuple[str, str]]:
    """What a ForwardMsg shows that matters here: [(category, text)], category one of
    "exception", "error alert", "warning", "page not found", "sign-in redirect"."""
    from streamlit.proto.Alert_pb2 import Alert

    found = []
    for element in _elements(msg):
        kind = element.WhichOneof("type")
        if kind == "exception":
            text = f"{element.exception.type}: {element.exception.message}"[:300]
            found.append(("warning" if element.exception.is_warning else "exception", text))
        elif kind == "alert" and element.alert.format == Alert.ERROR:
            found.append(("error alert", element.alert.body[:300]))
        elif kind == "alert" and element.alert.format == Alert.WARNING:
            found.append(("warning", element.alert.body[:300]))
    kind = msg.WhichOneof("type")
    if kind == "session_event" and msg.session_event.WhichOneof("type") == "script_compilation_exception":
        error = msg.session_event.script_compilation_exception
        found.append(("exception", f"{error.type}: {error.message}"[:300]))
    elif kind == "page_not_found":
        found.append(("page not found", msg.page_not_found.page_name or "(the URL path)"))
    elif kind == "auth_redirect":
        found.append(("sign-in redirect", msg.auth_redirect.url[:200]))
    return found


@dataclass
class Outcome:
    finished: float | None = None  # perf_counter() at the last run's script_finished
    problems: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    runs: int = 0
    messages: int = 0
    bytes: int = 0
    refs: int = 0
    usable: bool = True  # the session can take another view


class Connection:
    """One Streamlit session: a websocket on /_stcore/stream and a task reading it."""

    def __init__(self, ws):
        self.ws = ws
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.closed_reason: str | None = None
        self.cache: dict[str, tuple[list, int]] = {}  # hash -> (classify(msg), run count when last used)
        self.runs = 0
        self.session_id: str | None = None  # the server's, to resume it as the frontend does
        self.moved = False  # the app said the session came back on another process (ui/reconnect.py)
        self.widget_ids: dict[str, str] = {}  # a widget's key (key="...") -> its id, as last drawn
        self.reader = asyncio.create_task(self._read())

    @classmethod
    async def open(cls, ws_url: str, timeout: float, resume: str | None = None, **connect_options) -> Connection:
        """`resume`: the session id to ask back, as the frontend does when its socket drops
        (the third subprotocol entry; the second, the XSRF token, is a placeholder).
        `connect_options` go to websockets' connect (additional_headers, local_addr...)."""
        from websockets.asyncio.client import connect

        # No client pings (a browser sends none); max_size None: the server caps messages.
        protocols = ["streamlit", "none", resume] if resume else ["streamlit"]
        ws = await connect(ws_url, subprotocols=protocols, max_size=None, ping_interval=None, open_timeout=timeout, close_timeout=2, **connect_options)
        return cls(ws)

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                self.inbox.put_nowait(raw)
            self.closed_reason = f"socket closed by the server (code {self.ws.close_code})"
        except ConnectionClosed as error:
            self.closed_reason = f"socket closed: {error}"
        except Exception as error:  # noqa: BLE001 - reported as the view's error
            self.closed_reason = f"socket failed: {error!r}"
        finally:
            self.inbox.put_nowait(None)

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken socket
            await self.ws.close()
        self.reader.cancel()

    def _take(self, raw, outcome: Outcome) -> tuple[str | None, object]:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = ForwardMsg()
        msg.ParseFromString(raw)
        outcome.messages += 1
        outcome.bytes += len(raw)
        kind = msg.WhichOneof("type")
        if kind == "new_session" and msg.new_session.initialize.session_id:
            self.session_id = msg.new_session.initialize.session_id
        if not self.moved and any(mark in raw for mark in MOVED_MARKS):
            self.moved = True
        for element in _elements(msg):  # keyed widgets' ids: "$$ID-<hash>-<key>"
            widget = getattr(element, element.WhichOneof("type") or "", None)
            widget_id = getattr(widget, "id", "")
            if isinstance(widget_id, str) and widget_id.startswith("$$ID-") and widget_id.count("-") >= 2:
                self.widget_ids[widget_id.split("-", 2)[2]] = widget_id
        if kind == "ref_hash":
            outcome.refs += 1
            cached = self.cache.get(msg.ref_hash)
            if cached is None:
                found = [("exception", f"ref_hash {msg.ref_hash} of a message this client never had")]
            else:
                found = cached[0]
                self.cache[msg.ref_hash] = (found, self.runs)
        else:
            found = classify(msg)
            if msg.metadata.cacheable and msg.hash:
                self.cache[msg.hash] = (found, self.runs)
        for category, text in found:
            if category == "warning":
                outcome.warnings.append(text)
            elif category == "error alert":
                outcome.refusals.append(text)  # an error unless the view expects a refusal
            else:
                outcome.problems.append(f"{category}: {text}")
        return kind, msg

    async def visit(self, page_name: str, query: str, url: str, timeout: float, widgets: list | None = None) -> Outcome:
        """Run the page as a browser's navigation to `url` does; returns when the run has ended.
        `widgets`: WidgetState messages to send with the rerun (a form's values and its submit
        button's trigger_value), as the frontend does on an interaction."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.runs += 1
        self.cache = {h: entry for h, entry in self.cache.items() if self.runs - entry[1] <= CACHE_AGE}
        back = BackMsg()
        state = back.rerun_script
        state.query_string = query
        state.page_name = page_name
        state.page_script_hash = ""
        state.cached_message_hashes.extend(self.cache)
        state.widget_states.widgets.extend(widgets or [])
        for key, value in CONTEXT.items():
            setattr(state.context_info, key, value)
        state.context_info.url = url
        outcome = Outcome()
        started = time.perf_counter()
        try:
            await self.ws.send(back.SerializeToString())
        except Exception as error:  # noqa: BLE001 - a closed socket is the view's error
            outcome.problems.append(f"send failed: {error!r}")
            outcome.usable = False
            return outcome
        deadline = started + timeout
        while True:
            now = time.perf_counter()
            remaining = deadline - now if outcome.finished is None else min(deadline, outcome.finished + STATUS_GRACE) - now
            if remaining <= 0:
                if outcome.finished is None:
                    outcome.problems.append(f"timeout: no script_finished within {timeout:.0f} s")
                    outcome.usable = False  # still running: the next view gets a new session
                break
            try:
                raw = await asyncio.wait_for(self.inbox.get(), remaining)
            except TimeoutError:
                continue
            if raw is None:
                outcome.problems.append(self.closed_reason or "socket closed")
                outcome.usable = False
                break
            kind, msg = self._take(raw, outcome)
            if kind == "new_session":
                outcome.runs += 1
            elif kind == "script_finished":
                if msg.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun / st.switch_page: the next run follows
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    outcome.problems.append("script_finished: FINISHED_WITH_COMPILE_ERROR")
                outcome.finished = time.perf_counter()
            elif kind == "session_status_changed" and not msg.session_status_changed.script_is_running and outcome.finished is not None:
                break
        return outcome

    def drain(self) -> Outcome:
        """What arrived since the last view ended (a late exception, a closed socket)."""
        outcome = Outcome()
        while not self.inbox.empty():
            raw = self.inbox.get_nowait()
            if raw is None:
                outcome.problems.append(self.closed_reason or "socket closed")
                outcome.usable = False
                self.inbox.put_nowait(None)  # stays closed
                break
            self._take(raw, outcome)
        return outcome


# --- the sessions --------------------------------------------------------------------------------
@dataclass
class Options:
    sessions: int = 1
    seconds: float = 5.0
    page_timeout: float = 60.0
    think: float = 1.0
    think_min: float = 0.0
    ramp: float = 5.0
    seed: int = 1
    hostile: float = 0.0
    new_session_per_view: bool = False
    reconnect: bool = True  # a dropped socket: resume on the server the proxy picks, redo the view


@dataclass
class PageStats:
    requests: int = 0
    errors: int = 0
    refused: int = 0
    warnings: int = 0
    times: list[float] = field(default_factory=list)
    bytes: int = 0


@dataclass
class Results:
    pages: dict[str, PageStats] = field(default_factory=lambda: defaultdict(PageStats))
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    runs: int = 0
    refs: int = 0
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float | None = None
    server_cpu_peak: float | None = None  # the busiest 5 s, as a share of one core
    reconnects: int = 0  # views redone after the socket dropped (their app process stopped)
    moved_notices: int = 0  # ... whose new session said so (ui/reconnect.py's toast)
    server_rss_peak_mb: float | None = None  # the app processes' memory together, at its highest
    slowest: list[tuple[float, str]] = field(default_factory=list)  # (seconds, link) of every ok view

    def record(self, name: str, link: str, outcome: Outcome, started: float | None, expect_refusal: bool) -> None:
        page = self.pages[name]
        problems = list(outcome.problems)
        if outcome.refusals and not expect_refusal:
            problems += [f"st.error: {text}" for text in outcome.refusals]
        if started is not None:  # a view (not what arrived after it)
            page.requests += 1
            if expect_refusal and not outcome.refusals and outcome.finished:
                problems.append("hostile link not refused (no st.error message)")
            if expect_refusal and outcome.refusals:
                page.refused += 1
                if len(self.refusals) < 5:
                    self.refusals.append(f"{link}: {outcome.refusals[0][:160]}")
        page.warnings += len(outcome.warnings)
        page.bytes += outcome.bytes
        self.runs += outcome.runs
        self.refs += outcome.refs
        for text in outcome.warnings:
            if len(self.warnings) < 20:
                self.warnings.append(f"{link}: {text[:200]}")
        if problems:
            page.errors += 1
            self.errors.append(f"{link}: {'; '.join(problems)}"[:600] + ("" if started is not None else " (after the run)"))
        elif started is not None and outcome.finished is not None:
            page.times.append(outcome.finished - started)
            self.slowest.append((outcome.finished - started, link))


async def session(number: int, base: str, views: list[View], info: dict, deadline: float, options: Options, results: Results) -> None:
    rng = random.Random(options.seed * 1000 + number)
    ws_url = "ws" + base[len("http") :] + STREAM_PATH
    connection: Connection | None = None
    resume: str | None = None  # the session to ask back after a dropped socket
    try:
        while time.monotonic() < deadline:
            view = HOSTILE_VIEW if options.hostile and rng.random() < options.hostile else rng.choice(views)
            query = view_query(view, info, rng)
            link = view.path + (f"?{query}" if query else "")
            started = time.perf_counter()
            if connection is not None and options.new_session_per_view:
                await connection.close()
                connection = None
            if connection is None:
                try:
                    connection = await asyncio.wait_for(Connection.open(ws_url, options.page_timeout, resume), options.page_timeout)
                except Exception as error:  # noqa: BLE001 - a refused connection is the view's error
                    results.record(view.name, link, Outcome(problems=[f"connect failed: {error!r}"]), started, view.expect_refusal)
                    await asyncio.sleep(1)
                    continue
            remaining = max(1.0, options.page_timeout - (time.perf_counter() - started))
            outcome = await connection.visit(view.path.strip("/"), query, base + link, remaining)
            if resume is not None:  # the first view after a reconnect
                results.reconnects += 1
                results.moved_notices += connection.moved
                resume = None
            if options.reconnect and not outcome.usable and outcome.finished is None and _dropped(outcome):
                # Its app process stopped: reconnect through the proxy asking for the same
                # session, as the browser's frontend does, and redo the view there.
                resume = connection.session_id
                await connection.close()
                connection = await _reopen(ws_url, options, resume, started)
                if connection is not None:
                    remaining = max(1.0, options.page_timeout - (time.perf_counter() - started))
                    outcome = await connection.visit(view.path.strip("/"), query, base + link, remaining)
                    results.reconnects += 1
                    results.moved_notices += connection.moved
            results.record(view.name, link, outcome, started, view.expect_refusal)
            if not outcome.usable and connection is not None:
                await connection.close()
                connection = None
            if options.think > 0:
                await asyncio.sleep(rng.uniform(min(options.think_min, options.think), options.think))
            if connection is not None:
                late = connection.drain()
                if options.reconnect and not late.usable and _dropped(late):
                    # Dropped while the user was reading: the next view reconnects and resumes.
                    late.problems = [problem for problem in late.problems if not _dropped(Outcome(problems=[problem]))]
                    resume = connection.session_id
                if late.problems or late.refusals or late.warnings or late.bytes:
                    results.record(view.name, link, late, None, view.expect_refusal)
                if not late.usable:
                    await connection.close()
                    connection = None
    finally:
        if connection is not None:
            await connection.close()


async def _reopen(ws_url: str, options: Options, resume: str | None, started: float) -> Connection | None:
    """Reconnect as the frontend does after its socket dropped: retry with a growing pause,
    since the proxy may still send the first attempts to the process that just died."""
    for attempt in range(6):
        remaining = options.page_timeout - (time.perf_counter() - started)
        if remaining <= 0:
            break
        with contextlib.suppress(Exception):
            return await asyncio.wait_for(Connection.open(ws_url, remaining, resume), remaining)
        await asyncio.sleep(0.25 * 2**attempt)
    return None


def _dropped(outcome: Outcome) -> bool:
    return any(problem.startswith(("socket closed", "socket failed", "send failed")) for problem in outcome.problems)


class ServerProcesses:
    """The app processes' CPU seconds and memory: one pid, or the app processes under a
    scripts/cluster.py (found again each time: a stopped one is started anew). A process that
    is gone keeps the CPU it had used when last seen."""

    def __init__(self, pid: int, cluster: bool = False):
        self.pid, self.cluster = pid, cluster
        self.seen: dict[int, float] = {}
        self.rss_peak_mb = 0.0

    def pids(self) -> list[int]:
        if not self.cluster:
            return [self.pid]
        return [child for child in _children(self.pid) if b"serve.py" in _cmdline(child)]

    def cpu(self) -> float:
        rss = 0.0
        for pid in self.pids():
            self.seen[pid] = max(self.seen.get(pid, 0.0), load.cpu_seconds(pid))
            rss += _rss_mb(pid)
        self.rss_peak_mb = max(self.rss_peak_mb, rss)
        return sum(self.seen.values())


def _children(pid: int) -> list[int]:
    try:
        return [int(child) for child in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0.0


async def _sample_cpu(server: ServerProcesses, samples: list[tuple[float, float]]) -> None:
    while True:
        samples.append((time.perf_counter(), server.cpu()))
        await asyncio.sleep(1.0)


def _peak_share(samples: list[tuple[float, float]], window: float = 5.0) -> float | None:
    best = None
    for i, (t0, c0) in enumerate(samples):
        for t1, c1 in samples[i + 1 :]:
            if t1 - t0 >= window:
                share = (c1 - c0) / (t1 - t0)
                best = share if best is None else max(best, share)
                break
    return best


async def drive(
    base: str, views: list[View], info: dict, options: Options, server_pid: int | None = None, server: ServerProcesses | None = None, during=None
) -> Results:
    """Run the sessions against the app at `base` ("http://127.0.0.1:PORT"). `during`: a
    coroutine function run beside the sessions (e.g. one that stops an app process)."""
    server = server or (ServerProcesses(server_pid) if server_pid else None)
    results = Results()
    ws_url = "ws" + base[len("http") :] + STREAM_PATH
    # One visit first, not timed: the server's first run imports the pages' modules.
    warm = await Connection.open(ws_url, options.page_timeout)
    try:
        first = await warm.visit("", "", base + "/", max(options.page_timeout, 120))
    finally:
        await warm.close()
    if first.problems or first.refusals or first.finished is None:
        results.errors.append(f"warm-up visit to /: {'; '.join(first.problems + first.refusals) or 'no script_finished'}")
        return results
    samples: list[tuple[float, float]] = []
    sampler = asyncio.create_task(_sample_cpu(server, samples)) if server else None
    started, cpu_before, client_before = time.perf_counter(), (server.cpu() if server else 0.0), time.process_time()
    deadline = time.monotonic() + options.seconds
    side = asyncio.create_task(during()) if during else None
    await load.run_sessions(
        lambda number: session(number, base, views, info, deadline, options, results),
        options.sessions,
        min(options.ramp, options.seconds / 2),
        options.seconds + options.page_timeout + 30,
        results.errors,
    )
    results.wall = time.perf_counter() - started
    results.client_cpu = time.process_time() - client_before
    if side is not None:
        await side
    if server:
        sampler.cancel()
        results.server_cpu = server.cpu() - cpu_before
        samples.append((time.perf_counter(), results.server_cpu + cpu_before))
        results.server_cpu_peak = _peak_share(samples)
        results.server_rss_peak_mb = round(server.rss_peak_mb, 1)
    return results


def run(
    base: str, views: list[View], info: dict, options: Options, server_pid: int | None = None, server: ServerProcesses | None = None, during=None
) -> Results:
    return asyncio.run(drive(base, views, info, options, server_pid, server, during))


# --- report ----------------------------------------------------------------------------------------
def _stats(times: list[float]) -> dict:
    if not times:
        return {"median_s": None, "p95_s": None, "max_s": None}
    return {"median_s": round(statistics.median(times), 3), "p95_s": round(load.percentile(times, 95), 3), "max_s": round(max(times), 3)}


def summary(results: Results) -> dict:
    pages = {}
    for name in sorted(results.pages):
        page = results.pages[name]
        pages[name] = {
            "requests": page.requests,
            "errors": page.errors,
            "ok": len(page.times),
            "refused": page.refused,
            "warnings": page.warnings,
            "megabytes": round(page.bytes / 1e6, 2),
            **_stats(page.times),
        }
    every = [t for page in results.pages.values() for t in page.times]
    overall = {
        "requests": sum(p.requests for p in results.pages.values()),
        "errors": len(results.errors),
        "ok": len(every),
        "refused": sum(p.refused for p in results.pages.values()),
        "warnings": sum(p.warnings for p in results.pages.values()),
        "megabytes": round(sum(p.bytes for p in results.pages.values()) / 1e6, 2),
        **_stats(every),
        "views_per_s": round(len(every) / results.wall, 2) if results.wall else None,
    }
    return {
        "pages": pages,
        "overall": overall,
        "script_runs": results.runs,
        "ref_hash_messages": results.refs,
        "wall_s": round(results.wall, 1),
        "client_cpu_s": round(results.client_cpu, 1),
        "server_cpu_s": None if results.server_cpu is None else round(results.server_cpu, 1),
        "server_cpu_share_of_one_core": None if results.server_cpu is None or not results.wall else round(results.server_cpu / results.wall, 3),
        "server_cpu_peak_5s_share": None if results.server_cpu_peak is None else round(results.server_cpu_peak, 3),
        "server_cpu_ms_per_view": round(1000 * results.server_cpu / len(every), 1) if results.server_cpu is not None and every else None,
        "server_rss_peak_mb": results.server_rss_peak_mb,
        "reconnects": results.reconnects,
        "moved_notices": results.moved_notices,
        "slowest_views": [{"s": round(seconds, 3), "link": link} for seconds, link in sorted(results.slowest, reverse=True)[:SLOWEST_SHOWN]],
        "errors": results.errors[:100],
        "warnings": results.warnings,
        "refusals": results.refusals,
    }


def report(data: dict) -> None:
    print(f"\n{'page':13s} {'requests':>8s} {'errors':>6s} {'refused':>7s} {'p50 s':>7s} {'p95 s':>7s} {'max s':>7s}")
    rows = [*data["pages"].items(), ("all", data["overall"])]
    for name, row in rows:
        times = "".join(f" {row[k]:7.2f}" if row[k] is not None else f" {'-':>7s}" for k in ("median_s", "p95_s", "max_s"))
        print(f"{name:13s} {row['requests']:8d} {row['errors']:6d} {row['refused']:7d}{times}")
    overall = data["overall"]
    print(
        f"ok views {overall['ok']} ({overall['views_per_s']} /s), script runs {data['script_runs']}, st.warning {overall['warnings']}, "
        f"ref_hash messages {data['ref_hash_messages']}, received {overall['megabytes']} MB, client CPU {data['client_cpu_s']} s"
    )
    if data["server_cpu_s"] is not None:
        print(
            f"app server CPU {data['server_cpu_s']} s over {data['wall_s']} s wall = {data['server_cpu_share_of_one_core']:.0%} of one core "
            f"(busiest 5 s: {data['server_cpu_peak_5s_share'] or 0:.0%}); the machine has {os.cpu_count()} cores"
        )
        print(f"app server CPU per view {data['server_cpu_ms_per_view']} ms; app processes' memory at its highest {data['server_rss_peak_mb']} MB")
    if data.get("reconnects"):
        print(f"views redone after their app process stopped: {data['reconnects']} (the new session said so: {data['moved_notices']})")
    print("slowest views: " + ", ".join(f"{view['s']:.2f} s {view['link']}" for view in data["slowest_views"][:5]))
    for text in data["refusals"][:3]:
        print("REFUSED (expected)", text)
    for text in data["warnings"][:3]:
        print("st.warning (page content, or a URL parameter ignored)", text)
    for error in data["errors"][:30]:
        print("ERROR", error)
    if len(data["errors"]) > 30:
        print(f"... and {len(data['errors']) - 30} more errors")


# --- command line -------------------------------------------------------------------------------------
def _bounded(kind, low, high):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}, not {text}")
        return value

    return parse


def start_cluster(url: str, workers: int, startup_timeout: float = 180.0):
    """scripts/cluster.py with `workers` app processes behind HAProxy on a free port, on the
    database `url`. Returns (process, base URL, log folder); stop it with stop_cluster."""
    import socket
    import subprocess
    import tempfile
    import urllib.request

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log_dir = Path(tempfile.mkdtemp(prefix="load_ws_cluster_"))
    process = subprocess.Popen(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "cluster.py"),
            "--workers",
            str(workers),
            "--port",
            str(port),
            "--log-dir",
            str(log_dir),
            "--restart-delay",
            "1",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "DASHBOARD_DATABASE_URL": url},
        stdout=(log_dir / "cluster.log").open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + startup_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scripts/cluster.py exited: {(log_dir / 'cluster.log').read_text()[-2000:]}")
        config = log_dir / "haproxy.cfg"
        ports = [line.split("127.0.0.1:")[1].split()[0] for line in config.read_text().splitlines() if " server w" in line] if config.exists() else []
        up = 0
        for worker_port in ports:
            with contextlib.suppress(Exception):
                with urllib.request.urlopen(f"http://127.0.0.1:{worker_port}/_stcore/health", timeout=2) as answer:
                    up += answer.status == 200
        if ports and up == len(ports) and _answers(f"http://127.0.0.1:{port}/_stcore/health"):
            # The proxy routes to a first process; its checks (every 2 s, two to rise: SERVER_LINE
            # in scripts/cluster.py) bring the others up within 4 s of their first answer.
            time.sleep(4.5)
            return process, f"http://127.0.0.1:{port}", log_dir
        time.sleep(0.5)
    stop_cluster(process)
    raise RuntimeError(f"the cluster did not start within {startup_timeout:.0f} s (logs in {log_dir})")


def _answers(url: str) -> bool:
    import urllib.request

    with contextlib.suppress(Exception):
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    return False


def stop_cluster(process) -> None:
    import signal

    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except Exception:  # noqa: BLE001 - then by force, the whole group
            os.killpg(process.pid, signal.SIGKILL)


def cluster_traceback(log_dir: Path) -> str | None:
    for log in sorted(log_dir.glob("worker*.log")):
        text = log.read_text(errors="replace")
        if "Traceback" in text:
            return f"{log.name} holds a traceback:\n" + text[text.index("Traceback") :][:1500]
    return None


def stop_worker_after(server: ServerProcesses, seconds: float, stopped: list):
    """A `during` coroutine: after `seconds`, SIGKILL the first app process (as a crash would)."""
    import signal

    async def stop() -> None:
        await asyncio.sleep(seconds)
        pids = sorted(server.pids())
        if pids:
            os.kill(pids[0], signal.SIGKILL)
            stopped.append(pids[0])

    return stop


def default_db_url() -> str:
    """The benchmarks' default-size database if it was built, else the app's demo database."""
    from data_access.db import DEFAULT_SQLITE_PATH

    built = OUT / "default.sqlite"
    return f"sqlite:///{built if built.exists() else DEFAULT_SQLITE_PATH}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=_bounded(int, 1, MAX_SESSIONS), default=20, help=f"simultaneous sessions (1..{MAX_SESSIONS})")
    parser.add_argument("--seconds", type=_bounded(float, 1, MAX_SECONDS), default=60.0, help=f"seconds of browsing (1..{MAX_SECONDS})")
    parser.add_argument("--page-timeout", type=_bounded(float, 1, 300), default=60.0, help="seconds before a view counts as failed")
    parser.add_argument("--think", type=_bounded(float, 0, 60), default=1.0, help="each session pauses 0..THINK s between views")
    parser.add_argument("--think-min", type=_bounded(float, 0, 60), default=0.0, help="the shortest pause (default 0): --think-min 5 --think 15 pauses 5..15 s")
    parser.add_argument("--ramp", type=_bounded(float, 0, 60), default=5.0, help="seconds over which the sessions start")
    parser.add_argument("--hostile", type=_bounded(float, 0, 1), default=0.0, help="share of views that are unit links with bad codes")
    parser.add_argument(
        "--new-session-per-view",
        action="store_true",
        help="a new websocket (Streamlit session) per view, as a page load or a followed link does; "
        "default: each session stays connected and reruns with the next view, as in-app navigation does",
    )
    parser.add_argument("--url", default=None, help="database URL (default: benchmarks/out/default.sqlite if built, else var/demo.sqlite)")
    parser.add_argument(
        "--workers",
        type=_bounded(int, 1, 16),
        default=None,
        help="run the app as N processes behind HAProxy (scripts/cluster.py) and load it through the proxy",
    )
    parser.add_argument(
        "--kill-worker-at",
        type=float,
        default=None,
        metavar="S",
        help="with --workers: SIGKILL one app process S seconds into the run (its sessions reconnect)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=RESULT_FILE, help=f"where to write the results (default {RESULT_FILE})")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(REPO_ROOT))
    url = args.url or default_db_url()
    problem = schema_problem(url)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    options = Options(
        sessions=args.sessions,
        seconds=args.seconds,
        page_timeout=args.page_timeout,
        think=args.think,
        think_min=args.think_min,
        ramp=args.ramp,
        seed=args.seed,
        hostile=args.hostile,
        new_session_per_view=args.new_session_per_view,
    )
    views, info = plan(url, args.seed)
    load_before = os.getloadavg()
    print(f"database: {url}")
    print(f"periods {info['periods']}, scopes {info['scopes']}, wards {info['wards']}")
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f} {load_before[2]:.2f}")
    if args.workers:
        process, base, log_dir = start_cluster(url, args.workers)
        processes = ServerProcesses(process.pid, cluster=True)
        print(f"app: {base} (HAProxy and {args.workers} app processes {sorted(processes.pids())}, logs {log_dir})", flush=True)
        stopped: list[int] = []
        during = stop_worker_after(processes, args.kill_worker_at, stopped) if args.kill_worker_at is not None else None
        try:
            results = run(base, views, info, options, server=processes, during=during)
            if stopped:
                print(f"stopped app process {stopped[0]} (SIGKILL) {args.kill_worker_at:.0f} s into the run")
            traceback = cluster_traceback(log_dir)
            if traceback:
                results.errors.append(traceback)
        finally:
            stop_cluster(process)
    else:
        server = load.start_app(url)
        pid = server.process.pid
        print(f"app: {server.url} (pid {pid}, log {server.log_path})", flush=True)
        try:
            results = run(server.url, views, info, options, server_pid=pid)
            traceback = load.log_traceback(server)
            if traceback:
                results.errors.append(traceback)
        finally:
            server.stop()
    data = summary(results)
    data = {
        "database": url,
        "workers": args.workers or 1,
        "sessions": options.sessions,
        "seconds": options.seconds,
        "mode": "new session per view" if options.new_session_per_view else "one session per user, rerun per view",
        "think_s": [options.think_min, options.think],
        "hostile_share": options.hostile,
        "seed": options.seed,
        "cpu_count": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        **data,
    }
    report(data)
    print(f"load average before {load_before[0]:.2f}, after {data['load_average_after'][0]:.2f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(data, indent=1, ensure_ascii=False))
    print(f"results: {args.json}")
    return 1 if results.errors else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
