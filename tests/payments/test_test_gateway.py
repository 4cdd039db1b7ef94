"""The built-in test gateway: used without Stripe keys, through the same order state machine."""
import re
from html import unescape
from pathlib import Path

import pytest

from app import create_app
from app.orders.models import OrderStatus
from tests.conftest import (
    ADDRESS, CANADIAN_ADDRESS, TAX_NOTE, act, csrf_token_from, latest_order, outbox, production_config,
)


def start(shopper) -> str:
    shopper.add("TMC-CRM-4-UNS", 2)
    response = shopper.checkout()
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.search(r"/test-payments/test_cs_[\w-]+$", location), location
    return location


def test_page_is_clearly_labelled_as_a_test(shopper):
    html = shopper.client.get(start(shopper)).get_data(as_text=True)
    assert "Test payment page" in html and "No real card is charged" in html
    assert TAX_NOTE in html  # no tax line


def test_paying_marks_the_order_paid_and_shows_the_confirmation(shopper, session):
    page = start(shopper)
    response = act(shopper, page, "pay", **ADDRESS)
    assert response.status_code == 303 and "/checkout/success?session_id=" in response.headers["Location"]
    html = shopper.client.get(response.headers["Location"]).get_data(as_text=True)
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    assert order.shipping_address["city"] == "Portland" and order.email == "sam@example.com"
    assert order.number in html and "Thank you for your order" in html
    assert shopper.cart_lines() == {}
    assert shopper.variant("TMC-CRM-4-UNS").stock_reserved == 0


@pytest.mark.parametrize("shipping, address, expected", [
    ("standard", CANADIAN_ADDRESS, "standard shipping to Canada usually arrives 6–12 business days after that."),
    ("express", ADDRESS, "express shipping to the US usually arrives 1–3 business days after that."),
])
def test_confirmation_gives_the_delivery_estimate_for_the_shipping_country(app, shopper, shipping, address, expected):
    shopper.add("TMC-CRM-4-UNS", 1)
    page = shopper.checkout(shipping=shipping).headers["Location"]
    response = act(shopper, page, "pay", **address)
    html = unescape(shopper.client.get(response.headers["Location"]).get_data(as_text=True))
    assert "We dispatch orders within 1–2 business days; " + expected in html
    confirmation, = outbox(app)
    assert expected in confirmation.get_body(("plain",)).get_content()
    assert expected in unescape(confirmation.get_body(("html",)).get_content())


def test_an_apartment_line_reaches_the_order_its_pages_and_both_confirmation_emails(app, shopper, session):
    page = start(shopper)
    assert 'autocomplete="shipping address-line2"' in shopper.client.get(page).get_data(as_text=True)
    response = act(shopper, page, "pay", **ADDRESS, line2="Apt 4B")
    assert latest_order(session).shipping_address["line2"] == "Apt 4B"
    assert "1 Harbor Way, Apt 4B" in shopper.client.get(response.headers["Location"]).get_data(as_text=True)
    confirmation, = outbox(app)
    assert "1 Harbor Way, Apt 4B" in confirmation.get_body(("plain",)).get_content()
    assert "1 Harbor Way, Apt 4B" in confirmation.get_body(("html",)).get_content()


@pytest.mark.parametrize(("fields", "message"), [
    ({**CANADIAN_ADDRESS, "postal_code": "1"}, "Enter a postal code such as K1A 0B1."),
    ({"country": "US", "postal_code": "4101"}, "Enter a 5-digit ZIP code (or ZIP+4)."),
    ({"state": ""}, "Enter a state or province."),
])
def test_an_address_a_carrier_could_not_deliver_to_is_refused_and_nothing_is_paid(shopper, session, fields, message):
    response = act(shopper, start(shopper), "pay", **{**ADDRESS, **fields})
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert latest_order(session).status is OrderStatus.pending_payment


@pytest.mark.parametrize(("address", "postal_code", "kept"), [
    (ADDRESS, "04101", "04101"), (ADDRESS, "04101-1234", "04101-1234"), (ADDRESS, "041011234", "04101-1234"),
    (ADDRESS, " 04101 1234 ", "04101-1234"), (CANADIAN_ADDRESS, " k1a0b1 ", "K1A 0B1"),
    (CANADIAN_ADDRESS, "K1A 0B1", "K1A 0B1"),
])
def test_postal_codes_in_each_countrys_usual_forms_are_accepted_and_kept_as_a_label_writes_them(
        shopper, session, address, postal_code, kept):
    act(shopper, start(shopper), "pay", **{**address, "postal_code": postal_code})
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    assert order.shipping_address["postal_code"] == kept


def test_declined_card_keeps_the_order_waiting(shopper, session):
    page = start(shopper)
    response = act(shopper, page, "decline", **ADDRESS)
    html = response.get_data(as_text=True)
    assert "Test card declined" in html and 'value="1 Harbor Way"' in html  # the address is kept
    assert latest_order(session).status is OrderStatus.pending_payment


def test_delayed_payment_can_settle_or_fail(shopper, session):
    page = start(shopper)
    act(shopper, page, "pay_later", **ADDRESS)
    assert latest_order(session).status is OrderStatus.payment_processing
    assert "Payment fails" in shopper.client.get(page).get_data(as_text=True)
    act(shopper, page, "fail")
    assert latest_order(session).status is OrderStatus.cancelled


def test_missing_address_is_asked_for_again(shopper, session):
    page = start(shopper)
    response = act(shopper, page, "pay", email="not-an-email")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Enter a valid email address." in html and "Enter a street address." in html
    assert latest_order(session).status is OrderStatus.pending_payment


def test_walking_away_offers_the_payment_then_cancelling_it_keeps_the_cart(shopper, session):
    page = start(shopper)
    order = latest_order(session)
    html = shopper.client.get(page).get_data(as_text=True)
    cancel_link = re.search(r'href="(/checkout/cancel\?order=[^"]+)"', html).group(1)
    cart_page = shopper.client.get(shopper.client.get(cancel_link).headers["Location"]).get_data(as_text=True)
    assert "You have a payment in progress" in cart_page and page in cart_page
    session.refresh(order)
    assert order.status is OrderStatus.pending_payment
    shopper.client.post("/checkout/abandon", data={"csrf_token": csrf_token_from(cart_page)})
    session.refresh(order)
    assert order.status is OrderStatus.cancelled
    assert shopper.cart_lines() == {"TMC-CRM-4-UNS": 2}


def test_unknown_test_session_is_404(client):
    assert client.get("/test-payments/test_cs_nope").status_code == 404


def test_production_refuses_to_start_without_stripe(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="STRIPE_SECRET_KEY"):
        create_app(production_config(STRIPE_SECRET_KEY=None, STRIPE_WEBHOOK_SECRET=None))


def test_production_refuses_a_weak_secret_key(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(production_config(SECRET_KEY="short"))


def test_delayed_payment_keeps_the_email_and_address_given_at_checkout(app, shopper, session):
    page = start(shopper)
    act(shopper, page, "pay_later", **ADDRESS)
    act(shopper, page, "settle")
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    assert order.email == "sam@example.com" and order.shipping_address["postal_code"] == "04101"
    assert list((Path(app.config["MAIL_OUTBOX_DIR"])).glob("*.eml"))


def test_visiting_the_cart_does_not_cancel_a_delayed_payment_that_is_settling(shopper, session):
    page = start(shopper)
    act(shopper, page, "pay_later", **ADDRESS)
    shopper.client.get("/cart")
    order = latest_order(session)
    assert order.status is OrderStatus.payment_processing
    act(shopper, page, "settle")
    session.refresh(order)
    assert order.status is OrderStatus.paid
