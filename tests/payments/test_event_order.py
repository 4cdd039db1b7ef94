"""Stripe's events for one order, delivered in every order: completed, expired, refunded, disputed.
Whatever the order, the shop ends in the same state, mails each message at most once, and its stock
is right. The events come from the project's Stripe-compatible server, signed as Stripe signs them."""
import copy
import itertools

import pytest
import stripe
from sqlalchemy import select

from app.catalog.models import Variant
from app.orders.models import OrderStatus
from tests.conftest import latest_order, outbox, session_id_from

SKU = "TMC-BTR-4-UNS"
KINDS = ("completed", "expired", "refunded", "disputed")


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


def one_order_of_events(shopper, stripe_server) -> dict[str, dict]:
    """Pay for one order at Stripe, refund it in full there, and have the bank dispute it: its four events."""
    shopper.add(SKU, 2)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    completed = stripe_server.last_event("checkout.session.completed")
    intent = completed["data"]["object"]["payment_intent"]
    stripe.StripeClient("sk_test_shop", base_addresses={"api": stripe_server.url}).v1.refunds.create(
        {"payment_intent": intent})
    refunded = stripe_server.last_event("charge.refunded")
    stripe_server.dispute(intent)
    expired_session = copy.deepcopy(completed["data"]["object"])
    expired_session.update(status="expired", payment_status="unpaid", payment_intent=None)
    return {"completed": completed, "refunded": refunded, "disputed": stripe_server.last_event("charge.dispute.created"),
            "expired": stripe_server.make_event("checkout.session.expired", expired_session)}


@pytest.mark.parametrize("order", list(itertools.permutations(KINDS)), ids="-".join)
def test_every_order_of_events_ends_the_same(app, shopper, session, stripe_server, deliver, order):
    variant = session.scalars(select(Variant).where(Variant.sku == SKU)).one()
    stock_before = (variant.stock_on_hand, variant.stock_reserved)
    events = one_order_of_events(shopper, stripe_server)
    for kind in order:
        assert deliver(events[kind]).status_code == 200
    for kind in order:  # and each once more, as Stripe retries
        assert deliver(events[kind]).get_json()["outcome"].startswith("duplicate")
    placed = latest_order(session)
    assert placed.status is OrderStatus.cancelled
    assert placed.amount_paid_minor == placed.amount_refunded_minor == placed.total_minor
    assert placed.needs_review and "disputed" in placed.review_reason
    session.refresh(variant)
    assert (variant.stock_on_hand, variant.stock_reserved) == stock_before
    mails = [mail["Subject"] for mail in outbox(app)]
    assert len(mails) == len(set(mails))  # nothing twice
    assert mails.count(f"Your order {placed.number} has been cancelled") == 1
    assert set(mails) <= {f"Your order {placed.number} is confirmed", f"Your order {placed.number} has been cancelled"}
