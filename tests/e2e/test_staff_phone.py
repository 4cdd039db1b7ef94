"""Issue 17: every staff page fits a 390 px phone without the page scrolling sideways (wide tables
scroll inside their own box), for each role; and the pages issue 17 added pass axe on desktop and phone."""
from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.accounts.models import User
from app.catalog.models import Product, Variant
from app.contact.services import submit
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from app.orders.status_link import status_token
from tests.conftest import DEMO_PASSWORDS
from tests.e2e.test_checkout_and_fulfilment import assert_accessible, sign_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
# Long, unbroken values staff pages must wrap or scroll inside their box, as real ones do.
LONG_EMAIL = "alexandra.bartholomew-fitzgerald.orders@verylongcompanydomain.example.com"
ADDRESS = {"name": "Alexandra Bartholomew-Fitzgerald", "line1": "1234 Longwinding Harborview Boulevard",
           "line2": "Apartment 5678", "city": "South San Francisco", "state": "CA", "postal_code": "94080",
           "country": "US"}


@pytest.fixture(scope="module")
def staff_data(live_app, live_server) -> dict[str, str]:
    """An order to ship, one shipped, a guest's paid checkout, and a reaction report: each staff page has rows."""
    with live_app.test_request_context():
        variant = db.session.scalars(select(Variant).order_by(Variant.id)).first()
        product = db.session.get(Product, variant.product_id)

        def order(number: str, status: OrderStatus, **columns) -> Order:
            made = Order(number=number, status=status, currency="USD", subtotal_minor=5200,
                         shipping_minor=1495, total_minor=6695, amount_paid_minor=6695, shipping_method="express",
                         shipping_method_name="Express shipping", shipping_address=ADDRESS, paid_at=utcnow(),
                         lines=[OrderLine(variant_id=variant.id, product_name=product.name, variant_label=variant.label,
                                          sku=variant.sku, unit_price_minor=2600, quantity=2)],
                         events=[OrderEvent(kind="created", actor="shopper", message="Order placed; 2 item(s) reserved.")],
                         **{"email": LONG_EMAIL, **columns})
            db.session.add(made)
            return made

        order("TW-PHONE222", OrderStatus.paid)
        order("TW-PHONE333", OrderStatus.shipped, shipped_at=utcnow(), carrier="USPS",
              tracking_number="9400111899223344556677")
        guest = order("TW-GUEST222", OrderStatus.paid, email="guest.phone@example.com",
                      checkout_session_id="cs_test_phone_guest")
        report = submit(db.session, kind="reaction", name="Alexandra Bartholomew", email=LONG_EMAIL, phone="",
                        product_id=product.id, batch_number="LOT-2026-11A",
                        message="A long message. " * 40, consent=True, source_ip="127.0.0.1")
        db.session.commit()
        return {"order": "TW-PHONE222", "variant": str(variant.id), "product": str(product.id),
                "report": str(report.id), "guest_status": f"/orders/{guest.number}/status/{status_token(guest)}",
                "user": str(db.session.scalars(select(User.id).where(User.email == "marketing@tidewater.example")).one())}


ROLE_PAGES = {
    "fulfilment": ["/admin/", "/admin/orders", "/admin/orders?abandoned=y", "/admin/orders/{order}",
                   "/admin/orders/TW-PHONE333", "/admin/stock", "/admin/stock/{variant}", "/admin/reports",
                   "/admin/reports/{report}"],
    "marketing": ["/admin/", "/admin/content"],
    "admin": ["/admin/", "/admin/customers", "/admin/audit", "/admin/products", "/admin/products/new",
              "/admin/products/{product}", "/admin/products/{product}/variants/new",
              "/admin/products/{product}/variants/{variant}", "/admin/staff", "/admin/staff/new",
              "/admin/staff/{user}", "/admin/orders/{order}", "/admin/reports/{report}"],
}


def _signed_in(browser: Browser, base_url: str, role: str, viewport: dict) -> Page:
    page = browser.new_context(base_url=base_url, viewport=viewport).new_page()
    sign_in(page, f"{role}@tidewater.example", DEMO_PASSWORDS[role])
    expect(page).to_have_url(f"{base_url}/admin/")
    return page


@pytest.mark.parametrize("role", sorted(ROLE_PAGES))
def test_every_staff_page_fits_a_phone_without_sideways_scrolling(browser, base_url, staff_data, role, screenshot_dir):
    page = _signed_in(browser, base_url, role, PHONE)
    too_wide = {}
    for path in ROLE_PAGES[role]:
        response = page.goto(path.format(**staff_data))
        assert response.status == 200, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide[path] = width
            page.screenshot(path=screenshot_dir / f"phone-{role}-{path.strip('/').replace('/', '-') or 'home'}.png")
    assert not too_wide, f"pages wider than {PHONE['width']} px as {role}: {too_wide}"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_customers_page_is_accessible(browser, base_url, staff_data, viewport, screenshot_dir):
    page = _signed_in(browser, base_url, "admin", viewport)
    page.goto("/admin/customers")
    expect(page.get_by_role("heading", level=1)).to_have_text("Customers")
    assert_accessible(page)
    page.get_by_label("Email, or its start").fill("alexandra")
    page.locator("#main").get_by_role("button", name="Search").click()
    expect(page.get_by_role("row", name=LONG_EMAIL)).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=screenshot_dir / f"admin-customers-{viewport['width']}.png", full_page=True)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_guests_confirmation_and_order_link_are_accessible(browser, base_url, staff_data, viewport, screenshot_dir):
    page = browser.new_context(base_url=base_url, viewport=viewport).new_page()
    page.goto("/checkout/success?session_id=cs_test_phone_guest")
    expect(page.get_by_role("button", name="Create my account")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    page.goto(staff_data["guest_status"])
    expect(page.get_by_role("heading", level=1)).to_have_text("Order TW-GUEST222")
    assert_accessible(page)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("status")).to_contain_text("sent you an email")
    assert_accessible(page)
    page.screenshot(path=screenshot_dir / f"order-status-{viewport['width']}.png", full_page=True)
