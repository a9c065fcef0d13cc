"""Text from a link is shown as text, in the real app and a real browser: a crafted link
cannot put a live link or an outside image into the app's own message boxes."""

from urllib.parse import quote, urlparse

from tests.support.browser import wait_for_app

LINK = "[Đăng nhập lại](http://evil.example/login)"
IMAGE = "![x](http://evil.example/pixel.png)"


def _visit(page, url: str) -> list[str]:
    """Open `url`; the requests that tried to leave 127.0.0.1 (all aborted)."""
    outside: list[str] = []

    def guard(route):
        if urlparse(route.request.url).hostname in ("127.0.0.1", None):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.goto(url)
    wait_for_app(page)
    return outside


def test_a_crafted_area_is_shown_as_text_not_a_link(app_server, page):
    outside = _visit(page, f"{app_server}/map?area={quote(LINK)}")
    alert = page.locator("[data-testid='stAlert']").filter(has_text="Không có đơn vị mã")
    alert.wait_for()
    # Every character as typed (the first 40); an invisible word joiner keeps "http://" from
    # being linked automatically.
    assert LINK[:40] in alert.inner_text().replace("\u2060", "")
    assert page.locator("a[href^='http://evil.example']").count() == 0, [
        a.evaluate("e => e.parentElement.parentElement.outerHTML")[:800] for a in page.locator("a[href^='http://evil.example']").all()
    ]
    assert outside == []


def test_a_crafted_image_is_never_fetched(app_server, page):
    outside = _visit(page, f"{app_server}/map?area={quote(IMAGE)}")
    page.locator("[data-testid='stAlert']").filter(has_text="Không có đơn vị mã").wait_for()
    assert page.locator("img[src*='evil.example']").count() == 0
    assert outside == []


def test_an_invalid_parameter_is_echoed_as_text(app_server, page):
    outside = _visit(page, f"{app_server}/?period={quote(LINK)}")
    alert = page.locator("[data-testid='stAlert']").filter(has_text="tham số không hợp lệ")
    alert.wait_for()
    assert "evil.example" in alert.inner_text()
    assert page.locator("a[href^='http://evil.example']").count() == 0, [
        a.evaluate("e => e.parentElement.parentElement.outerHTML")[:800] for a in page.locator("a[href^='http://evil.example']").all()
    ]
    assert outside == []
