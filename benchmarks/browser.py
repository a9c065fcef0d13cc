"""Time pages in a real browser (Debian Chromium + Playwright): click to drawn chart.

    python -m benchmarks.browser --url sqlite:////path/demo.sqlite     # starts its own server
    python -m benchmarks.browser --server http://127.0.0.1:8501          # a running one
    python -m benchmarks.browser --url ... --shots /work/notes/shots13   # also 1920x1080 screenshots
    python -m benchmarks.browser --url ... --only map --query period=2026-10   # the map page alone
    python -m benchmarks.browser --url ... --query period=2026-10 --drill-query period=2025-05  # drill down a district

What is measured, at 1920x1080 (a projector):
- first overview of a new session: a fresh browser context opens the overview; from
  `goto` to the page idle with every plotly chart drawn;
- each page, cold then warm: a click on the sidebar link, until the page's title shows,
  the script is idle and every chart on the page is drawn (plotly laid out, MapLibre
  loaded, images decoded). Warm = the best of the later visits;
- a deep link (rankings of all wards with the funnel) in a fresh browser context;
- a map drill-down: a click on a district polygon until its wards' map is drawn.
With `--only map`: the map page alone (a deep link in a fresh browser, then cold and warm
visits, the switch to the centre view), with the bytes the browser received over the
WebSocket for each (the figure is most of them).
Not a test: figures depend on the machine and its load; the script prints the load average.
Targets (issue 13): warm <= 1 s, first overview <= 2 s, deep link <= 2.5 s, drill-down <= 1 s.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.support.browser import APP_IDLE, launch_chromium  # noqa: E402

# Every plotly figure laid out (maps: MapLibre loaded) and every image decoded.
DRAWN = """() => {
    const idle = document.querySelector("[data-testid='stApp'][data-test-script-state='notRunning']");
    if (!idle) return false;
    const plots = Array.from(document.querySelectorAll("[data-testid='stPlotlyChart']"));
    for (const holder of plots) {
        const gd = holder.querySelector('.js-plotly-plot');
        if (!gd || !gd._fullLayout) return false;
        if (gd._fullLayout.map) {
            const map = gd._fullLayout.map._subplot && gd._fullLayout.map._subplot.map;
            if (!map || !map.loaded()) return false;
        }
    }
    return Array.from(document.querySelectorAll("[data-testid='stImage'] img")).every(img => img.complete && img.naturalWidth > 0);
}"""

PAGES = [  # (sidebar link vi, title prefix in the page's h1, path)
    ("Tổng quan", "Tổng quan", ""),  # the default page lives at /
    ("Bản đồ", "Bản đồ", "map"),
    ("Xu hướng", "Xu hướng", "trends"),
    ("Xếp hạng", "Xếp hạng", "rankings"),
    ("Hồ sơ đơn vị", None, "unit"),
    ("Họp giao ban", None, "meeting"),
    ("Dữ liệu", "Dữ liệu", "data"),
]


def wait_drawn(page, title: str | None = None, timeout: float = 120_000, link: str | None = None) -> None:
    """Until the page is drawn: its h1 starts with `title` (or the sidebar marks `link` as
    the current page, for pages whose h1 varies), the script is idle, every chart drawn."""
    if title:
        page.wait_for_function("(t) => { const h = document.querySelector('h1'); return h && h.innerText.startsWith(t); }", arg=title, timeout=timeout)
    elif link:
        page.wait_for_function(
            """(t) => Array.from(document.querySelectorAll("[data-testid='stSidebarNav'] a[aria-current='page']"))
            .some(a => a.innerText.trim().endsWith(t))""",
            arg=link,
            timeout=timeout,
        )
    page.wait_for_selector(APP_IDLE, timeout=timeout)
    page.wait_for_function(DRAWN, timeout=timeout)


def new_page(browser):
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    context.set_default_timeout(120_000)
    return context, context.new_page()


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def click_page(page, link: str, title: str | None, path: str) -> float:
    def go():
        page.locator("[data-testid='stSidebarNav'] a", has_text=link).first.click()
        page.wait_for_url(f"**/{path}?**" if path else "**/?**")
        wait_drawn(page, title, link=link)

    return timed(go)


def drill_down(page, base: str, query: str) -> float:
    """Click the district with the most area on the city's map; until its wards are drawn."""
    import shapely
    from shapely.ops import polylabel

    page.goto(f"{base}/map?{query}")
    page.wait_for_selector(".js-plotly-plot .main-svg", state="attached")
    wait_drawn(page, "Bản đồ")
    # A map names its boundaries by URL (geo.published) or, read-only, carries them inline.
    features = page.evaluate("""async () => { const plots = document.querySelectorAll('.js-plotly-plot');
        const traces = plots[plots.length - 1].data.filter(t => t.type === 'choroplethmap' && t.locations && t.locations.length);
        const shown = new Set(traces.flatMap(t => Array.from(t.locations).map(String)));
        const all = [];
        for (const t of traces) { const g = typeof t.geojson === 'string' ? await (await fetch(t.geojson)).json() : t.geojson; all.push(...g.features); }
        return all.filter(f => shown.has(String(f.id))); }""")
    feature = max(features, key=lambda f: shapely.geometry.shape(f["geometry"]).area)
    names = dict(
        zip(
            *page.evaluate("""() => { const plots = document.querySelectorAll('.js-plotly-plot');
        const t = plots[plots.length - 1]._fullData.find(t => t.type === 'choroplethmap');
        return [Array.from(t.locations).map(String), Array.from(t.text).map(s => s.split('<br>')[0].replace(/<[^>]+>/g, ''))]; }""")
        )
    )
    shape = shapely.geometry.shape(feature["geometry"])
    if shape.geom_type == "MultiPolygon":
        shape = max(shape.geoms, key=lambda part: part.area)
    point = polylabel(shape, tolerance=1e-5)
    page.locator(".js-plotly-plot").last.evaluate("e => e.scrollIntoView({block: 'center'})")
    pixel = page.evaluate(
        """([lon, lat]) => { const plots = document.querySelectorAll('.js-plotly-plot');
        const map = plots[plots.length - 1]._fullLayout.map._subplot.map; const p = map.project([lon, lat]);
        const box = map.getContainer().getBoundingClientRect(); return {x: box.left + p.x, y: box.top + p.y}; }""",
        [point.x, point.y],
    )
    page.mouse.move(pixel["x"], pixel["y"])
    page.wait_for_timeout(300)

    def go():
        page.mouse.click(pixel["x"], pixel["y"])
        page.wait_for_url(f"**area={feature['id']}**")
        page.wait_for_function("(code) => document.querySelector('h1') && document.querySelector('h1').innerText.includes(code)", arg=names[str(feature["id"])])
        wait_drawn(page, "Bản đồ")

    return timed(go)


