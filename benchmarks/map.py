"""Time the map page's server-side render through app.py, and weigh its figure message.

    python -m benchmarks.map                      # city size (benchmarks/out/city.sqlite)
    python -m benchmarks.map --size default
    python -m benchmarks.map --url sqlite:////path/to/db.sqlite
    python -m benchmarks.map --url ... --query period=2026-10 --city-only   # the 168-unit map of today

Views: the city's district map and the ward map of the district with the most wards
(`?area=CODE`), each without and with unit names on the map (`labels=1`), and the city's
dense centre (`view=centre`, offered from 40 units). Times come from
benchmarks.common.render_times (what app.py measures around its own run): cold = first
run with empty data caches, warm = best of the next runs. The figure message is the
plotly_chart element's JSON spec as AppTest receives it (what goes over the websocket,
before compression). Target on SQLite: warm at most 300 ms.
"""

from __future__ import annotations

import argparse
import os

from benchmarks.common import demo_db_url, render_times

PAGE = "pages/map/map.py"
TARGET_MS = 300


def ensure_current_schema(url: str) -> None:
    """A benchmark database built by an older version gets the newer tables (as the demo does)."""
    from data_access import migrate
    from data_access.db import make_engine

    engine = make_engine(url)
    try:
        current, head = migrate.current_revision(engine), migrate.head_revision()
        if current != head:
            print(f"upgrading the benchmark database from revision {current} to {head}", flush=True)
            migrate.upgrade(engine)
    finally:
        engine.dispose()


def largest_district(url: str) -> tuple[str, str, int]:
    """(code, name, number of wards) of the district with the most wards."""
    from data_access import queries
    from data_access.db import make_engine

    engine = make_engine(url)
    try:
        units = queries.load_units(engine)
    finally:
        engine.dispose()
    districts = units[units["level"] == "district"].set_index("code")["name"]
    wards = units[(units["level"] == "ward") & units["parent_code"].isin(districts.index)]
    counts = wards.groupby("parent_code").size().sort_values(ascending=False, kind="stable")
    code = str(counts.index[0])
    return code, str(districts[code]), int(counts.iloc[0])


def figure_message(params: dict) -> tuple[int, int]:
    """(bytes of the figure JSON, number of units drawn) of the view, as the page sends it."""
    import json

    from tests.support.app_test import run_page

    app = run_page(PAGE, params, timeout=900)
    if app.exception:
        raise RuntimeError(f"{PAGE} {params} raised: {app.exception[0].value}")
    charts = app.get("plotly_chart")
    if not charts:
        shown = [e.value for e in app.error] or [e.value for e in app.warning]
        raise RuntimeError(f"{PAGE} {params} drew no map: {shown}")
    spec = charts[0].proto.spec
    return len(spec.encode()), sum(_units_drawn(trace) for trace in json.loads(spec)["data"])


def _units_drawn(trace: dict) -> int:
    """Polygons a map trace draws: its inline GeoJSON's features, or, when the boundaries are
    fetched by URL (geo/published.py: the message carries no geometry), its locations."""
    geojson = trace.get("geojson")
    if isinstance(geojson, dict):
        return len(geojson.get("features", []))
    return len(trace.get("locations", [])) if isinstance(geojson, str) else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="city", choices=["small", "default", "city"])
    parser.add_argument("--url", default=None, help="a database URL instead of the demo of --size")
    parser.add_argument("--query", default="", help="parameters added to every view, e.g. period=2026-10")
    parser.add_argument("--city-only", action="store_true", help="only the city's map (no district in force: today's layout)")
    args = parser.parse_args(argv)
    extra = dict(part.split("=", 1) for part in args.query.split("&") if "=" in part)
    url = args.url or demo_db_url(args.size)
    os.environ["DASHBOARD_DATABASE_URL"] = url
    ensure_current_schema(url)
    code, name, ward_count = largest_district(url)

    views = [
        ("units of the city", {"labels": "0"}),
        ("units of the city, labels", {"labels": "1"}),
        ("units of the city, centre view, labels", {"labels": "1", "view": "centre"}),
    ]
    if not args.city_only:
        views += [(f"wards of {name} ({code}, {ward_count})", {"area": code}), (f"wards of {name}, labels", {"area": code, "labels": "1"})]
    views = [(label, {**extra, **params}) for label, params in views]
    print(f"database: {url}")
    print(f"{'view':44s} {'cold ms':>9s} {'warm ms':>9s} {'figure bytes':>13s} {'features':>9s}")
    worst = 0.0
    for label, params in views:
        cold, warm = render_times(url, PAGE, params)
        size, features = figure_message(params)
        worst = max(worst, warm)
        flag = "" if warm <= TARGET_MS else f"  > {TARGET_MS} ms"
        print(f"{label:44s} {cold:9.0f} {warm:9.0f} {size:13,d} {features:9d}{flag}", flush=True)
    print(f"target: warm <= {TARGET_MS} ms: {'met' if worst <= TARGET_MS else 'NOT met'} (worst warm {worst:.0f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
