"""Discount codes as a shopper meets them: the cart's code box, checkout, the Stripe payment page
(the local Stripe-compatible server), the order, its email and its refunds."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.cart.models import CartLine
from app.db import utcnow
from app.discounts.models import DiscountKind, DiscountUse, UseState
from app.orders.models import OrderStatus
from tests.conftest import csrf_token_from, latest_order, outbox, page_after, post, session_id_from


def pay(stripe_server, deliver, response, email: str = "jo@example.com") -> dict:
    """Pay on Stripe's page and deliver its webhook: the completed session, as Stripe reports it."""
    session = stripe_server.complete(session_id_from(response), email=email)
    assert deliver(stripe_server.last_event("checkout.session.completed")).get_json()["outcome"] == "order paid"
    return session


def shop_post(shopper, path: str, **data):
    token = csrf_token_from(shopper.client.get("/cart").get_data(as_text=True))
    return shopper.client.post(path, data={"csrf_token": token, **data})


def use_states(session, order_id: int) -> list[UseState]:
    return list(session.scalars(select(DiscountUse.state).where(DiscountUse.order_id == order_id)))


def test_a_percentage_code_takes_its_share_of_the_items_and_stripe_charges_the_order_total(
        shopper, session, make_code, apply_code, stripe_server, deliver, app):
    make_code("SAVE15", percent_off=15)
    shopper.add("TMC-CRM-4-UNS", 1)  # $26.00
    shopper.add("TMC-STK-06-PEP", 1)  # $12.00
    html = apply_code("  save15 ")
    assert "Code SAVE15: $5.70 off" in html  # 15% of $38.00
    assert 'id="cart-discount">&minus;$5.70' in html
    assert "$17.70 more for free standard shipping" in html  # $50 - $32.30
    review = shopper.client.get("/checkout").get_data(as_text=True)
    assert 'id="review-discount">&minus;$5.70' in review and "total $38.25" in review  # $32.30 + $5.95
    completed = pay(stripe_server, deliver, shopper.checkout())
    order = latest_order(session)
    assert (order.discount_code, order.discount_minor, order.total_minor) == ("SAVE15", 570, 3825)
    assert completed["amount_total"] == order.total_minor == order.amount_paid_minor
    assert completed["total_details"]["amount_discount"] == 570
    coupon = stripe_server.objects[completed["discounts"][0]["coupon"]]
    assert (coupon["amount_off"], coupon["percent_off"], coupon["name"]) == (570, None, "SAVE15")
    assert order.status is OrderStatus.paid and use_states(session, order.id) == [UseState.used]
    mail = outbox(app)[-1]
    assert "Discount (code SAVE15): -$5.70" in mail.get_body(("plain",)).get_content()


def test_an_amount_off_never_exceeds_the_items_and_shipping_stays_charged(
        shopper, session, make_code, apply_code, stripe_server, deliver):
    make_code("TENOFF", DiscountKind.fixed, amount_off_minor=1000)
    shopper.add("TMC-CRM-4-UNS", 1)
    assert "Code TENOFF: $10.00 off" in apply_code("TenOff")
    completed = pay(stripe_server, deliver, shopper.checkout())
    order = latest_order(session)
    assert (order.subtotal_minor, order.discount_minor, order.shipping_minor, order.total_minor) == (2600, 1000, 595, 2195)
    assert completed["amount_total"] == 2195
    make_code("BIGGER", DiscountKind.fixed, amount_off_minor=5000)
    shopper.add("TMC-STK-06-PEP", 1)
    assert "Code BIGGER: $12.00 off" in apply_code("bigger")  # capped at the cart's items


def test_a_free_shipping_code_makes_standard_shipping_free_at_stripe_without_a_coupon(
        shopper, session, make_code, apply_code, stripe_server, deliver):
    make_code("SHIPFREE", DiscountKind.free_shipping)
    shopper.add("TMC-CRM-4-UNS", 1)
    html = apply_code("shipfree")
    assert "Standard shipping is free with your code SHIPFREE" in html and "more for free" not in html
    assert "Free with code SHIPFREE" in shopper.client.get("/checkout").get_data(as_text=True)
    requests_before = len(stripe_server.requests)
    completed = pay(stripe_server, deliver, shopper.checkout())
    order = latest_order(session)
    assert (order.shipping_minor, order.shipping_discount_minor, order.discount_minor, order.total_minor) == (
        595, 595, 595, 2600)
    assert completed["amount_total"] == 2600 and completed["shipping_cost"]["amount_total"] == 0
    assert not completed["discounts"]
    assert all(request["path"] != "/v1/coupons" for request in stripe_server.requests[requests_before:])
    shopper.add("TMC-CRM-4-UNS", 1)  # express keeps its price with the code: only standard shipping is free
    apply_code("shipfree")
    shopper.checkout(shipping="express")
    order = latest_order(session)
    assert (order.shipping_minor, order.discount_minor, order.total_minor) == (1495, 0, 4095)


