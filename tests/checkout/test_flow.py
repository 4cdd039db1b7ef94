"""The whole checkout through HTTP, with the real stripe library and signed webhooks."""
import email
import re
from html import unescape
from pathlib import Path

import stripe
from sqlalchemy import func, select

from app.catalog.models import StockMovement, Variant
from app.orders.models import Order, OrderEvent, OrderStatus
from app.payments.models import PaymentEvent
from tests.conftest import TAX_NOTE, csrf_token_from, latest_order, outbox, session_id_from



def stock(session, sku: str) -> tuple[int, int]:
    variant = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    session.refresh(variant)
    return variant.stock_on_hand, variant.stock_reserved


def test_review_page_shows_cart_and_shipping_choices(shopper):
    shopper.add("TMC-CRM-2-UNS", 1)
    html = unescape(shopper.client.get("/checkout").get_data(as_text=True))
    assert "Standard shipping" in html and "Express shipping" in html
    assert "Delivery after dispatch: US 3–7 business days, Canada 6–12 business days." in html
    assert "Delivery after dispatch: US 1–3 business days, Canada 3–5 business days. Not available to PO boxes." in html
    assert "dispatch orders within 1–2 business days" in html
    assert TAX_NOTE in html
    assert "Pay securely" in html
    shopper.add("TMC-CRM-8-UNS", 2)  # $84 + $16: over the free-shipping threshold
    assert "Free standard shipping" in shopper.client.get("/checkout").get_data(as_text=True)