def received_bytes(page) -> list:
    """A list that grows with the size of every WebSocket frame the page receives."""
    sizes = []

    def watch(ws):
        ws.on("framereceived", lambda payload: sizes.append(len(payload)))

    page.on("websocket", watch)
    return sizes


def map_only(browser, base: str, query: str, visits: int) -> list:
    """The map page: deep link in a fresh browser, cold and warm visits, the centre view."""
    rows = []
    context, page = new_page(browser)
    sizes = received_bytes(page)
    deep = timed(lambda: (page.goto(f"{base}/map?{query}"), wait_drawn(page, "Bản đồ")))
    rows.append(("map, deep link in a fresh browser", deep, None, sum(sizes)))
    times, received = [], []
    for _ in range(visits):
        click_page(page, *PAGES[0])
        del sizes[:]
        times.append(click_page(page, *PAGES[1]))
        received.append(sum(sizes))
    rows.append(("map, sidebar click", times[0], min(times[1:]) if len(times) > 1 else None, max(received)))
    del sizes[:]

    def centre():
        page.locator("[data-testid='stButtonGroup'] button", has_text="Trung tâm").click()
        page.wait_for_url("**view=centre**")
        wait_drawn(page, "Bản đồ")

    rows.append(("map, switch to the centre view", timed(centre), None, sum(sizes)))
    context.close()
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="database URL for a server this script starts")
    parser.add_argument("--server", help="the address of a running dashboard instead")
    parser.add_argument("--query", default="", help="filter parameters added to every link, e.g. period=2026-10")
    parser.add_argument(
        "--drill-query",
        help="the map drill-down's parameters (default --query); a period of the districts' time, e.g. period=2025-05: "
        "since July 2025 the city's map shows its wards, and a click opens a ward's profile",
    )
    parser.add_argument("--visits", type=int, default=3, help="visits of each page (the first is cold)")
    parser.add_argument("--shots", help="folder for 1920x1080 screenshots of each page")
    parser.add_argument("--only", choices=["all", "map"], default="all", help="map: the map page alone, with bytes received")
    args = parser.parse_args(argv)
    if not (args.url or args.server):
        parser.error("give --url or --server")
    from playwright.sync_api import sync_playwright

    server = None
    if args.server:
        base = args.server.rstrip("/")
    else:
        from tests.support.app_server import StreamlitServer

        server = StreamlitServer(REPO / "app.py", env={"DASHBOARD_DATABASE_URL": args.url}, cwd=REPO).start()
        base = server.url
    print(f"server: {base} · load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} · CPUs: {os.cpu_count()}")
    rows = []
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            if args.only == "map":
                # Warm the server's caches once, as any running server has them.
                context, page = new_page(browser)
                page.goto(f"{base}/map?{args.query}")
                wait_drawn(page, "Bản đồ")
                context.close()
                rows = map_only(browser, base, args.query, args.visits)
                browser.close()
                return _report(rows)
            # Warm the server's process-wide caches once, as any running server has them.
            context, page = new_page(browser)
            page.goto(f"{base}/?{args.query}")
            wait_drawn(page, "Tổng quan")
            page.close()
            # A new session in the same browser (its HTTP cache holds the app's scripts).
            page = context.new_page()
            first = timed(lambda: (page.goto(f"{base}/?{args.query}"), wait_drawn(page, "Tổng quan")))
            rows.append(("first overview of a new session (new tab)", first, None))
            for link, title, path in PAGES:
                times = []
                for _ in range(args.visits):
                    times.append(click_page(page, link, title, path))
                    # Between visits go elsewhere, so each visit is a page change, not a no-op.
                    other = PAGES[0] if path else PAGES[3]
                    click_page(page, *other)
                rows.append((f"page /{path}", times[0], min(times[1:]) if len(times) > 1 else None))
                if args.shots:
                    page.screenshot(path=str(Path(args.shots) / f"bench_{path or 'overview'}.png"))
            context.close()

            context, page = new_page(browser)
            link = f"{base}/rankings?level=all_wards&{args.query}"
            deep = timed(lambda: (page.goto(link), wait_drawn(page, "Xếp hạng")))
            rows.append(("deep link, fresh browser (rankings, all wards)", deep, None))
            drills = [drill_down(page, base, args.query if args.drill_query is None else args.drill_query) for _ in range(2)]
            rows.append(("map drill-down click", drills[0], drills[1]))
            context.close()
            browser.close()
    finally:
        if server:
            server.stop()
    return _report(rows)


def _report(rows) -> int:
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'view':50s} {'first s':>8s} {'warm s':>8s} {'received':>10s}")
    for name, cold, warm, *received in rows:
        size = f"{received[0] / 1000:,.0f} KB" if received else ""
        print(f"{name:50s} {cold:8.2f} {'' if warm is None else f'{warm:8.2f}':>8s} {size:>10s}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