def test_free_shipping_is_measured_after_the_discount(shopper, make_code, apply_code, session, stripe_server, deliver):
    make_code("TWENTY", percent_off=20)
    shopper.add("TMC-CRM-8-UNS", 1)  # $42.00
    shopper.add("TMC-STK-06-PEP", 1)  # $12.00: $54.00, standard shipping free
    assert "Your order ships free" in shopper.client.get("/cart").get_data(as_text=True)
    html = apply_code("twenty")  # $43.20 after the code
    assert "$6.80 more for free standard shipping" in html
    pay(stripe_server, deliver, shopper.checkout())
    order = latest_order(session)
    assert (order.discount_minor, order.shipping_minor, order.total_minor) == (1080, 595, 4915)


def test_a_minimum_subtotal_is_explained_and_the_code_waits_for_it(shopper, make_code, apply_code, session):
    make_code("OVER40", percent_off=10, min_subtotal_minor=4000)
    shopper.add("TMC-CRM-4-UNS", 1)
    html = apply_code("over40")
    assert "The code OVER40 needs a subtotal of $40.00: add $14.00 more to use it." in html
    assert "Code OVER40" not in html  # not applied
    shopper.add("TMC-CRM-4-UNS", 1)
    assert "Code OVER40: $5.20 off" in apply_code("over40")
    # The cart drops below the minimum again: the code stays, says why it does not apply, and checkout stops.
    line_id = shopper.session.scalar(select(CartLine.id))
    shop_post(shopper, f"/cart/lines/{line_id}", quantity="1")
    html = shopper.client.get("/cart").get_data(as_text=True)
    assert "add $14.00 more to use it" in html and "Remove code OVER40" in html
    review = shopper.client.get("/checkout")
    assert review.status_code == 303
    assert "Remove the code to check out without it." in page_after(shopper.client, review)


@pytest.mark.parametrize("starts, ends, message", [
    (timedelta(days=2), None, "The code DATED can be used from"),
    (timedelta(days=-9), timedelta(days=-2), "The code DATED has ended."),
])
def test_a_code_outside_its_dates_is_refused_with_the_reason(shopper, make_code, apply_code, starts, ends, message):
    make_code("DATED", percent_off=10, starts_at=utcnow() + starts, ends_at=utcnow() + ends if ends else None)
    shopper.add("TMC-CRM-4-UNS", 1)
    assert message in apply_code("dated")


def test_a_switched_off_code_has_ended(shopper, make_code, apply_code):
    make_code("GONE", percent_off=10, active=False)
    shopper.add("TMC-CRM-4-UNS", 1)
    assert "The code GONE has ended." in apply_code("gone")


def test_a_code_limited_to_products_takes_off_only_their_lines(shopper, make_code, apply_code, session, stripe_server,
                                                             deliver):
    make_code("BUTTER", percent_off=50, products=("magnesium-body-butter",))
    shopper.add("TMC-CRM-4-UNS", 1)
    assert "The code BUTTER applies only to Magnesium Body Butter." in apply_code("butter")
    shopper.add("TMC-BTR-4-UNS", 1)  # $24.00
    assert "Code BUTTER: $12.00 off" in apply_code("butter")
    completed = pay(stripe_server, deliver, shopper.checkout())
    assert completed["amount_total"] == latest_order(session).total_minor == 2600 + 1200 + 595


def test_total_uses_count_open_checkouts_and_come_back_when_one_expires(
        shopper, make_code, apply_code, session, stripe_server, deliver, client, app):
    make_code("ONCE", percent_off=10, usage_limit=1)
    shopper.add("TMC-CRM-4-UNS", 1)
    apply_code("once")
    session_id = session_id_from(shopper.checkout())
    order = latest_order(session)
    assert use_states(session, order.id) == [UseState.held]
    own_cart = shopper.client.get("/cart").get_data(as_text=True)
    assert "payment in progress" in own_cart and 'id="discount-code"' not in own_cart  # its order holds the code
    other = type(shopper)(app.test_client(), session)
    other.add("TMC-CRM-4-UNS", 1)
    token_page = other.client.get("/cart").get_data(as_text=True)
    refused = other.client.post("/cart/discount", data={"csrf_token": csrf_token_from(token_page), "code": "ONCE"})
    assert "The code ONCE has been used as many times as it allows." in page_after(other.client, refused)
    # The first checkout expires unpaid: its use is released and the code can be used again.
    stripe_server.expire(session_id)
    deliver(stripe_server.last_event("checkout.session.expired"))
    assert use_states(session, order.id) == [UseState.released]
    accepted = other.client.post("/cart/discount", data={"csrf_token": csrf_token_from(token_page), "code": "once"})
    assert "Code ONCE: $2.60 off" in page_after(other.client, accepted)


