"""Switching the language in a real browser: every choice shown must follow."""

from __future__ import annotations

from tests.support.browser import wait_for_app

VIETNAMESE_LABELS = ("Tháng", "Quận/huyện", "Tỷ lệ hài lòng", "Công bằng", "Toàn thành phố")


def chosen(page) -> list[str]:
    """What each select box shows as chosen (its combobox input's value)."""
    boxes = page.locator("[data-testid='stSelectbox'] input[role='combobox']")
    return [boxes.nth(i).input_value() for i in range(boxes.count())]


def test_switching_to_english_relabels_the_current_choices(app_server, page):
    page.goto(f"{app_server}/rankings")
    wait_for_app(page)
    page.get_by_text("English", exact=True).click()
    wait_for_app(page)
    page.wait_for_timeout(500)  # the widgets take the values the run sent
    assert page.locator("h1").first.inner_text() == "Rankings"
    # The browser holds a choice as its label: the old one would stay, or the radio go blank.
    assert page.get_by_role("radio", name="Previous period").is_checked()
    shown = chosen(page)
    assert any("Month" in text for text in shown), shown
    assert not [text for text in shown if any(word in text for word in VIETNAMESE_LABELS)], shown
    # And back: the Vietnamese labels return.
    page.get_by_text("Tiếng Việt", exact=True).click()
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert page.get_by_role("radio", name="Kỳ trước").is_checked()
    assert any("Tháng" in text for text in chosen(page))
