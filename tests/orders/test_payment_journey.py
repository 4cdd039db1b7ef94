"""Issue 13's defects, each by name: every way a payment can arrive ends right, and staff can put it right.
The real `stripe` library talks to the local Stripe-compatible server; webhooks are signed."""
import copy
from datetime import timedelta

import pytest
import stripe
from sqlalchemy import func, select

from app.catalog.models import Variant
from app.db import utcnow
from app.orders import payment_journey as journey
from app.orders.models import Order, OrderStatus
from app.orders.services import OrderError
from app.payments.services import WAITING
from app.payments.stripe_gateway import StripeGateway
from tests.conftest import csrf_token_from, latest_order, outbox, page_after, post, session_id_from


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


def stock(session, sku: str) -> tuple[int, int]:
    variant = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    session.refresh(variant)
    return variant.stock_on_hand, variant.stock_reserved


def sessions_for(stripe_server, order: Order) -> list[dict]:
    return [obj for obj in stripe_server.objects.values()
            if obj.get("object") == "checkout.session" and obj["metadata"].get("order_number") == order.number]


def refund_at_stripe(stripe_server, payment_intent: str, amount: int | None = None) -> None:
    """A refund made in Stripe's dashboard (not through the shop)."""
    client = stripe.StripeClient("sk_test_shop", base_addresses={"api": stripe_server.url})
    client.v1.refunds.create({"payment_intent": payment_intent, **({"amount": amount} if amount else {})})


def expired_event(stripe_server, completed: dict) -> dict:
    """The event Stripe sends when a session times out, for a session the shop will also see paid."""
    session_object = copy.deepcopy(completed["data"]["object"])
    session_object.update(status="expired", payment_status="unpaid", payment_intent=None)
    return stripe_server.make_event("checkout.session.expired", session_object)


def subjects(app) -> list[str]:
    return [mail["Subject"] for mail in outbox(app)]


# 1. Double submit -----------------------------------------------------------------------------------

def test_double_submit_opens_one_payment_page_for_one_order(shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    before = stock(session, "TMC-CRM-4-UNS")
    first, second = shopper.checkout(), shopper.checkout()
    assert second.headers["Location"] == first.headers["Location"]  # the page already open
    order = latest_order(session)
    assert session.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.pending_payment)) == 1
    assert [s["id"] for s in sessions_for(stripe_server, order)] == [session_id_from(first)]
    assert stock(session, "TMC-CRM-4-UNS") == (before[0], before[1] + 1)  # held once


