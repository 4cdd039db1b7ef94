"""Reviews in a real browser: a buyer writes one from the emailed link (stars by keyboard), staff
moderate it; axe-core at desktop and phone widths; typed script never runs on the product page."""
from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import expect

from app.catalog.models import Variant
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order, OrderLine, OrderStatus
from app.reviews.services import review_token
from sqlalchemy import select
from tests.e2e.test_checkout_and_fulfilment import assert_accessible, sign_in
from tests.e2e.test_storefront import VIEWPORTS
from tests.reviews.conftest import XSS_PAYLOADS

MARKETING = ("marketing@tidewater.example", "demo-marketing-pass")


def shipped_order_link(live_app, sku: str) -> str:
    """A shipped order of one item, arranged in the live server's database: its review link's path."""
    with live_app.app_context():
        variant = db.session.scalars(select(Variant).where(Variant.sku == sku)).one()
        order = Order(number=f"TW-E2E{secrets.token_hex(3).upper()}", status=OrderStatus.shipped, email="ro@example.com",
                      currency="USD", subtotal_minor=variant.price_minor, shipping_minor=0,
                      total_minor=variant.price_minor, amount_paid_minor=variant.price_minor,
                      shipping_method="standard", shipping_method_name="Standard", shipped_at=utcnow(),
                      lines=[OrderLine(variant_id=variant.id, product_name=variant.product.name,
                                       variant_label=variant.scent or variant.size, sku=sku,
                                       unit_price_minor=variant.price_minor, quantity=1)])
        db.session.add(order)
        db.session.commit()
        with live_app.test_request_context():
            return f"/reviews/{review_token(order)}"


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_buyer_reviews_from_the_link_and_marketing_moderates(new_context, live_app, screenshot_dir, viewport):
    sku = {"desktop": "TMC-BTR-4-UNS", "phone": "TMC-BTR-4-VAN"}[viewport]
    page = new_context(viewport=VIEWPORTS[viewport]).new_page()
    page.goto(shipped_order_link(live_app, sku))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Review your order")
    assert_accessible(page)
    page.get_by_role("link", name="Review Magnesium Body Butter").click()
    expect(page.get_by_role("group", name="Your rating")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Publish review").click()  # nothing filled in: errors, tied to fields
    expect(page.get_by_text("Choose a rating from 1 to 5 stars.")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("5 stars: excellent").focus()
    page.keyboard.press("ArrowDown")  # radio buttons move with the arrow keys
    expect(page.get_by_label("4 stars: very good")).to_be_checked()
    page.get_by_label("Title").fill(f"Rich and slow to melt ({viewport})")
    page.get_by_label("Your review").fill("Thick butter, a little goes a long way. The tin is easy to open.")
    page.get_by_label("First name (optional, shown)").fill("Ro")
    page.screenshot(path=screenshot_dir / f"review-form-{viewport}.png", full_page=True)
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_role("status")).to_contain_text("Your review is published")

    page.goto("/products/magnesium-body-butter")
    review = page.locator(".review", has_text=f"Rich and slow to melt ({viewport})")
    expect(review).to_contain_text("Verified buyer")
    expect(review.get_by_role("img", name="4 out of 5 stars")).to_be_visible()
    review.scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / f"product-reviews-{viewport}.png")
    assert_accessible(page)

    staff = new_context(viewport=VIEWPORTS[viewport]).new_page()
    sign_in(staff, *MARKETING)
    staff.goto("/admin/reviews?status=published")
    assert_accessible(staff)
    staff.get_by_role("link", name=f"Rich and slow to melt ({viewport})").click()
    assert_accessible(staff)
    staff.get_by_label("Hold (hidden until decided)").check()
    staff.get_by_label("Off topic", exact=False).check()
    staff.get_by_label("Note to the reviewer (emailed to them)").fill("Testing the moderation screen.")
    staff.get_by_role("button", name="Save decision and email the reviewer").click()
    expect(staff.get_by_role("status")).to_contain_text("Review held")
    staff.screenshot(path=screenshot_dir / f"review-moderation-{viewport}.png", full_page=True)
    assert_accessible(staff)
    staff.goto("/admin/content")
    expect(staff.get_by_role("table", name="Reviews by status and star rating")).to_be_visible()
    assert_accessible(staff)


def test_script_typed_into_a_review_never_runs(new_context, live_app):
    page = new_context().new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(shipped_order_link(live_app, "TMC-STK-06-PEP"))
    page.get_by_role("link", name="Review Magnesium Travel Stick").click()
    page.get_by_label("3 stars: good").check()
    page.get_by_label("Title").fill("<img src=x onerror=window.__xss=1>")
    page.get_by_label("Your review").fill("\n".join(XSS_PAYLOADS))
    page.get_by_label("First name (optional, shown)").fill("<svg onload=window.__xss=1>")
    page.get_by_label("City (optional, shown)").fill("\"><script>window.__xss=1</script>")
    page.get_by_role("button", name="Publish review").click()
    expect(page.get_by_role("status")).to_contain_text("Your review is published")
    page.goto("/products/magnesium-travel-stick")
    expect(page.locator(".review-title").first).to_have_text("<img src=x onerror=window.__xss=1>")
    page.locator(".review").first.hover()
    page.wait_for_timeout(300)  # let any injected onload or onerror fire
    assert page.evaluate("window.__xss") is None and dialogs == []
    page.goto("/products")
    assert page.evaluate("window.__xss") is None
