"""Holes found in review, kept shut: foreign or malformed events, refunds after shipping,
orders the provider never heard of, and a cart left in a shared browser."""
import copy
from datetime import timedelta

from sqlalchemy import select

from app.catalog.services import reserve_stock
from app.db import utcnow
from app.orders.models import Order, OrderStatus
from app.payments.models import PaymentEvent
from tests.conftest import latest_order, page_after, post, session_id_from, ship, sign_in_as


def paid(shopper, session, stripe_server, deliver) -> Order:
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    deliver(stripe_server.last_event("checkout.session.completed"))
    return latest_order(session)


def test_a_charge_from_elsewhere_cannot_refund_our_order_by_metadata(shopper, session, stripe_server, deliver):
    order = paid(shopper, session, stripe_server, deliver)
    foreign = stripe_server.make_event("charge.refunded", {
        "id": "ch_foreign", "object": "charge", "payment_intent": "pi_other_app", "amount_refunded": 999999,
        "currency": "usd", "metadata": {"order_id": str(order.id)}})
    assert deliver(foreign).get_json()["outcome"] == "waiting: no order has this payment yet"
    session.refresh(order)
    assert (order.status, order.amount_refunded_minor) == (OrderStatus.paid, 0)


def test_a_refund_total_above_what_was_paid_is_flagged_not_applied(shopper, session, stripe_server, deliver):
    order = paid(shopper, session, stripe_server, deliver)
    odd = stripe_server.make_event("charge.refunded", {
        "id": "ch_x", "object": "charge", "payment_intent": order.payment_intent_id,
        "amount_refunded": order.amount_paid_minor + 1, "currency": "usd"})
    deliver(odd)
    session.refresh(order)
    assert order.amount_refunded_minor == 0 and order.needs_review


def test_a_session_from_elsewhere_cannot_cancel_our_order(shopper, session, stripe_server, deliver):
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id_from(shopper.checkout())
    order = latest_order(session)
    foreign = stripe_server.make_event("checkout.session.expired", {
        "id": "cs_from_another_app", "object": "checkout.session", "status": "expired",
        "payment_status": "unpaid", "client_reference_id": str(order.id), "metadata": {"order_id": str(order.id)}})
    assert deliver(foreign).get_json()["outcome"] == "ignored: no matching order"
    session.refresh(order)
    assert order.status is OrderStatus.pending_payment


def test_malformed_events_are_stored_and_acknowledged(deliver, session, stripe_server):
    for number, obj in enumerate((None, {"id": "cs_1", "metadata": "not-a-dict", "amount_total": "x"}, {})):
        event = stripe_server.make_event("checkout.session.completed", {})
        event["id"] = f"evt_malformed_{number}"
        event["data"]["object"] = copy.deepcopy(obj)
        response = deliver(event)
        assert response.status_code == 200
        assert response.get_json()["outcome"].startswith(("ignored: malformed", "ignored: no matching order"))
    assert len(session.scalars(select(PaymentEvent)).all()) == 3


def test_a_shipped_order_refunded_in_part_can_neither_be_cancelled_nor_shipped_again(
        sign_in, shopper, session, stripe_server, deliver):
    order = paid(shopper, session, stripe_server, deliver)
    staff = sign_in("fulfilment")
    page_after(staff, ship(staff, order))
    page_after(staff, post(staff, f"/admin/orders/{order.number}/refund", amount="1.00", confirm_refund="y"))
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/cancel", confirm_cancel="y"))
    assert "has shipped: refund it instead" in html
    html = page_after(staff, ship(staff, order, tracking_number="SECOND", **{
        f"lot-{line.id}": "LOT-B" for line in order.lines}))
    assert "have not shipped yet" in html
    session.refresh(order)
    assert order.amount_refunded_minor == 100 and order.tracking_number != "SECOND"
    assert [line.lot_number for line in order.lines] != ["LOT-B"]
    charge = stripe_server.objects[stripe_server.objects[order.payment_intent_id]["latest_charge"]]
    assert charge["amount_refunded"] == 100


def test_an_order_the_provider_never_heard_of_is_expired_by_cron(app, shopper, session, stripe_server):
    shopper.add("TMC-CRM-2-LAV", 2)
    stripe_server.set_down(True)  # the session is never created, as if the worker died first
    try:
        shopper.checkout()
    finally:
        stripe_server.set_down(False)
    order = latest_order(session)
    order.status, order.checkout_session_id = OrderStatus.pending_payment, None  # as a dead worker leaves it
    for line in order.lines:  # its stock still held, or cancelling it would release units never reserved
        reserve_stock(session, variant_id=line.variant_id, quantity=line.quantity, order_id=order.id)
    order.checkout_expires_at = utcnow() - timedelta(minutes=10)
    session.commit()
    result = app.test_cli_runner().invoke(args=["expire-checkouts"])
    assert "Cancelled 1" in result.output
    session.refresh(order)
    assert order.status is OrderStatus.cancelled


def test_a_cart_left_in_a_shared_browser_by_another_account_is_not_taken(app, session, shopper_account):
    from app.accounts.services import register
    from tests.conftest import Shopper

    register(session, email="first@example.com", password="first-password-1")
    session.commit()
    browser = Shopper(app.test_client(), session)
    sign_in_as(browser.client, "first@example.com", "first-password-1")
    browser.add("TMC-CRM-4-UNS", 2)
    browser.client.delete_cookie("session")  # the first person's session ends without signing out
    sign_in_as(browser.client, *shopper_account)
    first_cart = browser.cart_lines()
    assert first_cart == {"TMC-CRM-4-UNS": 2}  # still theirs, untouched
    assert "Your cart is empty." in browser.client.get("/cart").get_data(as_text=True)


def test_a_closed_dispute_is_recorded_and_a_lost_one_flags_the_order(shopper, session, stripe_server, deliver):
    order = paid(shopper, session, stripe_server, deliver)
    dispute = stripe_server.dispute(order.payment_intent_id)
    for status, expected in (("won", "dispute closed: won"), ("lost", "dispute closed: lost")):
        event = stripe_server.make_event("charge.dispute.closed", {**dispute, "status": status})
        assert deliver(event).get_json()["outcome"] == expected
    session.refresh(order)
    kinds = [event.kind for event in order.events]
    assert "dispute_won" in kinds and "dispute_lost" in kinds
    assert order.needs_review and "Dispute lost" in order.review_reason