def test_a_changed_cart_with_a_payment_open_is_sent_back_to_finish_or_cancel_it(shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    first = shopper.checkout()
    shopper.add("TMC-BTR-4-UNS", 1)  # in another tab, after the payment page opened
    again = shopper.checkout()
    assert again.headers["Location"].endswith("/cart")
    cart_page = shopper.client.get("/cart").get_data(as_text=True)
    assert "You have a payment in progress" in cart_page and first.headers["Location"] in cart_page
    assert session.scalar(select(func.count(Order.id))) == 1


def test_an_order_closed_while_its_payment_page_opens_gets_no_payable_page(app, shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    stripe_server.set_down(True)
    shopper.checkout()  # the provider never answered: the order was cancelled, nothing attached
    stripe_server.set_down(False)
    order = latest_order(session)
    assert order.status is OrderStatus.cancelled and order.checkout_session_id is None
    with app.test_request_context():
        with pytest.raises(journey.CheckoutClosed):
            journey.begin_payment(session, gateway=StripeGateway(), order_id=order.id,
                                  success_url="https://shop.test/ok", cancel_url="https://shop.test/cart")
    session.refresh(order)
    assert order.checkout_session_id is None and order.status is OrderStatus.cancelled
    opened, = sessions_for(stripe_server, order)
    assert opened["status"] == "expired"  # closed at once, so nobody can pay for a cancelled order


# 2. A refund that overtakes its payment -------------------------------------------------------------

def test_a_refund_that_arrives_before_the_payment_is_applied_once_the_order_is_paid(
        app, shopper, session, stripe_server, deliver):
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    completed = stripe_server.last_event("checkout.session.completed")
    intent = completed["data"]["object"]["payment_intent"]
    refund_at_stripe(stripe_server, intent, 1000)
    refunded = stripe_server.last_event("charge.refunded")
    assert deliver(refunded).get_json()["outcome"] == WAITING
    assert deliver(refunded).get_json()["outcome"].startswith("duplicate")  # redelivery: still waiting
    assert deliver(completed).get_json()["outcome"] == "order paid"
    order = latest_order(session)
    assert (order.status, order.amount_refunded_minor) == (OrderStatus.partially_refunded, 1000)
    number = order.number
    assert subjects(app) == [f"Your order {number} is confirmed", f"We've refunded your order {number}"]


# 3. A payment whose amount differs ------------------------------------------------------------------

def test_a_payment_of_the_wrong_amount_is_held_and_staff_can_accept_it(
        app, shopper, session, stripe_server, deliver, sign_in):
    shopper.add("TMC-CRM-4-UNS", 1)
    before = stock(session, "TMC-CRM-4-UNS")
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    wrong = copy.deepcopy(stripe_server.last_event("checkout.session.completed"))
    wrong["data"]["object"]["amount_total"] -= 100
    assert deliver(wrong).get_json()["outcome"] == "payment held for review"
    order = latest_order(session)
    assert order.status is OrderStatus.payment_review and order.stock_held
    shopper_page = shopper.client.get(f"/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert "We received your payment" in shopper_page and "No payment was taken" not in shopper_page
    staff = sign_in("fulfilment")
    dashboard = staff.get("/admin/").get_data(as_text=True)
    assert dashboard.index("Needs attention") < dashboard.index("Orders to ship")
    assert order.number in dashboard and "received" in dashboard
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="accept"))
    assert "Payment accepted" in html
    session.refresh(order)
    assert order.status is OrderStatus.paid and not order.needs_attention
    assert stock(session, "TMC-CRM-4-UNS") == (before[0] - 1, before[1])  # sold from the held units
    assert subjects(app) == [f"Your order {order.number} is confirmed"]
    assert order.number not in page_after(staff, staff.get("/admin/")).split("Orders to ship")[0]


def test_staff_cancel_is_not_offered_for_held_money_and_expiry_does_not_touch_it(
        shopper, session, stripe_server, deliver, sign_in):
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    wrong = copy.deepcopy(stripe_server.last_event("checkout.session.completed"))
    wrong["data"]["object"]["amount_total"] += 500
    deliver(wrong)
    order = latest_order(session)
    html = sign_in("fulfilment").get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "held-payment-form" in html and "/cancel" not in html
    deliver(expired_event(stripe_server, wrong))
    session.refresh(order)
    assert order.status is OrderStatus.payment_review and order.stock_held


# 4. A payment after the order was cancelled ---------------------------------------------------------

def late_payment(shopper, session, stripe_server, deliver) -> tuple[Order, str]:
    shopper.add("TMC-CRM-4-UNS", 2)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    completed = stripe_server.last_event("checkout.session.completed")
    deliver(expired_event(stripe_server, completed))  # the shop saw it expire first
    assert latest_order(session).status is OrderStatus.cancelled
    assert deliver(completed).get_json()["outcome"] == "payment held for review"
    return latest_order(session), session_id


def test_a_payment_after_cancelling_is_told_truthfully_and_refunded_once_by_staff(
        app, shopper, session, stripe_server, deliver, sign_in):
    before = stock(session, "TMC-CRM-4-UNS")
    order, session_id = late_payment(shopper, session, stripe_server, deliver)
    assert stock(session, "TMC-CRM-4-UNS") == before  # released when it was cancelled
    page = shopper.client.get(f"/checkout/success?session_id={session_id}").get_data(as_text=True)
    assert "We received your payment" in page and "had already been closed" in page
    assert "No payment was taken" not in page
    staff = sign_in("fulfilment")
    assert "held-payment-form" in staff.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="refund"))
    assert "Payment refunded in full" in html
    again = page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="refund"))
    assert "no held payment to refund" in again  # a second click changes nothing
    session.refresh(order)
    charge = stripe_server.objects[stripe_server.objects[order.payment_intent_id]["latest_charge"]]
    assert charge["amount_refunded"] == order.amount_paid_minor == order.amount_refunded_minor
    assert len(charge["refunds"]["data"]) == 1
    assert order.status is OrderStatus.cancelled and not order.needs_attention
    assert stock(session, "TMC-CRM-4-UNS") == before
    assert subjects(app) == [f"Your order {order.number} has been cancelled"]
    refund_event = stripe_server.last_event("charge.refunded")
    assert deliver(refund_event).get_json()["outcome"] == "no change: refund already known"


