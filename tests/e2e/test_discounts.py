"""Discount codes in a browser: marketing creates one, a shopper applies it in the cart and sees it at
checkout; axe-core on each new screen at phone and desktop widths. The tests run in order."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_checkout_and_fulfilment import assert_accessible, sign_in
from tests.e2e.test_storefront import PRODUCT_PATH, VIEWPORTS, add_to_cart, choose_variant

MARKETING = ("marketing@tidewater.example", "demo-marketing-pass")


def test_marketing_creates_a_code(page: Page, screenshot_dir):
    sign_in(page, *MARKETING)
    page.goto("/admin/discounts")
    page.get_by_role("link", name="Create a code").click()
    assert_accessible(page)
    page.get_by_label("Code", exact=True).fill("e2e-ten")
    page.get_by_label("Percentage", exact=True).fill("10")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("row", name=re.compile("E2E-TEN"))).to_contain_text("10% off")
    page.screenshot(path=screenshot_dir / "admin-discounts-desktop.png", full_page=True)
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_staff_discount_screens_fit_and_pass_axe(new_context, viewport):
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    sign_in(page, *MARKETING)
    for path in ("/admin/discounts", "/admin/discounts/new"):
        page.goto(path)
        assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_shopper_applies_the_code_in_the_cart_and_sees_it_at_checkout(new_context, screenshot_dir, viewport):
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.goto(PRODUCT_PATH)
    choose_variant(page)  # 4 oz, Lavender
    add_to_cart(page, 1)
    expect(page.locator("#free-shipping")).to_contain_text("$24.00 more for free standard shipping")
    page.get_by_label("Discount code").fill("nope")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("recognise the code NOPE")).to_be_visible()
    page.get_by_label("Discount code").fill("e2e-ten")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#cart-discount")).to_have_text("−$2.60")
    expect(page.locator("#free-shipping")).to_contain_text("$26.60 more for free standard shipping")
    page.screenshot(path=screenshot_dir / f"cart-discount-{viewport}.png", full_page=True)
    assert_accessible(page)
    page.get_by_role("link", name="Check out").click()
    expect(page.locator("#review-discount")).to_have_text("−$2.60")
    assert_accessible(page)
