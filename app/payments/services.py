"""Applying payment events to orders: stored first, applied once, never moving an order back."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.cart.services import remove_ordered_items
from app.db import utcnow
from app.orders import services as orders
from app.orders.models import Order, OrderStatus
from app.payments.events import checkout_facts
from app.payments.gateway import Gateway
from app.payments.models import PaymentEvent

HANDLED_TYPES = {
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
}


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


def _order_for_charge(session: Session, obj: dict) -> int | None:
    """The order a charge or dispute belongs to: by its payment intent, which our order recorded
    when paid. Metadata is not trusted: any charge on the account could carry an order id."""
    intent = obj.get("payment_intent")
    if not intent:
        return None
    return session.scalar(select(Order.id).where(Order.payment_intent_id == intent))


def handle_event(session: Session, *, provider: str, event: dict) -> str:
    """Store and apply one provider event; returns what happened, for the log and the reply."""
    record = _store_event(session, provider=provider, event=event)
    if record is None:
        return "duplicate: already processed"
    if record.type not in HANDLED_TYPES:
        record.outcome = "ignored: not an event this shop acts on"
        return record.outcome
    try:
        with session.begin_nested():
            record.outcome = _apply(session, record, event["data"]["object"], actor=f"{provider} webhook")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        # Stored and acknowledged, so the provider stops retrying an event we can never apply.
        record.outcome = f"ignored: malformed event ({type(error).__name__}: {error})"[:255]
    session.flush()
    return record.outcome


def _apply(session: Session, record: PaymentEvent, obj, *, actor: str) -> str:
    if not isinstance(obj, dict):
        raise TypeError("data.object is not an object")
    if record.type.startswith("checkout.session."):
        return _apply_checkout_event(session, record.type, obj, actor=actor, record=record)
    record.order_id = _order_for_charge(session, obj)
    if record.order_id is None:
        return "ignored: no matching order"
    if record.type == "charge.refunded":
        changed = orders.record_refund(session, order_id=record.order_id, actor=actor,
                                       amount_refunded_minor=int(obj.get("amount_refunded") or 0),
                                       currency=str(obj.get("currency") or ""))
        return "refund recorded" if changed else "no change: refund already known"
    if record.type == "charge.dispute.closed":
        # Won: the money stays and the dispute is over. Lost: the bank took the payment back.
        outcome = "won" if obj.get("status") == "won" else "lost"
        orders.record_event(session, order_id=record.order_id, kind=f"dispute_{outcome}", actor=actor,
                            message=f"The cardholder's dispute was closed: {outcome}.")
        if outcome == "lost":
            orders.flag_for_review(session, order_id=record.order_id, actor=actor,
                                   reason="Dispute lost: the payment was taken back by the cardholder's bank.")
        return f"dispute closed: {outcome}"
    orders.flag_for_review(session, order_id=record.order_id, actor=actor,
                           reason=f"Payment disputed by the cardholder ({obj.get('reason', 'no reason given')}).")
    return "order flagged: dispute"


def _apply_checkout_event(session: Session, event_type: str, obj: dict, *, actor: str,
                          record: PaymentEvent) -> str:
    facts = checkout_facts(obj)
    order = _order_for_checkout(session, facts)
    if order is None:
        return "ignored: no matching order"
    record.order_id = order.id
    if event_type == "checkout.session.expired":
        cancelled = orders.cancel_unpaid(session, order_id=order.id, actor=actor,
                                         reason="The checkout session expired before payment.")
        return "order cancelled: checkout expired" if cancelled else "no change"
    if event_type == "checkout.session.async_payment_failed":
        cancelled = orders.cancel_unpaid(session, order_id=order.id, actor=actor,
                                         reason="The delayed payment failed.")
        return "order cancelled: payment failed" if cancelled else "no change"
    return _settle(session, order, facts, actor=actor)


def _order_for_checkout(session: Session, facts) -> Order | None:
    """The order a Checkout Session is for: by its session id. Only an order whose session id we
    never got to store (the worker died mid-checkout) is found by id, and then only if the order
    number in the metadata matches too."""
    order = orders.find_order(session, checkout_session_id=facts.session_id)
    if order is None and facts.order_id is not None:
        candidate = session.get(Order, facts.order_id)
        if candidate is not None and candidate.checkout_session_id is None and candidate.number == facts.order_number:
            order = candidate
    return order


def _settle(session: Session, order: Order, facts, *, actor: str) -> str:
    """Mark the order paid if the session says so, and empty the shopper's cart."""
    if facts.payment_status not in ("paid", "no_payment_required"):
        if any(event.kind == "awaiting_payment" for event in order.events):
            return "waiting: payment processing"  # already known; asked again by cron or the cart
        # A delayed method: keep who it is and where it goes now; the later events may not say.
        orders.record_customer_details(session, order_id=order.id, email=facts.payment.email,
                                       shipping_address=facts.payment.shipping_address)
        orders.record_event(session, order_id=order.id, kind="awaiting_payment", actor=actor,
                            message="Checkout finished; the payment is still processing.")
        return "waiting: payment processing"
    if not orders.mark_paid(session, order_id=order.id, payment=facts.payment, actor=actor):
        return "no change: already paid, cancelled or flagged"
    remove_ordered_items(session, token=order.cart_token,
                         quantities={line.variant_id: line.quantity for line in order.lines if line.variant_id})
    return "order paid"


