"""The storefront in a real browser: the Learn-to-cart journey, the no-JavaScript fallback, and
axe-core on every key page at phone and desktop widths (with screenshots for a human to review).

Locators go by role and label, as assistive technology does, so a page that only works for
sighted mouse users fails here too.
"""
from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Locator, Page, expect

PRODUCT_PATH = "/products/magnesium-body-cream"
PRODUCT_NAME = "Magnesium Body Cream"
VARIANT = "4 oz / Lavender"  # $26.00, discounted from $29.00; the default variant is $16.00
SIZE, SCENT = VARIANT.split(" / ")

PAGES = {
    "home": "/",
    "products": "/products",
    "product": PRODUCT_PATH,
    "article": "/learn/how-common-is-back-pain",
    "cart": "/cart",
}
VIEWPORTS = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}
BLOCKING_IMPACTS = {"serious", "critical"}


def choose_variant(page: Page, size: str = SIZE, scent: str = SCENT) -> None:
    """Click the size's and the scent's visible labels, as a shopper would, not the hidden radios."""
    for group, value in (("Size", size), ("Scent", scent)):
        options = page.get_by_role("group", name=group)
        options.locator("label").filter(has_text=re.compile(f"^{re.escape(value)}")).click()
        expect(options.get_by_role("radio", name=re.compile(f"^{re.escape(value)}"))).to_be_checked()


def add_to_cart(page: Page, quantity: int) -> None:
    page.get_by_label("Quantity", exact=True).fill(str(quantity))
    page.locator("#add-to-cart").get_by_role("button", name="Add to cart").click()
    expect(page).to_have_url(re.compile(r"/cart$"))


def load_lazy_images(page: Page) -> None:
    """Full-page screenshots do not scroll, so lazy images below the fold would stay blank."""
    for image in page.locator("img[loading=lazy]").all():
        image.scroll_into_view_if_needed()
    # A function, not a bare expression: polling a string needs eval, which the site's CSP forbids.
    page.wait_for_function("() => [...document.images].every(image => image.complete)")
    page.evaluate("window.scrollTo(0, 0)")


def header_cart_link(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Main").get_by_role("link", name=re.compile(r"^Cart"))


def test_shopper_reads_an_article_then_buys_from_it_and_changes_the_quantity(page: Page):
    page.goto("/")
    learn = page.get_by_role("region", name=re.compile(r"^Learn"))
    learn.get_by_role("link", name="How common is back pain?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("How common is back pain?")

    shop = page.get_by_role("region", name="From our shop")
    shop.get_by_role("link", name=PRODUCT_NAME).click()
    expect(page).to_have_url(re.compile(f"{PRODUCT_PATH}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PRODUCT_NAME)

    price = page.locator("#selected-price")
    expect(price).to_contain_text("$16.00")
    choose_variant(page)
    expect(price).to_contain_text("$26.00")  # updated by product.js without a reload
    expect(price).to_contain_text("$29.00")
    expect(page).to_have_url(re.compile(r"\?variant=TMC-CRM-4-LAV$"))  # a reload or shared link keeps it

    add_to_cart(page, 2)
    line = page.get_by_role("row", name=re.compile(PRODUCT_NAME))
    expect(line).to_contain_text(VARIANT)
    expect(line).to_contain_text("$52.00")
    expect(page.locator("#cart-subtotal")).to_have_text("$52.00")
    expect(header_cart_link(page)).to_have_accessible_name("Cart 2 items")

    page.get_by_label(f"Quantity of {PRODUCT_NAME}, {VARIANT}").fill("3")
    page.get_by_role("button", name=f"Update {PRODUCT_NAME}, {VARIANT}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Updated {PRODUCT_NAME} to 3.")
    expect(page.locator("#cart-subtotal")).to_have_text("$78.00")
    expect(header_cart_link(page)).to_have_accessible_name("Cart 3 items")


def test_variant_picker_and_add_to_cart_work_without_javascript(new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(PRODUCT_PATH)
    choose_variant(page)
    expect(page.locator("#selected-price")).to_contain_text("$16.00")  # no script ran
    add_to_cart(page, 1)  # adds what the radios say, though the page still shows the first variant
    expect(page.get_by_role("row", name=re.compile(PRODUCT_NAME))).to_contain_text(VARIANT)
    expect(page.locator("#cart-subtotal")).to_have_text("$26.00")


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_serious_accessibility_violations(new_context, screenshot_dir, name, viewport):
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    if name == "cart":  # an empty cart hides the table, the forms and the subtotal
        page.goto(PRODUCT_PATH)
        choose_variant(page)
        add_to_cart(page, 1)
    page.goto(PAGES[name])
    load_lazy_images(page)
    # Taken before the check, so a failure comes with a picture of the page.
    page.screenshot(path=screenshot_dir / f"{name}-{viewport}.png", full_page=True)

    violations = Axe().run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']} {[node['target'] for node in v['nodes']]}"
        for v in blocking
    )
