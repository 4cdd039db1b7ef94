"""The order state machine: the one place an order's status changes.

Every transition is a compare-and-set UPDATE (`... WHERE status IN (:expected)`) whose row
count says whether this call made the change, so duplicate or concurrent events have exactly
one effect, on SQLite and PostgreSQL alike. Each transition writes an order event.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from app.catalog.services import release_stock, reserve_stock, restock_sold, sell_reserved_stock
from app.db import utcnow
from app.mail.services import queue_email
from app.money import format_money
from app.orders.models import AWAITING_SHIPMENT, Order, OrderEvent, OrderLine, OrderStatus

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on the phone
OPEN_FOR_PAYMENT = (OrderStatus.pending_payment,)
PAID_STATES = (OrderStatus.paid, OrderStatus.shipped, OrderStatus.partially_refunded)


class OrderError(Exception):
    """An order rule was broken; the message is safe to show."""


class OrderNotFound(OrderError):
    pass


@dataclass(frozen=True)
class LineSnapshot:
    variant_id: int
    product_name: str
    variant_label: str
    sku: str
    unit_price_minor: int
    quantity: int


@dataclass(frozen=True)
class ShippingChoice:
    code: str
    name: str
    amount_minor: int
    estimates: str = ""  # "US 3–7 business days, Canada 6–12 business days"
    restriction: str = ""


@dataclass(frozen=True)
class Payment:
    """What the payment provider says was paid, in the provider's own figures."""

    amount_minor: int
    currency: str
    payment_intent_id: str | None = None
    email: str = ""
    shipping_address: dict | None = None
    discount_minor: int = 0


def record_event(session: Session, *, order_id: int, kind: str, actor: str, message: str = "",
                 data: dict | None = None) -> OrderEvent:
    event = OrderEvent(order_id=order_id, kind=kind, actor=actor, message=message, data=data or {})
    session.add(event)
    return event


def _new_number() -> str:
    return "TW-" + "".join(secrets.choice(NUMBER_ALPHABET) for _ in range(8))


def get_order(session: Session, *, order_id: int) -> Order:
    order = session.scalars(
        select(Order).where(Order.id == order_id).options(selectinload(Order.lines))
    ).first()
    if order is None:
        raise OrderNotFound(f"Order {order_id} not found.")
    return order


def find_order(session: Session, **criteria) -> Order | None:
    """The order matching one unique column, e.g. checkout_session_id= or number=."""
    (column, value), = criteria.items()
    return session.scalars(
        select(Order).where(getattr(Order, column) == value).options(selectinload(Order.lines))
    ).first()


def claim_guest_orders(session: Session, *, user_id: int, email: str) -> int:
    """Give an account the guest orders placed with its email: call only once the email is proven."""
    result = session.execute(
        update(Order).where(Order.user_id.is_(None), func.lower(Order.email) == email.lower())
        .values(user_id=user_id).execution_options(synchronize_session=False)
    )
    return result.rowcount


def orders_for_user(session: Session, *, user_id: int) -> list[Order]:
    return list(session.scalars(
        select(Order).where(Order.user_id == user_id).order_by(Order.created_at.desc())
        .options(selectinload(Order.lines))
    ))


def create_order(session: Session, *, lines: list[LineSnapshot], shipping: ShippingChoice,
                 currency: str, email: str, cart_token: str, expires_at: datetime,
                 user_id: int | None = None) -> Order:
    """A pending order with its stock reserved; raises OutOfStock if a line can't be held."""
    if not lines:
        raise OrderError("An order needs at least one item.")
    subtotal = sum(line.unit_price_minor * line.quantity for line in lines)
    order = Order(
        number=_new_number(),
        status=OrderStatus.pending_payment,
        email=email,
        cart_token=cart_token,
        user_id=user_id,
        currency=currency,
        subtotal_minor=subtotal,
        shipping_minor=shipping.amount_minor,
        total_minor=subtotal + shipping.amount_minor,
        shipping_method=shipping.code,
        shipping_method_name=shipping.name,
        # Set now, not only when the provider answers: a worker that dies in between must not
        # leave the stock held for ever (cron cancels the order once this passes).
        checkout_expires_at=expires_at,
        lines=[OrderLine(**line.__dict__) for line in lines],
    )
    session.add(order)
    session.flush()
    for line in lines:
        reserve_stock(session, variant_id=line.variant_id, quantity=line.quantity, order_id=order.id)
    record_event(session, order_id=order.id, kind="created", actor="shopper",
                 message=f"Order placed; {sum(l.quantity for l in lines)} item(s) reserved.")
    session.flush()
    return order


