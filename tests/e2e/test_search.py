"""Searching from the header's box in a real browser, at desktop and phone widths, with axe-core."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_checkout_and_fulfilment import assert_accessible
from tests.e2e.test_storefront import VIEWPORTS


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_shopper_searches_from_the_header_and_sees_highlighted_results(new_context, screenshot_dir, viewport):
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.goto("/")
    box = page.get_by_role("search").get_by_label("Search the shop")
    box.fill("lavender")
    box.press("Enter")

    expect(page.get_by_role("heading", level=1)).to_have_text("Search results for \u201clavender\u201d")
    results = page.get_by_role("list").filter(has=page.locator(".search-result"))
    expect(results.get_by_role("listitem").first.get_by_role("link")).to_have_text("Magnesium Body Cream")
    expect(page.locator(".search-snippet mark").first).to_have_text("lavender", ignore_case=True)
    expect(page.get_by_label("Search products and articles")).to_have_value("lavender")
    page.screenshot(path=screenshot_dir / f"search-{viewport}.png", full_page=True)
    assert_accessible(page)

    box = page.get_by_role("search").first.get_by_label("Search the shop")
    box.fill("xylophone")
    page.get_by_role("search").first.get_by_role("button", name="Search").click()
    expect(page.get_by_role("status")).to_contain_text("Nothing matched")
    expect(page.get_by_role("heading", name="You might be looking for")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"search-nothing-{viewport}.png", full_page=True)
    assert_accessible(page)


def test_search_works_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/learn")
    page.get_by_label("Search the shop").fill("back pain")
    page.get_by_label("Search the shop").press("Enter")
    expect(page.get_by_role("link", name="How common is back pain?")).to_be_visible()
