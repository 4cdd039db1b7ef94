"""The webhook endpoint: only Stripe-signed, fresh, well-formed events; each applied once."""
import copy
import json
import time

import pytest
from sqlalchemy import func, select

from app.catalog.models import StockMovement
from app.orders.models import Order, OrderEvent, OrderStatus
from app.payments.models import PaymentEvent
from tests.conftest import latest_order, session_id_from
from tests.fakes.stripe_server import event_payload


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


def paid(shopper, session, stripe_server, deliver) -> Order:
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    deliver(stripe_server.last_event("checkout.session.completed"))
    return latest_order(session)


def paid_event(shopper, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    return stripe_server.last_event("checkout.session.completed")


def stored_events(session) -> int:
    return session.scalar(select(func.count(PaymentEvent.id)))


def test_bad_signature_is_refused_and_changes_nothing(shopper, session, stripe_server, deliver):
    event = paid_event(shopper, stripe_server)
    response = deliver(event, secret="whsec_wrong")
    assert response.status_code == 400
    assert stored_events(session) == 0
    assert latest_order(session).status is OrderStatus.pending_payment


def test_missing_signature_is_refused(client, session):
    response = client.post("/webhooks/stripe", data=b"{}", content_type="application/json")
    assert response.status_code == 400
    assert stored_events(session) == 0


def test_stale_timestamp_is_refused(shopper, session, stripe_server, deliver):
    event = paid_event(shopper, stripe_server)
    response = deliver(event, timestamp=int(time.time()) - 600)
    assert response.status_code == 400
    assert latest_order(session).status is OrderStatus.pending_payment


def test_tampered_body_is_refused(shopper, session, stripe_server, client):
    from tests.fakes.stripe_server import sign_payload
    event = paid_event(shopper, stripe_server)
    payload = event_payload(event)
    signature = sign_payload(payload, "whsec_test_shop")
    tampered = payload.replace(b'"amount_total": ', b'"amount_total": 1')
    response = client.post("/webhooks/stripe", data=tampered, content_type="application/json",
                           headers={"Stripe-Signature": signature})
    assert response.status_code == 400
    assert latest_order(session).status is OrderStatus.pending_payment


def test_malformed_bodies_are_refused(deliver, session):
    for body in (b"not json", b"[1, 2, 3]", b'{"id": "evt_1"}', b"\xff\xfe"):
        assert deliver({}, payload=body).status_code == 400
    assert stored_events(session) == 0


def test_unknown_event_type_is_acknowledged_and_stored(deliver, session, stripe_server):
    event = stripe_server.make_event("customer.created", {"id": "cus_1", "object": "customer"})
    response = deliver(event)
    assert response.status_code == 200
    assert response.get_json()["outcome"].startswith("ignored")
    assert stored_events(session) == 1


def test_every_event_delivered_three_times_has_one_effect(shopper, session, stripe_server, deliver):
    import stripe as stripe_library
    completed = paid_event(shopper, stripe_server)
    for _ in range(3):
        assert deliver(completed).status_code == 200
    order = latest_order(session)
    client = stripe_library.StripeClient("sk_test_shop", base_addresses={"api": stripe_server.url})
    client.v1.refunds.create({"payment_intent": order.payment_intent_id, "amount": 500})
    refunded = stripe_server.last_event("charge.refunded")
    stripe_server.dispute(order.payment_intent_id)
    disputed = stripe_server.last_event("charge.dispute.created")
    for event in (refunded, disputed):
        replies = [deliver(event).get_json()["outcome"] for _ in range(3)]
        assert replies[1:] == ["duplicate: already processed"] * 2
    session.refresh(order)
    assert order.amount_refunded_minor == 500
    kinds = session.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order.id)).all()
    assert kinds.count("paid") == 1 and kinds.count("refunded") == 1 and kinds.count("flagged") == 1
    assert session.scalar(select(func.count(StockMovement.id)).where(
        StockMovement.order_id == order.id, StockMovement.reason == "sold")) == 1
    assert stored_events(session) == 3


def test_expiry_and_failure_events_delivered_three_times_have_one_effect(shopper, session, stripe_server, deliver):
    shopper.add("TMC-CRM-4-UNS", 2)
    session_id = session_id_from(shopper.checkout())
    stripe_server.expire(session_id)
    expired = stripe_server.last_event("checkout.session.expired")
    for _ in range(3):
        deliver(expired)
    order = latest_order(session)
    released = session.scalars(select(StockMovement).where(
        StockMovement.order_id == order.id, StockMovement.reason == "released")).all()
    assert len(released) == 1 and released[0].reserved_delta == -2


def test_events_out_of_order_never_move_an_order_backwards(shopper, session, stripe_server, deliver):
    completed = paid_event(shopper, stripe_server)
    order = latest_order(session)
    late_expiry = stripe_server.make_event("checkout.session.expired", {
        **completed["data"]["object"], "status": "expired"})
    deliver(completed)
    deliver(late_expiry)
    session.refresh(order)
    assert order.status is OrderStatus.paid

    import stripe as stripe_library
    client = stripe_library.StripeClient("sk_test_shop", base_addresses={"api": stripe_server.url})
    client.v1.refunds.create({"payment_intent": order.payment_intent_id, "amount": 700})
    first = stripe_server.last_event("charge.refunded")
    client.v1.refunds.create({"payment_intent": order.payment_intent_id, "amount": 300})
    second = stripe_server.last_event("charge.refunded")
    deliver(second)
    deliver(first)  # older and smaller: must not lower the refunded total
    session.refresh(order)
    assert order.amount_refunded_minor == 1000
    assert order.status is OrderStatus.partially_refunded


def test_a_payment_for_a_cancelled_order_is_held_for_staff_not_revived(shopper, session, stripe_server, deliver):
    event = paid_event(shopper, stripe_server)
    order = latest_order(session)
    expired = copy.deepcopy(event)
    expired["id"] = "evt_expired_first"
    expired["type"] = "checkout.session.expired"
    deliver(expired)
    assert deliver(event).get_json()["outcome"] == "payment held for review"
    session.refresh(order)
    assert order.status is OrderStatus.payment_review and order.needs_attention
    assert order.amount_paid_minor == event["data"]["object"]["amount_total"] and not order.stock_held
    assert "after the order had been cancelled" in order.held_reason


def test_amount_mismatch_holds_the_payment_instead_of_marking_the_order_paid(shopper, session, stripe_server, deliver):
    event = paid_event(shopper, stripe_server)
    outcomes = []
    for field, value in (("amount_total", 1), ("currency", "eur")):
        wrong = copy.deepcopy(event)
        wrong["id"] = f"evt_wrong_{field}"
        wrong["data"]["object"][field] = value
        outcomes.append(deliver(wrong).get_json()["outcome"])
    assert outcomes == ["payment held for review", "no change: payment already recorded"]
    order = latest_order(session)
    assert order.status is OrderStatus.payment_review and order.stock_held and order.amount_paid_minor == 1
    assert "expects" in order.held_reason


def test_webhook_reply_is_json_and_needs_no_csrf_token(shopper, stripe_server, deliver):
    response = deliver(paid_event(shopper, stripe_server))
    assert response.status_code == 200
    assert json.loads(response.data)["received"] is True


# Events that are not ours, or not whole: stored, acknowledged, and kept away from our orders.
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