def test_pay_end_to_end(shopper, session, stripe_server, deliver, app):
    shopper.add("TMC-CRM-4-UNS", 2)
    before = stock(session, "TMC-CRM-4-UNS")
    response = shopper.checkout(shipping="express")
    assert response.status_code == 303
    session_id = session_id_from(response)

    order = latest_order(session)
    assert order.status is OrderStatus.pending_payment
    assert (order.subtotal_minor, order.shipping_minor, order.total_minor) == (5200, 1495, 6695)
    assert [(line.sku, line.quantity, line.unit_price_minor) for line in order.lines] == [("TMC-CRM-4-UNS", 2, 2600)]
    assert stock(session, "TMC-CRM-4-UNS") == (before[0], before[1] + 2)

    sent = stripe_server.requests[-1]
    assert sent["params"]["line_items"][0]["price_data"]["unit_amount"] == "2600"
    assert sent["params"]["metadata"] == {"order_id": str(order.id), "order_number": order.number}
    assert sent["params"]["payment_intent_data"]["metadata"]["order_id"] == str(order.id)
    assert sent["params"]["shipping_address_collection"]["allowed_countries"] == ["US", "CA"]
    assert sent["params"]["shipping_options"][0]["shipping_rate_data"]["display_name"] == \
        "Express shipping (delivery after dispatch: US 1–3 business days, Canada 3–5 business days)"
    assert sent["params"]["custom_text"]["submit"]["message"].startswith(TAX_NOTE)  # Stripe shows no tax line
    assert sent["idempotency_key"] == f"checkout-{order.number}"

    stripe_server.complete(session_id, email="jo@example.com")
    assert deliver(stripe_server.last_event("checkout.session.completed")).status_code == 200

    session.refresh(order)
    assert order.status is OrderStatus.paid
    assert order.amount_paid_minor == 6695
    assert order.payment_intent_id.startswith("pi_")
    assert order.shipping_address["city"] == "South San Francisco"
    assert stock(session, "TMC-CRM-4-UNS") == (before[0] - 2, before[1])
    assert shopper.cart_lines() == {}

    html = shopper.client.get(f"/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert order.number in html and "Thank you for your order" in html
    assert re.search(r'id="order-total">\$66\.95<', html) and TAX_NOTE in html

    mails = list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert len(mails) == 1
    message = email.message_from_bytes(mails[0].read_bytes())
    assert message["To"] == "jo@example.com"
    assert order.number in message["Subject"]
    assert TAX_NOTE in message.get_payload(0).get_payload(decode=True).decode()


def test_plain_text_confirmation_keeps_each_part_on_its_own_lines(shopper, session, stripe_server, deliver, app):
    shopper.add("TMC-CRM-4-UNS", 2)
    session_id = session_id_from(shopper.checkout(shipping="express"))
    stripe_server.complete(session_id, email="jo@example.com")
    deliver(stripe_server.last_event("checkout.session.completed"))
    order = latest_order(session)
    confirmation, = outbox(app)
    paragraphs = confirmation.get_body(("plain",)).get_content().strip().split("\n\n")
    totals, address, estimate, promise, signature = paragraphs[-5:]
    assert totals.splitlines()[-2] == "Total paid: $66.95"
    assert totals.splitlines()[-1].startswith(TAX_NOTE) and totals.splitlines()[-1].endswith("our prices.")
    assert address.splitlines()[:2] == ["Shipping to:", order.shipping_address["name"]]
    assert estimate == order.delivery_estimate
    assert promise == "We'll email you again when your order ships."
    assert signature == app.config["SHOP_NAME"]


def test_success_page_check_fulfils_before_the_webhook_and_the_webhook_then_changes_nothing(
        app, shopper, session, stripe_server, deliver):
    shopper.add("TMC-BTR-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    requests_before = len(stripe_server.requests)
    html = shopper.client.get(f"/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert "confirming your payment" in html and "confirm-payment.js" in html  # the script presses "Check again"
    assert latest_order(session).status is OrderStatus.pending_payment  # a GET changes nothing
    assert len(stripe_server.requests) == requests_before  # and asks the provider nothing
    checked = shopper.client.post(f"/checkout/success?session_id={session_id}",
                                  data={"csrf_token": csrf_token_from(html)})
    assert checked.status_code == 303
    html = shopper.client.get(checked.headers["Location"]).get_data(as_text=True)
    assert "Thank you for your order" in html and "confirm-payment.js" not in html
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    assert [mail["Subject"] for mail in outbox(app)] == [f"Your order {order.number} is confirmed"]  # sent now
    events_before = session.scalar(select(func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id))
    response = deliver(stripe_server.last_event("checkout.session.completed"))
    assert response.get_json()["outcome"].startswith("no change")
    assert session.scalar(select(func.count(OrderEvent.id)).where(OrderEvent.order_id == order.id)) == events_before
    sold = session.scalars(select(StockMovement).where(StockMovement.order_id == order.id,
                                                       StockMovement.reason == "sold")).all()
    assert len(sold) == 1


def test_expired_session_cancels_the_order_and_releases_stock(shopper, session, stripe_server, deliver):
    shopper.add("TMC-CRM-2-LAV", 3)  # the last three
    before = stock(session, "TMC-CRM-2-LAV")
    session_id = session_id_from(shopper.checkout())
    assert stock(session, "TMC-CRM-2-LAV") == (before[0], before[1] + 3)
    product_page = shopper.client.get("/products/magnesium-body-cream?variant=TMC-CRM-2-LAV").get_data(as_text=True)
    assert 'class="badge badge-soldout" data-stock>Sold out<' in product_page
    stripe_server.expire(session_id)
    deliver(stripe_server.last_event("checkout.session.expired"))
    assert latest_order(session).status is OrderStatus.cancelled
    assert stock(session, "TMC-CRM-2-LAV") == before
    assert shopper.cart_lines() == {"TMC-CRM-2-LAV": 3}


def test_declined_card_then_walking_away_leaves_nothing_charged(shopper, session, stripe_server, deliver):
    """Stripe keeps a declined shopper on its page (no event); the session later expires."""
    shopper.add("TMC-STK-06-PEP", 2)
    session_id = session_id_from(shopper.checkout())
    assert latest_order(session).status is OrderStatus.pending_payment
    stripe_server.expire(session_id)
    deliver(stripe_server.last_event("checkout.session.expired"))
    order = latest_order(session)
    assert order.status is OrderStatus.cancelled and order.amount_paid_minor == 0


def abandon_from_cart(client):
    """Press "Cancel that payment" on the cart page."""
    html = client.get("/cart").get_data(as_text=True)
    return client.post("/checkout/abandon", data={"csrf_token": csrf_token_from(html)})


def test_cancel_url_shows_the_payment_in_progress_and_its_cancel_button_releases_stock(
        shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-LAV", 2)
    before = stock(session, "TMC-CRM-4-LAV")
    response = shopper.checkout()
    session_id = session_id_from(response)
    order = latest_order(session)
    back = shopper.client.get(f"/checkout/cancel?order={order.number}")
    assert back.status_code == 303 and back.headers["Location"].endswith("/cart")
    cart_page = shopper.client.get("/cart").get_data(as_text=True)
    assert "You have a payment in progress" in cart_page and response.headers["Location"] in cart_page
    session.refresh(order)
    assert order.status is OrderStatus.pending_payment  # GETs change no order
    assert stripe_server.objects[session_id]["status"] == "open"
    left = abandon_from_cart(shopper.client)
    assert "Your cart is just as you left it" in shopper.client.get(left.headers["Location"]).get_data(as_text=True)
    session.refresh(order)
    assert order.status is OrderStatus.cancelled
    assert stripe_server.objects[session_id]["status"] == "expired"
    assert stock(session, "TMC-CRM-4-LAV") == (before[0], before[1])
    assert shopper.cart_lines() == {"TMC-CRM-4-LAV": 2}


def test_leaving_a_payment_page_whose_payment_went_through_settles_the_order_and_mails_it_at_once(
        app, shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-LAV", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)  # paid at Stripe; its webhook has not arrived yet
    order = latest_order(session)
    abandon_from_cart(shopper.client)
    session.refresh(order)
    assert order.status is OrderStatus.paid
    confirmation, = outbox(app)  # sent with the request, not left for cron
    assert order.number in confirmation["Subject"]


def test_another_browser_cannot_cancel_the_order(shopper, session, app):
    shopper.add("TMC-CRM-4-LAV", 1)
    shopper.checkout()
    order = latest_order(session)
    other = app.test_client()
    token = csrf_token_from(other.get("/products/magnesium-body-cream").get_data(as_text=True))
    other.post("/checkout/abandon", data={"csrf_token": token})
    session.refresh(order)
    assert order.status is OrderStatus.pending_payment


def test_async_payment_success(shopper, session, stripe_server, deliver):
    shopper.add("TMC-BTR-4-VAN", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id, paid=False)
    reply = deliver(stripe_server.last_event("checkout.session.completed")).get_json()
    assert reply["outcome"] == "waiting: payment processing"
    assert latest_order(session).status is OrderStatus.payment_processing
    page = shopper.client.get(f"/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert "your payment is on its way" in page
    stripe_server.finish_async_payment(session_id, succeeded=True)
    deliver(stripe_server.last_event("checkout.session.async_payment_succeeded"))
    assert latest_order(session).status is OrderStatus.paid


def test_async_payment_failure_cancels_and_releases(shopper, session, stripe_server, deliver):
    shopper.add("TMC-BTR-4-VAN", 2)
    before = stock(session, "TMC-BTR-4-VAN")
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id, paid=False)
    deliver(stripe_server.last_event("checkout.session.completed"))
    stripe_server.finish_async_payment(session_id, succeeded=False)
    deliver(stripe_server.last_event("checkout.session.async_payment_failed"))
    assert latest_order(session).status is OrderStatus.cancelled
    assert stock(session, "TMC-BTR-4-VAN") == before


def _paid_order(shopper, session, stripe_server, deliver, sku="TMC-CRM-4-UNS", quantity=1) -> Order:
    shopper.add(sku, quantity)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    deliver(stripe_server.last_event("checkout.session.completed"))
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    return order


def test_refund_events_record_partial_then_full_refunds(shopper, session, stripe_server, deliver):
    order = _paid_order(shopper, session, stripe_server, deliver)
    client = stripe.StripeClient("sk_test_shop", base_addresses={"api": stripe_server.url})
    client.v1.refunds.create({"payment_intent": order.payment_intent_id, "amount": 1000})
    deliver(stripe_server.last_event("charge.refunded"))
    session.refresh(order)
    assert (order.status, order.amount_refunded_minor) == (OrderStatus.partially_refunded, 1000)
    client.v1.refunds.create({"payment_intent": order.payment_intent_id})
    deliver(stripe_server.last_event("charge.refunded"))
    session.refresh(order)
    # Refunded in full before it shipped: the order is closed and its stock back on the shelf.
    assert (order.status, order.amount_refunded_minor) == (OrderStatus.cancelled, order.amount_paid_minor)


def test_dispute_flags_the_order(shopper, session, stripe_server, deliver):
    order = _paid_order(shopper, session, stripe_server, deliver)
    stripe_server.dispute(order.payment_intent_id)
    deliver(stripe_server.last_event("charge.dispute.created"))
    session.refresh(order)
    assert order.needs_review and "disputed" in order.review_reason
    assert order.status is OrderStatus.paid


def test_empty_cart_cannot_check_out(client):
    response = client.get("/checkout")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_stock_lower_than_the_cart_adjusts_the_cart_before_paying(shopper, session):
    shopper.add("TMC-CRM-4-UNS", 5)
    variant = shopper.variant("TMC-CRM-4-UNS")
    variant.stock_on_hand = 2
    session.commit()
    response = shopper.checkout()
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")
    assert "Only 2 of Magnesium Body Cream (4 oz / Unscented) left" in shopper.client.get("/cart").get_data(as_text=True)
    assert shopper.cart_lines() == {"TMC-CRM-4-UNS": 2}
    assert session.scalar(select(func.count(Order.id))) == 0


def test_checkout_page_itself_sends_a_changed_cart_back(shopper, session):
    shopper.add("TMC-BTR-4-UNS", 3)
    shopper.variant("TMC-BTR-4-UNS").is_active = False
    session.commit()
    response = shopper.client.get("/checkout")
    assert response.status_code == 303
    assert "no longer available, so we removed it" in shopper.client.get("/cart").get_data(as_text=True)
    assert shopper.cart_lines() == {}


def test_tampered_form_cannot_change_what_is_charged(shopper, session, stripe_server):
    shopper.add("TMC-CRM-2-UNS", 1)
    response = shopper.checkout(price="1", unit_amount="1", total_minor="1", shipping_minor="0")
    assert response.status_code == 303
    assert latest_order(session).total_minor == 1600 + 595
    items = stripe_server.requests[-1]["params"]["line_items"]
    assert items[0]["price_data"]["unit_amount"] == "1600"


def test_unknown_shipping_choice_is_refused(shopper, session):
    shopper.add("TMC-CRM-2-UNS", 1)
    response = shopper.checkout(shipping="teleport")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert session.scalar(select(func.count(Order.id))) == 0


def test_unreachable_payment_service_keeps_the_cart_and_releases_stock(shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    before = stock(session, "TMC-CRM-4-UNS")
    stripe_server.set_down(True)
    try:
        response = shopper.checkout()
    finally:
        stripe_server.set_down(False)
    assert response.status_code == 503
    assert "payment service is unavailable" in response.get_data(as_text=True)
    assert latest_order(session).status is OrderStatus.cancelled
    assert stock(session, "TMC-CRM-4-UNS") == before
    assert shopper.cart_lines() == {"TMC-CRM-4-UNS": 1}


def test_payment_service_error_is_handled_the_same_way(app, shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    stripe_server.fail_next(500, times=app.config["STRIPE_MAX_NETWORK_RETRIES"] + 1)  # every attempt
    assert shopper.checkout().status_code == 503
    assert latest_order(session).status is OrderStatus.cancelled


def test_success_page_for_an_unknown_session_is_404(client):
    assert client.get("/checkout/success?session_id=cs_test_nope").status_code == 404
    assert client.get("/checkout/success").status_code == 404


def test_payment_events_are_stored(shopper, session, stripe_server, deliver):
    order = _paid_order(shopper, session, stripe_server, deliver)
    stored = session.scalars(select(PaymentEvent).where(PaymentEvent.order_id == order.id)).all()
    assert [event.type for event in stored] == ["checkout.session.completed"]
    assert stored[0].outcome == "order paid"


def test_going_back_to_the_cart_offers_the_open_payment_and_checking_out_again_needs_it_cancelled(
        shopper, session, stripe_server):
    shopper.add("TMC-BTR-4-VAN", 10)  # 18 in stock
    first = session_id_from(shopper.checkout())
    first_order = latest_order(session)
    back_at_cart = shopper.client.get("/cart").get_data(as_text=True)  # the browser's Back button
    assert "left in stock" not in back_at_cart and "Please remove it" not in back_at_cart
    assert "You have a payment in progress" in back_at_cart
    token = csrf_token_from(back_at_cart)
    again = shopper.client.post("/checkout", data={"csrf_token": token, "shipping": "standard", "email": "jo@example.com"})
    assert session_id_from(again) == first  # the same items: the page already open
    abandon_from_cart(shopper.client)
    second = session_id_from(shopper.checkout())
    session.refresh(first_order)
    assert first_order.status is OrderStatus.cancelled
    assert stripe_server.objects[first]["status"] == "expired" and first != second
    assert stock(session, "TMC-BTR-4-VAN")[1] == 10  # held once, not twice
    assert shopper.cart_lines() == {"TMC-BTR-4-VAN": 10}


def test_a_delayed_payment_survives_the_shopper_returning_to_the_cart(shopper, session, stripe_server, deliver):
    shopper.add("TMC-BTR-4-VAN", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id, paid=False)
    deliver(stripe_server.last_event("checkout.session.completed"))
    shopper.client.get("/cart")
    shopper.client.get("/cart")
    order = latest_order(session)
    assert order.status is OrderStatus.payment_processing
    assert [event.kind for event in order.events].count("payment_processing") == 1
    stripe_server.finish_async_payment(session_id, succeeded=True)
    deliver(stripe_server.last_event("checkout.session.async_payment_succeeded"))
    session.refresh(order)
    assert order.status is OrderStatus.paid