def test_accepting_a_late_payment_reserves_the_stock_again_or_says_there_is_none(
        shopper, session, stripe_server, deliver, sign_in):
    order, _ = late_payment(shopper, session, stripe_server, deliver)
    variant = session.scalars(select(Variant).where(Variant.sku == "TMC-CRM-4-UNS")).one()
    on_hand = variant.stock_on_hand
    variant.stock_reserved = on_hand - 1  # someone else holds all but one
    session.commit()
    staff = sign_in("fulfilment")
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="accept"))
    assert "enough stock left to accept this order: refund it instead" in html
    session.refresh(order)
    assert order.status is OrderStatus.payment_review
    variant.stock_reserved = 0
    session.commit()
    page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="accept"))
    session.refresh(order)
    assert order.status is OrderStatus.paid
    assert stock(session, "TMC-CRM-4-UNS") == (on_hand - 2, 0)


def test_the_held_payment_form_refuses_an_unknown_decision(shopper, session, stripe_server, deliver, sign_in):
    order, _ = late_payment(shopper, session, stripe_server, deliver)
    staff = sign_in("fulfilment")
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="keep-it"))
    assert "Not a valid choice" in html
    session.refresh(order)
    assert order.status is OrderStatus.payment_review


# 7. The admin offers only what the service accepts --------------------------------------------------

def test_an_order_shipped_then_partly_refunded_offers_no_shipping(shopper, session, stripe_server, deliver, sign_in):
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    deliver(stripe_server.last_event("checkout.session.completed"))
    order = latest_order(session)
    staff = sign_in("fulfilment")
    lots = {f"lot-{line.id}": "LOT-1" for line in order.lines}
    page_after(staff, post(staff, f"/admin/orders/{order.number}/ship", carrier="USPS", tracking_number="94001",
                           confirm_shipped="y", **lots))
    page_after(staff, post(staff, f"/admin/orders/{order.number}/refund", amount="1.00", confirm_refund="y"))
    session.refresh(order)
    assert order.status is OrderStatus.partially_refunded and order.shipped_at is not None
    page = staff.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert f"/admin/orders/{order.number}/ship" not in page and f"/admin/orders/{order.number}/refund" in page
    to_ship = staff.get("/admin/").get_data(as_text=True).split("Orders to ship")[1].split("</section>")[0]
    assert order.number not in to_ship


def test_service_refuses_a_refund_the_order_cannot_take(app, shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    shopper.checkout()
    order = latest_order(session)
    with app.test_request_context(), pytest.raises(OrderError, match="can't be refunded"):
        journey.refund(session, gateway=StripeGateway(), order_id=order.id, amount_minor=100, actor="test",
                       request_key="x")


def test_a_payment_page_that_timed_out_is_shown_as_expired_and_can_be_cancelled(
        shopper, session, stripe_server, set_order):
    shopper.add("TMC-CRM-4-UNS", 1)
    before = stock(session, "TMC-CRM-4-UNS")
    session_id = session_id_from(shopper.checkout())
    stripe_server.expire(session_id)  # its webhook never came
    order = set_order(latest_order(session), checkout_expires_at=utcnow() - timedelta(minutes=1))
    cart_page = shopper.client.get("/cart").get_data(as_text=True)
    assert "payment page has expired" in cart_page and ">Continue paying</a>" not in cart_page
    shopper.client.post("/checkout/abandon", data={"csrf_token": csrf_token_from(cart_page)})
    session.refresh(order)
    assert order.status is OrderStatus.cancelled
    assert stock(session, "TMC-CRM-4-UNS") == before
    assert shopper.checkout().status_code == 303  # and checking out again works
    assert latest_order(session).id != order.id


# Found in review ---------------------------------------------------------------------------------

def paid_through_stripe(shopper, session, stripe_server, deliver, quantity: int = 1) -> Order:
    shopper.add("TMC-CRM-4-UNS", quantity)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    deliver(stripe_server.last_event("checkout.session.completed"))
    return latest_order(session)


def test_a_refund_sent_again_after_its_webhook_came_is_not_counted_twice(
        shopper, session, stripe_server, deliver, sign_in):
    order = paid_through_stripe(shopper, session, stripe_server, deliver)
    client = stripe.StripeClient("sk_test_shop", base_addresses={"api": stripe_server.url})
    # The shop's first try reached Stripe but its answer was lost; Stripe's webhook told the books.
    client.v1.refunds.create({"payment_intent": order.payment_intent_id, "amount": 500, "reason": "requested_by_customer",
                              "expand": ["charge"]}, options={"idempotency_key": f"refund-{order.number}-samekey123"})
    deliver(stripe_server.last_event("charge.refunded"))
    staff = sign_in("fulfilment")
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/refund", amount="5.00", confirm_refund="y",
                                  request_key="samekey123"))
    assert "already issued" in html
    session.refresh(order)
    charge = stripe_server.objects[stripe_server.objects[order.payment_intent_id]["latest_charge"]]
    assert order.amount_refunded_minor == charge["amount_refunded"] == 500


