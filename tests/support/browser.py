"""Debian's Chromium driven by Playwright (its own browser download cannot work here)."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = Path(os.environ.get("TEST_CHROMIUM", "/usr/bin/chromium"))

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

APP_IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
EXCEPTION = "[data-testid='stException']"


class AppScriptError(AssertionError):
    pass


def launch_chromium(playwright):
    """A headless Debian Chromium browser from a `sync_playwright()` instance."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)


def wait_for_app(page, timeout: float = 60_000, allow_exceptions: bool = False) -> None:
    """Wait until the Streamlit script has finished its run; fail if it showed an exception.

    The app root's `data-test-script-state` is "initial" before the first run, "running"
    during one, and "notRunning" after it.
    """
    page.wait_for_selector(APP_IDLE, timeout=timeout)
    if not allow_exceptions and page.locator(EXCEPTION).count():
        text = page.locator(EXCEPTION).first.inner_text()
        raise AppScriptError(f"The app shows an exception:\n{text}")
