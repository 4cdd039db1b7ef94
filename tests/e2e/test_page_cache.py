"""The shared page cache in real browsers (app/pagecache.py): two shoppers with different carts
load the same cached product page, byte for byte, and each sees their own cart count; a shopper
without JavaScript still adds to the cart, through the confirmation page."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from app import create_app
from tests.conftest import make_config, reset_database
from tests.e2e.conftest import serving_demo_shop
from tests.e2e.test_storefront import PRODUCT_NAME, PRODUCT_PATH, header_cart_link


@pytest.fixture(scope="module")
def cached_shop(tmp_path_factory) -> Iterator[str]:
    """The demo shop with the page cache on (in process), served on its own database."""
    folder = tmp_path_factory.mktemp("cached-shop")
    url = f"sqlite:///{folder / 'shop.db'}"
    reset_database(url)
    app = create_app(make_config(url, MAIL_OUTBOX_DIR=str(folder / "outbox"), RATELIMIT_ENABLED=False,
                                 PAGE_CACHE_ENABLED=True, REDIS_URL=None))
    with serving_demo_shop(app) as base_url:
        yield base_url


def add_with_script(page: Page, quantity: int) -> None:
    form = page.locator("form.add-to-cart")
    expect(form).to_have_attribute("method", "post")  # shopper.js has fetched this shopper's token
    page.get_by_label("Quantity", exact=True).fill(str(quantity))
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))


def test_two_shoppers_on_the_same_cached_page_each_see_their_own_cart(new_context, cached_shop):
    first, second = new_context().new_page(), new_context().new_page()
    product = cached_shop + PRODUCT_PATH
    for page, quantity in ((first, 2), (second, 5)):
        page.goto(product)
        add_with_script(page, quantity)
    first_response, second_response = first.goto(product), second.goto(product)
    assert first_response.headers["cache-control"] == "public, max-age=0, s-maxage=60"
    assert first_response.body() == second_response.body()  # the very same bytes
    expect(header_cart_link(first)).to_have_accessible_name("Cart 2 items")
    expect(header_cart_link(second)).to_have_accessible_name("Cart 5 items")
    expect(first.get_by_role("link", name="Sign in")).to_be_visible()


def test_a_signed_in_shopper_sees_their_account_links_on_a_cached_page(new_context, cached_shop):
    page = new_context().new_page()
    page.goto(cached_shop + "/account/sign-in")
    page.get_by_label("Email").fill("admin@tidewater.example")
    page.get_by_label("Password").fill("demo-admin-pass")
    page.get_by_role("button", name="Sign in").click()
    page.goto(cached_shop + PRODUCT_PATH)
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Account")).to_be_visible()
    expect(navigation.get_by_role("link", name="Admin")).to_be_visible()
    expect(navigation.get_by_role("link", name="Sign in")).to_be_hidden()
    navigation.get_by_role("button", name="Sign out").click()  # its form got a token from /shopper
    page.goto(cached_shop + PRODUCT_PATH)
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign in")).to_be_visible()


def test_without_javascript_a_shopper_adds_to_the_cart_through_the_confirmation_page(new_context, cached_shop):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(cached_shop + PRODUCT_PATH)
    page.get_by_label("Quantity", exact=True).fill("3")
    page.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add to your cart?")
    page.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_role("row", name=re.compile(PRODUCT_NAME))).to_be_visible()
    expect(header_cart_link(page)).to_have_accessible_name("Cart 3 items")
