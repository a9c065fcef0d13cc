"""Concurrent sessions against the real app: N browser sessions browse pages for a while.

    python -m benchmarks.load                         # 20 sessions, 60 s, benchmarks/out/default.sqlite
    python -m benchmarks.load --sessions 5 --duration 20
    python -m benchmarks.load --url postgresql://dashboard_app@127.0.0.1:5432/dashboard

The script starts the app itself (`scripts/serve.py`, headless, on 127.0.0.1 and a free
port), then drives the sessions from one headless Debian Chromium (Playwright's async API,
one browser context per session, so each is a separate Streamlit session). Each session
loops over the pages (overview, map, trends, rankings, a ward's profile, the review meeting)
with a period and scope drawn from a small list, each as a fresh navigation to the view's
link, and measures the time from the navigation until the app's script run has finished
(`[data-testid='stApp'][data-test-script-state='notRunning']`). A view fails when it shows
a traceback (`stException`), an error message (`st.error`: schema outdated, database refused,
the "cannot reach the database" message), Streamlit's "Page not
found" dialog, or takes longer than --page-timeout. Afterwards the server log is searched for
tracebacks.

Prints the count, the errors, p50 / p95 / max per page and overall; exits 1 on any error.
Bounded: --duration is capped at 600 s and --max-loads (default 3000) caps the page loads.
Traffic goes to 127.0.0.1 only: any other request from the browser is aborted and reported.
Machine: 2 cores run the server *and* the browser, so times include CPU contention.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode, urlparse

REPO_ROOT = Path(__file__).resolve().parent.parent
MAX_DURATION = 600.0
APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"
ERROR_ALERT = "[data-testid='stAlertContentError']"  # st.error: schema outdated, database refused…
UNREACHABLE = "Không kết nối được cơ sở dữ liệu"
ALLOWED_HOSTS = {"127.0.0.1"}


@dataclass
class Results:
    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    loads: int = 0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100)."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def build_views(url: str, seed: int) -> tuple[list[tuple[str, str, dict]], dict]:
    """The (page name, path, parameters) choices, from the database's own units and extent."""
    import pandas as pd

    from data_access import queries
    from data_access.db import make_engine
    from domain.units import AREA_PREFIX, home_city
    from metrics import periods

    engine = make_engine(url)
    try:
        units = queries.load_units(engine)
        extent = queries.data_extent(engine)
    finally:
        engine.dispose()
    last = periods.latest_complete_month(extent["last_day"] + timedelta(days=1))
    months = [last, periods.previous_period(last), periods.previous_period(periods.previous_period(last))]
    quarter = periods.period_of(last.start, "quarter")
    if quarter.end > last.end:
        quarter = periods.previous_period(quarter)
    period_keys = [None, *[p.key for p in months], quarter.key]  # None: the default view
    rng = random.Random(seed)
    city = home_city(units)
    # Scopes as the filter bar offers them for the latest period: a district in force, or
    # where districts have ended (the two-tier city) the area of a former district.
    in_force = units["valid_to"].isna() if "valid_to" in units else pd.Series(True, index=units.index)
    districts = sorted(units.loc[(units["level"] == "district") & in_force, "code"])
    if not districts:
        districts = [AREA_PREFIX + code for code in sorted(units.loc[units["level"] == "district", "code"])]
    wards = sorted(units.loc[(units["level"] == "ward") & in_force, "code"])
    scopes = [None, *rng.sample(districts, min(2, len(districts)))]
    sample_wards = rng.sample(wards, min(5, len(wards)))
    info = {"periods": period_keys, "scopes": scopes, "wards": sample_wards, "city": city}
    return [
        ("overview", "/", {}),
        ("map", "/map", {}),
        ("trends", "/trends", {}),
        ("rankings", "/rankings", {}),
        ("unit", "/unit", {"unit": sample_wards}),
        ("meeting", "/meeting", {}),
    ], info