def fulfil_checkout(session: Session, *, gateway: Gateway, session_id: str, actor: str) -> Order | None:
    """Ask the provider how a checkout ended and apply it: the success page's and cron's path.

    The same idempotent steps as the webhook, so whichever arrives first does the work.
    """
    order = orders.find_order(session, checkout_session_id=session_id)
    if order is None:
        return None
    if order.status is OrderStatus.pending_payment:
        facts = checkout_facts(gateway.retrieve_checkout(session_id))
        if facts.status == "complete":
            _settle(session, order, facts, actor=actor)
        elif facts.status == "expired":
            orders.cancel_unpaid(session, order_id=order.id, actor=actor,
                                 reason="The checkout session expired before payment.")
        session.flush()
    return orders.find_order(session, checkout_session_id=session_id)


def abandon_checkout(session: Session, *, gateway: Gateway, order: Order, reason: str, actor: str) -> bool:
    """Close the provider's session and cancel the order, releasing its stock.

    If the provider says the session was paid after all, the order is settled instead.
    """
    if order.checkout_session_id:
        facts = checkout_facts(gateway.expire_checkout(order.checkout_session_id))
        if facts.status == "complete":
            _settle(session, order, facts, actor=actor)
            return False
    return orders.cancel_unpaid(session, order_id=order.id, reason=reason, actor=actor)


def stale_pending_orders(session: Session, *, grace_minutes: int = 5) -> list[Order]:
    """Orders still awaiting payment after their checkout should have expired."""
    cutoff = utcnow() - timedelta(minutes=grace_minutes)
    return list(session.scalars(
        select(Order)
        .where(Order.status == OrderStatus.pending_payment, Order.checkout_expires_at < cutoff,
               Order.needs_review.is_(False))
        .order_by(Order.id)
    ))


def pending_orders(session: Session, *, cart_token: str | None = None) -> list[Order]:
    """Orders awaiting payment at the provider; only one cart's, if cart_token is given."""
    query = select(Order).where(Order.status == OrderStatus.pending_payment).order_by(Order.id)
    if cart_token is not None:
        return list(session.scalars(query.where(Order.cart_token == cart_token)))
    return list(session.scalars(query.where(Order.checkout_session_id.is_not(None), Order.needs_review.is_(False))))


def refund_order(session: Session, *, gateway: Gateway, order: Order, amount_minor: int, actor: str,
                 request_key: str) -> None:
    """Refund through the provider, then record it; a refused or failed call changes nothing here.

    request_key names this one refund (the refund form carries a fresh one each time it is
    shown): the same form sent twice reaches the provider with the same idempotency key, gets
    the same refund back, and is not counted twice.
    """
    orders.check_refund(order, amount_minor)
    refund_id = gateway.refund(
        payment_intent_id=order.payment_intent_id or "",
        amount_minor=amount_minor,
        idempotency_key=f"refund-{order.number}-{request_key}",
    )
    if orders.refund_recorded(session, order_id=order.id, refund_id=refund_id):
        raise orders.OrderError("That refund was already issued: the form was sent twice.")
    orders.record_refund(session, order_id=order.id, actor=actor, refund_id=refund_id,
                         amount_refunded_minor=order.amount_refunded_minor + amount_minor)


def cancel_order(session: Session, *, gateway: Gateway, order: Order, actor: str) -> None:
    """Staff cancel: an unpaid order is closed; a paid one is refunded in full and restocked."""
    if order.status is OrderStatus.pending_payment:
        if not abandon_checkout(session, gateway=gateway, order=order, actor=actor, reason="Cancelled by staff."):
            raise orders.OrderError("The shopper has paid, or a delayed payment is settling: this order can't be "
                                    "cancelled as unpaid. Reload the page to see its state.")
        return
    if order.shipped_at is not None:
        raise orders.OrderError("This order has shipped: refund it instead of cancelling.")
    if order.status in orders.PAID_STATES and order.refundable_minor > 0:
        refund_order(session, gateway=gateway, order=order, amount_minor=order.refundable_minor, actor=actor,
                     request_key="cancel")
    orders.cancel_paid(session, order_id=order.id, reason="Cancelled by staff; payment refunded.", actor=actor)
