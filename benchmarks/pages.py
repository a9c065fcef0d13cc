"""Time the trends, rankings, unit-profile, scoreboard and surveys pages' server-side render through app.py.

    python -m benchmarks.pages                      # city size (built once into benchmarks/out/)
    python -m benchmarks.pages --size default
    python -m benchmarks.pages --url sqlite:////path/to/db.sqlite

Each view runs in AppTest: the app is opened, the page switched to and its URL parameters
set (AppTest clears them on a page switch), then the data caches are cleared and the view
timed: cold = first run with empty caches, warm = best of the next runs (the same view
again, as when a meeting goes back to it). Target on SQLite: warm at most 300 ms.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from benchmarks.common import demo_db_url, render_times

APP = Path(__file__).resolve().parent.parent / "app.py"

VIEWS = [
    ("trends: city, month", "pages/analysis/trends.py", {}),
    ("trends: 10 wards, week", "pages/analysis/trends.py", {"grain": "week"}),  # units filled in below
    ("trends: day, by channel", "pages/analysis/trends.py", {"grain": "day", "split": "channel"}),
    ("rankings: today's 168 units", "pages/analysis/rankings.py", {}),
    ("rankings: wards of an area", "pages/analysis/rankings.py", {"level": "area_wards", "area_rank": "area:760"}),
    ("rankings: districts, 2024 (then)", "pages/analysis/rankings.py", {"period": "2024-06", "layout": "then", "level": "districts"}),
    ("rankings: all wards, EB", "pages/analysis/rankings.py", {"level": "all_wards", "method": "eb"}),
    ("rankings: service index", "pages/analysis/rankings.py", {"kpi": "service_index", "level": "all_wards"}),
    ("profile: city", "pages/analysis/unit_profile.py", {"unit": "79"}),
    ("profile: former district 760", "pages/analysis/unit_profile.py", {"unit": "760"}),
    ("profile: ward 26740", "pages/analysis/unit_profile.py", {"unit": "26740"}),
    ("trends: ward 2021-2026, restated", "pages/analysis/trends.py", {"grain": "year", "units": ["26740"]}),
    ("overview: 2025-07 vs prev, restated", "pages/overview/overview.py", {"period": "2025-07"}),
    ("scoreboard: week", "pages/analysis/scoreboard.py", {"period": "2025-W47"}),
    ("scoreboard: month", "pages/analysis/scoreboard.py", {}),
    ("scoreboard: year", "pages/analysis/scoreboard.py", {"period": "2025"}),
    ("surveys: city over the years", "pages/analysis/surveys.py", {}),
]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="city", choices=["small", "default", "city"])
    parser.add_argument("--url", default=None, help="a database URL instead of the demo of --size")
    args = parser.parse_args(argv)
    if args.url:
        url = args.url
    else:
        url = demo_db_url(args.size)
    os.environ["DASHBOARD_DATABASE_URL"] = url
    from data_access import queries
    from data_access.db import make_engine

    units = queries.load_units(make_engine(url))
    # Ten of today's wards (directly under the city, in force).
    wards = list(units.loc[(units["parent_code"] == "79") & (units["level"] == "ward") & units["valid_to"].isna(), "code"])[:10]
    print(f"database: {url}")
    print(f"{'view':32s} {'cold ms':>9s} {'warm ms':>9s}")
    for name, page, params in VIEWS:
        if name.startswith("trends: 10 wards"):
            params = {**params, "units": wards}
        cold, warm = render_times(url, page, params)
        flag = "" if warm <= 300 else "  > 300 ms"
        print(f"{name:32s} {cold:9.0f} {warm:9.0f}{flag}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
