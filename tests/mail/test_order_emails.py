"""Issue 17: order emails carry an HTML part in the shop's look and a plain-text part, link to the
order's page, and, for shipping, to the carrier's tracking page when the carrier is in our list."""
import re

import pytest

from tests.conftest import outbox, page_after, ship


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


def _shipped_email(app):
    return next(mail for mail in outbox(app) if "on its way" in mail["Subject"])


def _parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_every_order_email_has_both_parts_and_loads_nothing_from_elsewhere(app, sign_in, paid_order):
    page_after(staff := sign_in("fulfilment"), ship(staff, paid_order))
    for message in outbox(app):
        assert message.get_content_type() == "multipart/alternative", message["Subject"]
        text, html = _parts(message)
        assert paid_order.number in text and paid_order.number in html
        assert "<" not in text.replace("<" + paid_order.email, "")  # plain text has no markup
        assert "#143f3c" in html and app.config["SHOP_NAME"] in html  # the shop's colours and name
        assert not re.search(r"<(img|link|script|style|iframe)\b|\bsrc=|url\(", html, re.I)


def test_shipping_with_a_listed_carrier_links_its_tracking_page(app, sign_in, paid_order):
    staff = sign_in("fulfilment")
    assert "Marked as shipped" in page_after(staff, ship(staff, paid_order, carrier="UPS",
                                                         tracking_number="1Z 999 AA1 0123456784"))
    text, html = _parts(_shipped_email(app))
    url = "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert f"Track your parcel: {url}" in text
    assert f'href="{url}"' in html and "Track your parcel with UPS" in html
    assert re.search(r"http://localhost/orders/TW-\w+/status/\S+", text)  # the order's page, too
    admin_page = staff.get(f"/admin/orders/{paid_order.number}").get_data(as_text=True)
    assert f'href="{url}" rel="noreferrer noopener"' in admin_page


def test_another_carrier_keeps_its_typed_name_and_gets_no_link(app, sign_in, paid_order):
    staff = sign_in("fulfilment")
    page_after(staff, ship(staff, paid_order, carrier="other", other_carrier="Harbor Couriers",
                           tracking_number="HC-20261208-7"))
    text, html = _parts(_shipped_email(app))
    assert "Carrier: Harbor Couriers" in text and "Track your parcel" not in text
    assert "Harbor Couriers" in html and "Track your parcel" not in html
    assert "HC-20261208-7" in html and 'href="https://' not in html


def test_other_without_a_name_and_odd_tracking_numbers_are_refused(app, sign_in, paid_order, session):
    staff = sign_in("fulfilment")
    assert "Enter the carrier" in page_after(staff, ship(staff, paid_order, carrier="other", other_carrier=""))
    assert "only letters, digits, spaces and hyphens" in page_after(
        staff, ship(staff, paid_order, tracking_number="1Z9\"><script>alert(1)</script>"))
    assert "at most 40 characters" in page_after(staff, ship(staff, paid_order, tracking_number="9" * 41))
    assert "Not a valid choice" in page_after(staff, ship(staff, paid_order, carrier="Pony Express"))
    session.refresh(paid_order)
    assert not paid_order.tracking_number and not [m for m in outbox(app) if "on its way" in m["Subject"]]


def test_what_the_shopper_and_staff_typed_is_escaped_in_the_html_part(app, sign_in, paid_order, session):
    paid_order.lines[0].product_name = '<img src=x onerror="alert(1)">Cream'
    paid_order.shipping_address = {**paid_order.shipping_address, "name": "<b>Jo</b> & Co"}
    session.commit()
    staff = sign_in("fulfilment")
    page_after(staff, ship(staff, paid_order, carrier="other", other_carrier="<i>Harbor</i> & Sons"))
    _, html = _parts(_shipped_email(app))
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;Cream" in html and "<img" not in html
    assert "&lt;i&gt;Harbor&lt;/i&gt; &amp; Sons" in html and "<i>" not in html
