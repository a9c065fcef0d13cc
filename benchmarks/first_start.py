"""Time a fresh clone's first start: from launching the app with no demo database to the
overview's first KPI card drawn in a real browser (issue 11's budget: 2 minutes).

    python -m benchmarks.first_start

The committed code (`git archive HEAD`) is unpacked into a temporary folder, so the
repository's own `var/demo.sqlite` is neither used nor touched; the app there builds the
default demo on the first visit, with its progress shown, as a new user's would. The folder
(about 2 GB once built) is removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.support.app_server import StreamlitServer  # noqa: E402
from tests.support.browser import launch_chromium  # noqa: E402


def main(argv=None) -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args(argv)
    from playwright.sync_api import sync_playwright

    for name in ("DASHBOARD_DATABASE_URL", "DASHBOARD_DEMO_SIZE"):  # the default demo, as a new user gets it
        os.environ.pop(name, None)
    with tempfile.TemporaryDirectory(prefix="first-start-") as folder:
        clone = Path(folder)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(clone)], input=archive, check=True)
        started = time.monotonic()
        with StreamlitServer(clone / "app.py", cwd=clone, startup_timeout=120) as server:
            up = time.monotonic() - started
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport={"width": 1920, "height": 1080})
                page.goto(server.url)
                page.get_by_test_id("stMetric").first.wait_for(timeout=900_000)
                drawn = time.monotonic() - started
                browser.close()
        size = (clone / "var" / "demo.sqlite").stat().st_size
        shutil.rmtree(clone / "var", ignore_errors=True)
    print(f"server answering after {up:.1f} s; first KPI card drawn after {drawn:.1f} s; demo file {size:,} bytes")
    return 0 if drawn <= 120 else 1


if __name__ == "__main__":
    raise SystemExit(main())