def view_params(path: str, extra: dict, info: dict, rng: random.Random) -> dict:
    """A view's URL parameters: a period and scope drawn from `info`, one of each extra's
    choices (a None choice leaves the parameter out: the page's default)."""
    params = {}
    period = rng.choice(info["periods"])
    if period:
        params["period"] = period
    scope = rng.choice(info["scopes"])
    if scope and path != "/unit":
        params["scope"] = scope
    for key, choices in extra.items():
        value = rng.choice(choices)
        if value is not None:
            params[key] = value
    return params


def view_link(base: str, path: str, extra: dict, info: dict, rng: random.Random) -> str:
    params = view_params(path, extra, info, rng)
    return f"{base}{path}" + (f"?{urlencode(params)}" if params else "")


async def session(number: int, browser, base: str, views, info, deadline: float, args, results: Results) -> None:
    rng = random.Random(args.seed * 1000 + number)
    context = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="vi-VN")

    async def guard(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ALLOWED_HOSTS:
            await route.continue_()
        else:
            results.blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", guard)
    page = await context.new_page()
    try:
        while time.monotonic() < deadline and results.loads < args.max_loads:
            name, path, extra = rng.choice(views)
            link = view_link(base, path, extra, info, rng)
            results.loads += 1
            started = time.perf_counter()
            try:
                await page.goto(link, wait_until="commit", timeout=args.page_timeout * 1000)
                await page.wait_for_selector(APP_IDLE, timeout=args.page_timeout * 1000)
                elapsed = time.perf_counter() - started
                problems = []
                if await page.locator(EXCEPTION).count():
                    problems.append("exception: " + (await page.locator(EXCEPTION).first.inner_text())[:300])
                if await page.locator(ERROR_ALERT).count():
                    problems.append("error message: " + (await page.locator(ERROR_ALERT).first.inner_text())[:300])
                elif await page.get_by_text(UNREACHABLE).count():
                    problems.append("database unreachable message")
                if await page.get_by_text("Page not found").count():
                    problems.append("'Page not found' dialog")
                if problems:
                    results.errors.append(f"session {number} {link}: {'; '.join(problems)}")
                else:
                    results.times[name].append(elapsed)
            except Exception as error:  # noqa: BLE001 - a timeout or a crash is a recorded error
                results.errors.append(f"session {number} {link}: {type(error).__name__}: {str(error).splitlines()[0][:200]}")
            if args.think > 0:
                await asyncio.sleep(rng.uniform(0, args.think))
    finally:
        await context.close()


async def drive(base: str, views, info, args) -> Results:
    from playwright.async_api import async_playwright

    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    results = Results()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            # One visit first, not timed: the server's first run imports the pages' modules.
            warm = await browser.new_context()
            warm_page = await warm.new_page()
            await warm_page.goto(base + "/", timeout=args.page_timeout * 1000)
            await warm_page.wait_for_selector(APP_IDLE, timeout=args.page_timeout * 1000)
            await warm.close()
            deadline = time.monotonic() + args.duration
            await run_sessions(
                lambda number: session(number, browser, base, views, info, deadline, args, results),
                args.sessions,
                args.ramp,
                args.duration + args.page_timeout + 30,
                results.errors,
            )
        finally:
            await browser.close()
    return results


async def run_sessions(start, count: int, ramp: float, timeout: float, errors: list[str]) -> None:
    """Start `count` sessions (`start(number)` gives each one's coroutine) spread over `ramp`
    seconds, as people arrive, and wait at most `timeout`: a session still running then is
    cancelled, and that is an error, as is a session that crashed."""
    tasks = []
    for number in range(count):
        tasks.append(asyncio.create_task(start(number)))
        await asyncio.sleep(ramp / max(count, 1))
    await asyncio.wait(tasks, timeout=timeout)
    for task in tasks:
        if not task.done():
            task.cancel()
            errors.append("a session did not finish in time (cancelled)")
        elif task.exception():
            errors.append(f"session crashed: {task.exception()!r}")


def start_app(url: str):
    """app.py started through scripts/serve.py (headless, 127.0.0.1, a free port) on the
    database `url`: a started tests.support.app_server.StreamlitServer (.url, .stop())."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.app_server import StreamlitServer

    server = StreamlitServer(REPO_ROOT / "app.py", env={"DASHBOARD_DATABASE_URL": url}, cwd=REPO_ROOT, startup_timeout=120)
    server.start()
    return server


def log_traceback(server) -> str | None:
    """The first traceback in the server's log, as an error line, or None."""
    log = server.log_tail(2_000_000)
    if "Traceback" not in log:
        return None
    return "the server log holds a traceback:\n" + log[log.index("Traceback") :][:1500]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), 0 where it cannot be read."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def report(results: Results, wall: float, args) -> None:
    every = [t for times in results.times.values() for t in times]
    print(
        f"\nsessions {args.sessions}, duration {args.duration:.0f} s (wall {wall:.0f} s), page loads {results.loads}, "
        f"ok {len(every)}, errors {len(results.errors)}, blocked non-local requests {len(results.blocked)}"
    )
    print(f"{'page':10s} {'count':>6s} {'p50 s':>7s} {'p95 s':>7s} {'max s':>7s}")
    for name in sorted(results.times):
        times = results.times[name]
        print(f"{name:10s} {len(times):6d} {statistics.median(times):7.2f} {percentile(times, 95):7.2f} {max(times):7.2f}")
    if every:
        print(f"{'all':10s} {len(every):6d} {statistics.median(every):7.2f} {percentile(every, 95):7.2f} {max(every):7.2f}")
        print(f"throughput {len(every) / wall:.2f} page views/s")
    for error in results.errors[:30]:
        print("ERROR", error)
    if len(results.errors) > 30:
        print(f"... and {len(results.errors) - 30} more errors")
    for url in sorted(set(results.blocked))[:10]:
        print("BLOCKED", url)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--duration", type=float, default=60.0, help=f"seconds of browsing (at most {MAX_DURATION:.0f})")
    parser.add_argument("--max-loads", type=int, default=3000, help="stop after this many page loads in all")
    parser.add_argument("--page-timeout", type=float, default=120.0, help="seconds before a view counts as failed")
    parser.add_argument("--think", type=float, default=1.0, help="each session pauses 0..THINK s between views")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which the sessions start")
    parser.add_argument("--url", default=None, help="database URL (default: benchmarks/out/default.sqlite)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    args.duration = max(1.0, min(args.duration, MAX_DURATION))
    args.sessions = max(1, min(args.sessions, 50))

    sys.path.insert(0, str(REPO_ROOT))
    from benchmarks.common import demo_db_url, schema_problem

    url = args.url or demo_db_url("default")
    problem = schema_problem(url)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    views, info = build_views(url, args.seed)
    print(f"database: {url}")
    print(f"periods {info['periods']}, scopes {info['scopes']}, wards {info['wards']}")
    server = start_app(url)
    print(f"app: {server.url} (pid {server.process.pid}, log {server.log_path})", flush=True)
    try:
        started, cpu_before = time.perf_counter(), cpu_seconds(server.process.pid)
        results = asyncio.run(drive(server.url, views, info, args))
        wall = time.perf_counter() - started
        server_cpu = cpu_seconds(server.process.pid) - cpu_before
        traceback = log_traceback(server)
        if traceback:
            results.errors.append(traceback)
    finally:
        server.stop()
    report(results, wall, args)
    print(
        f"app server CPU {server_cpu:.0f} s over {wall:.0f} s wall ({server_cpu / wall:.0%} of one core; the machine has "
        f"{os.cpu_count()} cores, the rest went to the browser and anything else running), load average now {os.getloadavg()[0]:.1f}"
    )
    return 1 if results.errors else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    raise SystemExit(main())