def test_per_customer_limits_count_by_email_in_any_case(shopper, make_code, apply_code, session, stripe_server,
                                                        deliver):
    make_code("WELCOME", percent_off=10, per_customer_limit=1)
    shopper.add("TMC-CRM-4-UNS", 1)
    apply_code("welcome")
    assert "Needed here: the code WELCOME is limited per customer." in shopper.client.get("/checkout").get_data(as_text=True)
    no_email = shopper.checkout(email="")
    assert no_email.status_code == 422
    assert "Enter your email address: the code WELCOME is limited per customer." in no_email.get_data(as_text=True)
    pay(stripe_server, deliver, shopper.checkout(email="Jo@Example.com"), email="Jo@Example.com")
    shopper.add("TMC-CRM-4-UNS", 1)
    assert "Code WELCOME" not in shopper.client.get("/cart").get_data(as_text=True)  # it went with the order
    apply_code("welcome")
    again = shopper.checkout(email="JO@EXAMPLE.COM")
    assert "The code WELCOME can be used once per customer, and it has been used with this email address." in page_after(
        shopper.client, again)
    assert latest_order(session).status is OrderStatus.paid  # no second order was opened
    assert session_id_from(shopper.checkout(email="sam@example.com"))  # someone else may


@pytest.mark.parametrize("text, message", [
    ("X" * 41, "That is too long for a discount code"),
    ("X" * 5000, "That is too long for a discount code"),
    ("SAVE 10%", "Discount codes are made of letters, digits, hyphens and underscores."),
    ("<script>alert(1)</script>", "Discount codes are made of letters"),
    ("NOSUCHCODE", "recognise the code NOSUCHCODE. Check it and try again."),
    ("", "Enter a discount code."),
    ("tab\tcode", "Discount codes are made of letters"),
])
def test_bad_input_in_the_code_box_gets_a_message(shopper, apply_code, text, message):
    shopper.add("TMC-CRM-4-UNS", 1)
    html = apply_code(text)
    assert message in html
    assert "<script>alert(1)" not in html


def test_control_characters_in_the_code_box_are_refused_before_anything_runs(shopper, csrf_token):
    shopper.add("TMC-CRM-4-UNS", 1)
    response = shopper.client.post("/cart/discount", data={"csrf_token": csrf_token, "code": "SAVE\x0010"})
    assert response.status_code == 400


def test_a_code_box_post_without_its_csrf_token_is_refused(shopper, make_code, session):
    make_code("SAVE10", percent_off=10)
    shopper.add("TMC-CRM-4-UNS", 1)
    assert shopper.client.post("/cart/discount", data={"code": "SAVE10"}).status_code == 400
    assert shopper.client.post("/cart/discount/remove").status_code == 400


def test_the_code_can_be_removed(shopper, make_code, apply_code):
    make_code("SAVE10", percent_off=10)
    shopper.add("TMC-CRM-4-UNS", 1)
    apply_code("save10")
    html = page_after(shopper.client, shop_post(shopper, "/cart/discount/remove"))
    assert "Discount code removed." in html and "Code SAVE10" not in html


def test_a_discounted_order_refunds_at_most_what_was_paid(shopper, make_code, apply_code, session, stripe_server,
                                                          deliver, sign_in):
    make_code("HALF", percent_off=50)
    shopper.add("TMC-CRM-4-UNS", 2)  # $52.00, half off: $26.00 + $5.95 shipping
    apply_code("half")
    pay(stripe_server, deliver, shopper.checkout())
    order = latest_order(session)
    assert order.amount_paid_minor == order.total_minor == 3195
    staff = sign_in("fulfilment")
    page = f"/admin/orders/{order.number}"
    too_much = page_after(staff, post(staff, f"{page}/refund", amount="52.00", confirm_refund="y"))
    assert "You can refund at most $31.95." in too_much
    session.refresh(order)
    assert order.amount_refunded_minor == 0
    page_after(staff, post(staff, f"{page}/refund", amount="31.95", confirm_refund="y"))
    session.refresh(order)
    assert order.amount_refunded_minor == 3195 and order.status is OrderStatus.cancelled
    assert use_states(session, order.id) == [UseState.used]  # a paid order's use stays counted
    admin_page = staff.get(page).get_data(as_text=True)
    assert "Discount (HALF)" in admin_page and 'id="order-discount">&minus;$26.00' in admin_page