def test_a_payment_failure_that_overtakes_its_checkout_cancels_the_order(app, shopper, session, stripe_server, deliver):
    shopper.add("TMC-CRM-4-UNS", 1)
    before = stock(session, "TMC-CRM-4-UNS")
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id, paid=False)
    completed = stripe_server.last_event("checkout.session.completed")
    stripe_server.finish_async_payment(session_id, succeeded=False)
    assert deliver(stripe_server.last_event("checkout.session.async_payment_failed")).get_json()["outcome"] == \
        "order cancelled: payment failed"
    assert deliver(completed).get_json()["outcome"] == "no change"
    order = latest_order(session)
    assert order.status is OrderStatus.cancelled
    assert stock(session, "TMC-CRM-4-UNS") == before
    assert subjects(app) == [f"Your order {order.number} has been cancelled"]


def test_checking_out_again_after_the_page_expired_goes_to_the_cart_not_the_dead_page(
        shopper, session, stripe_server, set_order):
    shopper.add("TMC-CRM-4-UNS", 1)
    first = shopper.checkout()
    stripe_server.expire(session_id_from(first))
    set_order(latest_order(session), checkout_expires_at=utcnow() - timedelta(minutes=1))
    again = shopper.checkout()
    assert again.headers["Location"].endswith("/cart")


def test_staff_cancel_of_an_order_just_paid_keeps_the_payment_and_says_so(shopper, session, stripe_server, sign_in):
    shopper.add("TMC-CRM-4-UNS", 1)
    stripe_server.complete(session_id_from(shopper.checkout()))  # paid; the webhook is on its way
    order = latest_order(session)
    staff = sign_in("fulfilment")
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/cancel", confirm_cancel="y"))
    assert "Not cancelled: the shopper had just paid" in html
    session.refresh(order)
    assert order.status is OrderStatus.paid


def test_a_held_payment_partly_refunded_then_accepted_is_partly_refunded(
        shopper, session, stripe_server, deliver, sign_in):
    order, _ = late_payment(shopper, session, stripe_server, deliver)
    refund_at_stripe(stripe_server, order.payment_intent_id, 500)
    deliver(stripe_server.last_event("charge.refunded"))
    staff = sign_in("fulfilment")
    page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="accept"))
    session.refresh(order)
    assert (order.status, order.amount_refunded_minor) == (OrderStatus.partially_refunded, 500)


def test_a_late_payment_leaves_the_cart_alone_until_staff_accept_it(shopper, session, stripe_server, deliver, sign_in):
    order, _ = late_payment(shopper, session, stripe_server, deliver)
    assert shopper.cart_lines() == {"TMC-CRM-4-UNS": 2}  # not bought yet: staff may refund it
    staff = sign_in("fulfilment")
    page_after(staff, post(staff, f"/admin/orders/{order.number}/held-payment", decision="accept"))
    assert shopper.cart_lines() == {}
