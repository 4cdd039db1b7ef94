"""The product page on a phone (390 × 844): Add to cart in the first screen or in the sticky bar,
the picture following the chosen scent, the picker without JavaScript, and axe-core on the page
and on the staff gallery."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import DEMO_PASSWORDS
from tests.e2e.test_checkout_and_fulfilment import assert_accessible, sign_in
from tests.e2e.test_storefront import PRODUCT_PATH, VIEWPORTS, add_to_cart, choose_variant

PHONE = VIEWPORTS["phone"]


def main_picture(page: Page):
    return page.locator("[data-main-image] img")


def fully_in_view(page: Page, selector: str) -> bool:
    """Whether the element is inside the viewport as the page opens, without scrolling (read from
    the layout, so it works with JavaScript off too)."""
    box = page.locator(selector).bounding_box()
    return box is not None and box["width"] > 0 and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"]


def test_on_a_phone_add_to_cart_is_in_the_first_screen_and_the_bar_follows_a_scroll(new_context):
    page = new_context(viewport=PHONE).new_page()
    page.goto(PRODUCT_PATH)
    bar = page.locator("[data-sticky-buy]")
    form_button = "#add-to-cart [data-add-button]"
    assert fully_in_view(page, form_button) or bar.is_visible()
    for selector in ("#selected-price", "#selected-stock", "#quantity", "[data-main-image] img"):
        assert fully_in_view(page, selector), f"{selector} is below the first screen"
    expect(bar).to_be_hidden()  # the form's own button is in sight

    page.get_by_role("heading", name="Warnings").scroll_into_view_if_needed()
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("$16.00")
    bar.get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))
    expect(page.get_by_role("row", name=re.compile("Magnesium Body Cream"))).to_contain_text("2 oz / Unscented")


def test_choosing_a_scent_changes_the_picture_price_and_address(new_context):
    page = new_context(viewport=PHONE).new_page()
    page.goto(PRODUCT_PATH)
    expect(main_picture(page)).to_have_attribute("src", re.compile(r"body-cream-unscented\.svg"))
    choose_variant(page, "8 oz", "Lavender")
    expect(main_picture(page)).to_have_attribute("src", re.compile(r"body-cream-lavender\.svg"))
    expect(main_picture(page)).to_have_attribute("alt", re.compile("lavender scent"))
    expect(page.locator("[data-price]")).to_have_text("$42.00")
    expect(page.locator("[data-saving]")).to_have_text("Save $22.00")
    expect(page.locator("[data-stock]")).to_have_text("Sold out")
    expect(page.locator("#add-to-cart [data-add-button]")).to_be_disabled()
    expect(page).to_have_url(re.compile(r"\?variant=TMC-CRM-8-LAV$"))
    choose_variant(page, "2 oz", "Unscented")
    expect(main_picture(page)).to_have_attribute("src", re.compile(r"body-cream-unscented\.svg"))
    expect(page.locator("[data-saving]")).to_be_hidden()
    expect(page.locator("#add-to-cart [data-add-button]")).to_be_enabled()


def test_the_picker_works_with_javascript_off(new_context):
    page = new_context(viewport=PHONE, java_script_enabled=False).new_page()
    page.goto(PRODUCT_PATH)
    assert fully_in_view(page, "#add-to-cart [data-add-button]")  # no sticky bar without JavaScript
    choose_variant(page, "4 oz", "Lavender")
    expect(page.locator("[data-price]")).to_have_text("$16.00")  # nothing ran yet
    page.get_by_role("button", name="Show price and stock for this choice").click()
    expect(page).to_have_url(re.compile(r"\?variant=TMC-CRM-4-LAV#choose$"))
    expect(page.locator("[data-price]")).to_have_text("$26.00")
    expect(page.locator("[data-saving]")).to_have_text("Save $6.00")
    expect(main_picture(page)).to_have_attribute("src", re.compile(r"body-cream-lavender\.svg"))
    add_to_cart(page, 2)
    expect(page.get_by_role("row", name=re.compile("Magnesium Body Cream"))).to_contain_text("4 oz / Lavender")
    expect(page.locator("#cart-subtotal")).to_have_text("$52.00")




@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_sold_out_choice_and_the_sticky_bar_pass_axe(new_context, screenshot_dir, viewport):
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.goto(f"{PRODUCT_PATH}?variant=TMC-CRM-8-LAV")
    page.get_by_role("heading", name="Warnings").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / f"product-sold-out-{viewport}.png")
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_staff_gallery_passes_axe(new_context, live_server, screenshot_dir, viewport):
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    sign_in(page, "marketing@tidewater.example", DEMO_PASSWORDS["marketing"])
    page.goto("/admin/")
    page.get_by_role("link", name="Images of Magnesium Body Cream").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Images of Magnesium Body Cream")
    page.screenshot(path=screenshot_dir / f"admin-gallery-{viewport}.png", full_page=True)
    assert_accessible(page)