def attach_checkout(session: Session, *, order: Order, provider: str, session_id: str,
                    expires_at: datetime | None) -> None:
    order.payment_provider = provider
    order.checkout_session_id = session_id
    order.checkout_expires_at = expires_at
    record_event(session, order_id=order.id, kind="payment_started", actor="system",
                 message=f"{provider} checkout session created", data={"session_id": session_id})
    session.flush()


def _compare_and_set(session: Session, order_id: int, *, expected: tuple[OrderStatus, ...],
                     new: OrderStatus, condition=True, **values) -> bool:
    result = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status.in_(expected), condition)
        .values(status=new, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    order = session.identity_map.get(session.identity_key(Order, order_id))
    if order is not None:
        session.expire(order)
    return result.rowcount == 1


def flag_for_review(session: Session, *, order_id: int, reason: str, actor: str) -> None:
    session.execute(
        update(Order).where(Order.id == order_id)
        .values(needs_review=True, review_reason=reason[:255], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    record_event(session, order_id=order_id, kind="flagged", actor=actor, message=reason)
    order = session.identity_map.get(session.identity_key(Order, order_id))
    if order is not None:
        session.expire(order)


def record_customer_details(session: Session, *, order_id: int, email: str, shipping_address: dict | None) -> None:
    """The email and address given at checkout, kept while a delayed payment settles."""
    order = get_order(session, order_id=order_id)
    order.email = email or order.email
    order.shipping_address = shipping_address or order.shipping_address
    session.flush()


def mark_paid(session: Session, *, order_id: int, payment: Payment, actor: str) -> bool:
    """Mark a pending order paid and sell its reserved stock; True only for the call that did it.

    Safe to run twice at once (webhook and success page): the compare-and-set lets one win.
    A payment that does not match the order is flagged for a person instead.
    """
    order = get_order(session, order_id=order_id)
    expected = order.total_minor - payment.discount_minor
    if payment.currency.upper() != order.currency.upper() or payment.amount_minor != expected:
        if not order.needs_review:
            flag_for_review(
                session, order_id=order_id, actor=actor,
                reason=f"Paid {format_money(payment.amount_minor, payment.currency.upper())} but the order "
                       f"expects {format_money(expected, order.currency)}: check before fulfilling.",
            )
        return False
    paid = _compare_and_set(
        session, order_id, expected=OPEN_FOR_PAYMENT, new=OrderStatus.paid,
        paid_at=utcnow(), amount_paid_minor=payment.amount_minor,
        discount_minor=payment.discount_minor, payment_intent_id=payment.payment_intent_id,
        email=payment.email or order.email, shipping_address=payment.shipping_address or order.shipping_address,
    )
    if not paid:
        if get_order(session, order_id=order_id).status is OrderStatus.cancelled:
            flag_for_review(session, order_id=order_id, actor=actor,
                            reason="A payment arrived for a cancelled order: refund it or reinstate the order.")
        return False
    for line in order.lines:
        if line.variant_id is not None:
            sell_reserved_stock(session, variant_id=line.variant_id, quantity=line.quantity, order_id=order_id)
    record_event(session, order_id=order_id, kind="paid", actor=actor,
                 message=f"Payment of {format_money(payment.amount_minor, payment.currency.upper())} received.",
                 data={"payment_intent": payment.payment_intent_id})
    _tell_shopper(session, order_id=order_id, subject="Your order {number} is confirmed",
                  template="order_confirmation")
    session.flush()
    return True


def cancel_unpaid(session: Session, *, order_id: int, reason: str, actor: str) -> bool:
    """Cancel an order still awaiting payment and release its stock; True if this call did it."""
    if not _compare_and_set(session, order_id, expected=OPEN_FOR_PAYMENT, new=OrderStatus.cancelled,
                            cancelled_at=utcnow()):
        return False
    order = get_order(session, order_id=order_id)
    for line in order.lines:
        if line.variant_id is not None:
            release_stock(session, variant_id=line.variant_id, quantity=line.quantity,
                          order_id=order_id, note=reason)
    record_event(session, order_id=order_id, kind="cancelled", actor=actor, message=reason)
    session.flush()
    return True


def refund_recorded(session: Session, *, order_id: int, refund_id: str) -> bool:
    """Has this provider refund already been counted on the order's timeline?"""
    events = session.scalars(
        select(OrderEvent).where(OrderEvent.order_id == order_id, OrderEvent.kind.in_(("refunded", "refund_noted")))
    )
    return any(event.data.get("refund_id") == refund_id for event in events)


def record_refund(session: Session, *, order_id: int, amount_refunded_minor: int, actor: str,
                  refund_id: str | None = None, currency: str | None = None) -> bool:
    """Bring the order's refunded total up to what the provider reports; never moves it back.

    A refund id already counted (a webhook got here first) is noted, so the same refund sent
    again is recognised and not counted twice.
    """
    order = get_order(session, order_id=order_id)
    already_refunded = order.amount_refunded_minor
    if (currency and currency.upper() != order.currency) or amount_refunded_minor > order.amount_paid_minor:
        flag_for_review(session, order_id=order_id, actor=actor,
                        reason=f"A refund total of {amount_refunded_minor} {currency or order.currency} (minor units) "
                               f"does not fit this order's payment of {format_money(order.amount_paid_minor, order.currency)}.")
        return False
    if amount_refunded_minor <= already_refunded:
        if refund_id:
            record_event(session, order_id=order_id, kind="refund_noted", actor=actor,
                         message="The provider confirmed a refund already counted.", data={"refund_id": refund_id})
        return False
    if order.status not in PAID_STATES:
        flag_for_review(session, order_id=order_id, actor=actor,
                        reason=f"A refund of {format_money(amount_refunded_minor, order.currency)} arrived "
                               f"while the order was {order.status.label.lower()}.")
        return False
    new_status = (OrderStatus.refunded if amount_refunded_minor >= order.amount_paid_minor
                  else OrderStatus.partially_refunded)
    changed = _compare_and_set(
        session, order_id, expected=PAID_STATES, new=new_status,
        condition=Order.amount_refunded_minor < amount_refunded_minor,  # a late, smaller total loses
        amount_refunded_minor=amount_refunded_minor,
    )
    if changed:
        record_event(session, order_id=order_id, kind="refunded", actor=actor,
                     message=f"Refunded in total: {format_money(amount_refunded_minor, order.currency)}.",
                     data={"refund_id": refund_id} if refund_id else {})
        _tell_shopper(session, order_id=order_id, subject="We've refunded your order {number}",
                      template="order_refunded", refunded_now=amount_refunded_minor - already_refunded)
    session.flush()
    return changed


def _tell_shopper(session: Session, *, order_id: int, subject: str, template: str, **context) -> None:
    """Queue an email about the order to its shopper, and note it on the timeline."""
    order = get_order(session, order_id=order_id)
    if not order.email:
        return
    queue_email(session, recipient=order.email, subject=subject.format(number=order.number),
                template=template, order=order, order_id=order.id, **context)
    record_event(session, order_id=order_id, kind="email_sent", actor="system",
                 message=f"{template.replace('_', ' ').capitalize()} email queued to {order.email}.")


def check_refund(order: Order, amount_minor: int) -> None:
    """Refuse a refund the order cannot take, before anything is sent to the provider."""
    if order.status not in PAID_STATES:
        raise OrderError(f"Only paid orders can be refunded; this one is {order.status.label.lower()}.")
    if amount_minor <= 0:
        raise OrderError("Enter a refund amount greater than zero.")
    if amount_minor > order.refundable_minor:
        raise OrderError(f"You can refund at most {format_money(order.refundable_minor, order.currency)}.")


def ship(session: Session, *, order_id: int, carrier: str, tracking_number: str,
         lot_numbers: dict[int, str], actor: str) -> None:
    """Mark a paid order shipped with its tracking and batch numbers, and tell the shopper."""
    order = get_order(session, order_id=order_id)
    if order.needs_review:
        raise OrderError(f"This order is flagged for review ({order.review_reason}) Resolve that, and mark "
                         "it reviewed, before shipping.")
    if not carrier.strip() or not tracking_number.strip():
        raise OrderError("Enter the carrier and the tracking number.")
    missing = [line.sku for line in order.lines if not lot_numbers.get(line.id, "").strip()]
    if missing:
        raise OrderError(f"Enter the batch (lot) number for {', '.join(missing)}.")
    if not _compare_and_set(session, order_id, expected=AWAITING_SHIPMENT,
                            new=OrderStatus.shipped, condition=Order.shipped_at.is_(None),
                            shipped_at=utcnow(), carrier=carrier.strip(),
                            tracking_number=tracking_number.strip()):
        raise OrderError("Only paid orders that have not shipped yet can be shipped; "
                         f"this one is {order.status.label.lower()}{' and shipped' if order.shipped_at else ''}.")
    for line in order.lines:
        line.lot_number = lot_numbers[line.id].strip()
    record_event(session, order_id=order_id, kind="shipped", actor=actor,
                 message=f"Shipped with {carrier} ({tracking_number}).",
                 data={"lots": {line.sku: line.lot_number for line in order.lines}})
    _tell_shopper(session, order_id=order_id, subject="Your order {number} is on its way", template="order_shipped")
    session.flush()


def cancel_paid(session: Session, *, order_id: int, reason: str, actor: str) -> None:
    """Cancel a paid, unshipped order whose money has been refunded, putting its stock back."""
    if not _compare_and_set(session, order_id, expected=(OrderStatus.refunded,), new=OrderStatus.cancelled,
                            condition=Order.shipped_at.is_(None), cancelled_at=utcnow()):
        raise OrderError("Only a fully refunded order that has not shipped can be cancelled.")
    order = get_order(session, order_id=order_id)
    for line in order.lines:
        if line.variant_id is not None:
            restock_sold(session, variant_id=line.variant_id, quantity=line.quantity, order_id=order_id,
                         note=f"Order {order.number} cancelled")
    record_event(session, order_id=order_id, kind="cancelled", actor=actor, message=reason)
    _tell_shopper(session, order_id=order_id, subject="Your order {number} has been cancelled",
                  template="order_cancelled")
    session.flush()


def clear_review(session: Session, *, order_id: int, note: str, actor: str) -> None:
    """A person has looked into a flagged order: record what they decided, and lift the flag."""
    order = get_order(session, order_id=order_id)
    if not order.needs_review:
        raise OrderError("This order is not flagged for review.")
    if not note.strip():
        raise OrderError("Say what you found and decided.")
    order.needs_review = False
    record_event(session, order_id=order_id, kind="reviewed", actor=actor,
                 message=f"Review of “{order.review_reason}”: {note.strip()}")
    order.review_reason = ""
    session.flush()


def add_note(session: Session, *, order_id: int, text: str, actor: str) -> None:
    if not text.strip():
        raise OrderError("Write a note first.")
    get_order(session, order_id=order_id)
    record_event(session, order_id=order_id, kind="note", actor=actor, message=text.strip())
    session.flush()
