"""The payment event store: every provider event stored first, then handed to the order's money journey.

A redelivered event is a no-op (unique provider event id). An event about a payment no order
has recorded yet (a refund or dispute that overtook the checkout's own event) waits, and is
applied when that payment reaches an order (app.orders.signals.payment_recorded).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.orders import payment_journey as journey
from app.orders import services as orders
from app.orders.models import Order
from app.orders.signals import payment_recorded
from app.payments.events import checkout_facts
from app.payments.models import PaymentEvent

CHECKOUT_TYPES = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
}
CHARGE_TYPES = {"charge.refunded", "charge.dispute.created", "charge.dispute.closed"}
WAITING = "waiting: no order has this payment yet"


def _store_event(session: Session, *, provider: str, event: dict) -> PaymentEvent | None:
    """Insert the event under its unique id; None if it was stored before (a redelivery)."""
    record = PaymentEvent(provider=provider, event_id=str(event["id"]), type=str(event["type"]), payload=event)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError:
        return None
    return record


def handle_event(session: Session, *, provider: str, event: dict) -> str:
    """Store and apply one provider event; returns what happened, for the log and the reply."""
    record = _store_event(session, provider=provider, event=event)
    if record is None:
        return "duplicate: already processed"
    if record.type not in CHECKOUT_TYPES | CHARGE_TYPES:
        record.outcome = "ignored: not an event this shop acts on"
        return record.outcome
    try:
        with session.begin_nested():
            record.outcome = _apply(session, record)[:255]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # Stored and acknowledged, so the provider stops retrying an event we can never apply.
        record.outcome = f"ignored: malformed event ({type(error).__name__}: {error})"[:255]
    session.flush()
    return record.outcome


def _apply(session: Session, record: PaymentEvent) -> str:
    obj = record.payload["data"]["object"]
    if not isinstance(obj, dict):
        raise TypeError("data.object is not an object")
    actor = f"{record.provider} webhook"
    if record.type in CHECKOUT_TYPES:
        facts = checkout_facts(obj)
        order = _order_for_checkout(session, facts.session_id, facts.order_id, facts.order_number)
        if order is None:
            return "ignored: no matching order"
        record.order_id = order.id
        if record.type == "checkout.session.async_payment_failed":
            return journey.payment_failed(session, order_id=order.id, actor=actor)
        if record.type == "checkout.session.expired":
            return journey.expire(session, order_id=order.id, actor=actor)
        return journey.apply_checkout(session, order_id=order.id, facts=facts, actor=actor)
    intent = obj.get("payment_intent")
    if not isinstance(intent, str) or not intent:
        return "ignored: no payment intent"
    # By the payment intent our order recorded: metadata is not trusted, any charge could carry it.
    record.order_id = session.scalar(select(Order.id).where(Order.payment_intent_id == intent))
    if record.order_id is None:
        record.waiting_for = intent
        return WAITING
    return _apply_charge_event(session, record, obj, actor=actor)


def _apply_charge_event(session: Session, record: PaymentEvent, obj: dict, *, actor: str) -> str:
    order_id = record.order_id
    assert order_id is not None
    if record.type == "charge.refunded":
        changed = journey.record_provider_refund(session, order_id=order_id, actor=actor,
                                                 refunded_total_minor=int(obj.get("amount_refunded") or 0),
                                                 currency=str(obj.get("currency") or ""))
        return "refund recorded" if changed else "no change: refund already known"
    if record.type == "charge.dispute.closed":
        # Won: the money stays and the dispute is over. Lost: the bank took the payment back.
        outcome = "won" if obj.get("status") == "won" else "lost"
        orders.record_event(session, order_id=order_id, kind=f"dispute_{outcome}", actor=actor,
                            message=f"The cardholder's dispute was closed: {outcome}.")
        if outcome == "lost":
            orders.flag_for_review(session, order_id=order_id, actor=actor,
                                   reason="Dispute lost: the payment was taken back by the cardholder's bank.")
        return f"dispute closed: {outcome}"
    orders.flag_for_review(session, order_id=order_id, actor=actor,
                           reason=f"Payment disputed by the cardholder ({obj.get('reason', 'no reason given')}).")
    return "order flagged: dispute"


@payment_recorded.connect
def apply_waiting_events(session: Session, *, order_id: int) -> None:
    """Apply, oldest first, the events that were waiting for the payment this order just recorded."""
    intent = session.scalar(select(Order.payment_intent_id).where(Order.id == order_id))
    if not intent:
        return
    waiting = session.scalars(
        select(PaymentEvent).where(PaymentEvent.waiting_for == intent).order_by(PaymentEvent.id).with_for_update()
    ).all()
    for record in waiting:
        record.waiting_for = None
        record.order_id = order_id
        record.outcome = _apply_charge_event(session, record, record.payload["data"]["object"],
                                             actor=f"{record.provider} webhook")[:255]
    session.flush()


def _order_for_checkout(session: Session, session_id: str, order_id: int | None, number: str) -> Order | None:
    """The order a Checkout Session is for: by its session id. Only an order whose session id we
    never got to store (the worker died mid-checkout) is found by id, and then only if the order
    number in the metadata matches too."""
    order = orders.find_order(session, checkout_session_id=session_id)
    if order is None and order_id is not None:
        candidate = session.get(Order, order_id)
        if candidate is not None and candidate.checkout_session_id is None and candidate.number == number:
            order = candidate
    return order
