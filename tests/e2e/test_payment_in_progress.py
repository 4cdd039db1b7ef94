"""A shopper who goes Back from the payment page finds the payment still open on their cart, with
Continue and Cancel; cancelling it leaves the cart whole and nothing charged."""
from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_checkout_and_fulfilment import assert_accessible
from tests.e2e.test_storefront import PRODUCT_PATH, add_to_cart, choose_variant


def test_going_back_from_the_payment_page_offers_to_continue_or_cancel(page: Page, screenshot_dir):
    page.goto(PRODUCT_PATH)
    choose_variant(page, "2 oz", "Unscented")
    add_to_cart(page, 1)
    page.get_by_role("link", name="Check out").click()
    page.get_by_role("button", name="Pay securely").click()
    expect(page.get_by_role("note")).to_contain_text("Test payment page")
    payment_page = page.url

    page.go_back()  # the checkout page, which now sends them to the open payment
    expect(page).to_have_url(re.compile(r"/cart$"))
    banner = page.locator("#payment-in-progress")
    expect(banner).to_contain_text("You have a payment in progress")
    expect(page.get_by_role("link", name="Check out")).to_have_count(0)
    assert_accessible(page)
    page.screenshot(path=screenshot_dir / "cart-payment-in-progress.png", full_page=True)

    banner.get_by_role("link", name="Continue paying").click()
    expect(page).to_have_url(payment_page)
    page.go_back()
    page.reload()
    page.get_by_role("button", name="Cancel that payment").click()
    expect(page.get_by_text("Payment cancelled: nothing was charged.")).to_be_visible()
    expect(page.locator("#payment-in-progress")).to_have_count(0)
    expect(page.get_by_role("link", name="Check out")).to_be_visible()
    expect(page.get_by_text("SKU TMC-CRM-2-UNS")).to_be_visible()  # still in the cart
