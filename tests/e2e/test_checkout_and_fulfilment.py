"""A purchase end to end through the built-in test gateway, then fulfilment in the admin.

The two tests run in order: the second ships the order the first one bought, and the shopper
then sees its tracking number on their account page.
"""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app.accounts.services import register
from app.extensions import db
from tests.e2e.test_storefront import BLOCKING_IMPACTS, PRODUCT_PATH, add_to_cart, choose_variant

SHOPPER = ("river@example.com", "river-password-1")
FULFILMENT = ("fulfilment@tidewater.example", "demo-fulfilment-pass")
bought: dict[str, str] = {}


def assert_accessible(page: Page) -> None:
    violations = Axe().run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} {[node['target'] for node in v['nodes']]}" for v in blocking)


def sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/account/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


@pytest.fixture(scope="module")
def shopper_account(live_app, live_server):
    with live_app.app_context():
        register(db.session, email=SHOPPER[0], password=SHOPPER[1], name="River")
        db.session.commit()
    return SHOPPER


def test_shopper_buys_through_the_test_gateway_and_sees_the_confirmation(page: Page, shopper_account, screenshot_dir):
    sign_in(page, *shopper_account)
    page.goto(PRODUCT_PATH)
    choose_variant(page)
    add_to_cart(page, 2)
    page.get_by_role("link", name="Check out").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    page.get_by_text("Express shipping").click()
    expect(page.get_by_label("Email for your receipt")).to_have_value(shopper_account[0])
    assert_accessible(page)
    page.get_by_role("button", name="Pay securely").click()

    expect(page.get_by_role("note")).to_contain_text("Test payment page")
    assert_accessible(page)
    page.get_by_label("Full name").fill("River Stone")
    page.get_by_label("Address").fill("12 Quay Street")
    page.get_by_label("City").fill("Bangor")
    page.get_by_label("State or province").fill("ME")
    page.get_by_label("ZIP or postal code").fill("04401")
    page.get_by_role("button", name=re.compile(r"^Pay \$66\.95 \(test\)")).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your order")
    expect(page.locator("#order-status")).to_have_text("Paid")
    expect(page.locator("#order-total")).to_have_text("$66.95")  # 2 × $26.00 + $14.95 express
    page.screenshot(path=screenshot_dir / "confirmation-desktop.png", full_page=True)
    assert_accessible(page)
    bought["number"] = page.locator("#order-number").inner_text()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile("^Cart"))).to_have_accessible_name("Cart 0 items")


def test_fulfilment_ships_the_order_and_the_shopper_sees_the_tracking(browser, base_url, screenshot_dir, shopper_account):
    if "number" not in bought:
        pytest.skip("the purchase test did not get as far as an order")
    staff = browser.new_context(base_url=base_url).new_page()
    sign_in(staff, *FULFILMENT)
    expect(staff).to_have_url(re.compile(r"/admin/$"))
    assert_accessible(staff)
    staff.get_by_role("navigation", name="Admin").get_by_role("link", name="Orders").click()
    staff.get_by_label("Order number or email").fill(bought["number"])
    staff.get_by_role("button", name="Filter").click()
    assert_accessible(staff)
    staff.get_by_role("link", name=bought["number"]).click()
    expect(staff.locator("#order-status")).to_have_text("Paid")
    assert_accessible(staff)
    staff.screenshot(path=screenshot_dir / "admin-order-desktop.png", full_page=True)

    staff.get_by_label("Carrier").fill("USPS")
    staff.get_by_label("Tracking number").fill("9400111899223344556677")
    staff.get_by_label(re.compile(r"^Batch \(lot\) number for ")).fill("LOT-2026-11A")
    staff.get_by_label("The parcel has left: email the shopper").check()
    staff.get_by_role("button", name="Mark shipped").click()
    expect(staff.get_by_role("status")).to_contain_text("Marked as shipped")
    expect(staff.locator("#order-status")).to_have_text("Shipped")

    shopper = browser.new_context(base_url=base_url).new_page()
    sign_in(shopper, *shopper_account)
    expect(shopper).to_have_url(re.compile(r"/account$"))
    row = shopper.get_by_role("row", name=re.compile(bought["number"]))
    expect(row).to_contain_text("Shipped")
    expect(row).to_contain_text("USPS 9400111899223344556677")
    assert_accessible(shopper)
