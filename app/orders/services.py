"""Orders: creating and finding them, their timeline, fulfilment, review flags and notes.

Money moves (paying, refunding, cancelling) live in app.orders.payment_journey; every status
change goes through app.orders.transitions.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from app.catalog.services import lock_stock_rows, reserve_stock
from app.db import utcnow
from app.discounts.services import hold_use
from app.mail.services import queue_email
from app.orders.carriers import check_tracking_number
from app.orders.status_link import status_url
from app.orders.models import AWAITING_MONEY, OPEN_CHECKOUT, Order, OrderEvent, OrderLine, OrderStatus
from app.orders.transitions import change_status, forget_loaded

NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread on the phone
LOT_NUMBER_LENGTH = OrderLine.__table__.c.lot_number.type.length


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
    discount_minor: int = 0  # taken off by a free-shipping code


@dataclass(frozen=True)
class OrderDiscount:
    """A discount code's part in a new order: its use is held with the order, as its stock is."""

    code_id: int
    code: str
    goods_minor: int


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
                 user_id: int | None = None, discount: OrderDiscount | None = None) -> Order:
    """A pending order with its stock reserved and its discount code's use held; raises OutOfStock
    if a line can't be held, DiscountError if the code has no use left."""
    if not lines:
        raise OrderError("An order needs at least one item.")
    subtotal = sum(line.unit_price_minor * line.quantity for line in lines)
    discount_minor = (discount.goods_minor + shipping.discount_minor) if discount else 0
    order = Order(
        number=_new_number(),
        status=OrderStatus.pending_payment,
        email=email,
        cart_token=cart_token,
        user_id=user_id,
        currency=currency,
        subtotal_minor=subtotal,
        shipping_minor=shipping.amount_minor,
        total_minor=subtotal + shipping.amount_minor - discount_minor,
        discount_minor=discount_minor,
        shipping_discount_minor=shipping.discount_minor if discount else 0,
        discount_code=discount.code if discount else "",
        shipping_method=shipping.code,
        shipping_method_name=shipping.name,
        # Set now, not only when the provider answers: a worker that dies in between must not
        # leave the stock held for ever (cron cancels the order once this passes).
        checkout_expires_at=expires_at,
        stock_held=True,
        lines=[OrderLine(**line.__dict__) for line in lines],
    )
    session.add(order)
    session.flush()
    lock_stock_rows(session, variant_ids=(line.variant_id for line in lines))
    for line in lines:
        reserve_stock(session, variant_id=line.variant_id, quantity=line.quantity, order_id=order.id)
    if discount is not None:
        hold_use(session, code_id=discount.code_id, order_id=order.id, email=email)
    record_event(session, order_id=order.id, kind="created", actor="shopper",
                 message=f"Order placed; {sum(l.quantity for l in lines)} item(s) reserved"
                         + (f"; code {discount.code} applied." if discount else "."))
    session.flush()
    return order


def flag_for_review(session: Session, *, order_id: int, reason: str, actor: str) -> None:
    session.execute(
        update(Order).where(Order.id == order_id)
        .values(needs_review=True, review_reason=reason[:255], updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    record_event(session, order_id=order_id, kind="flagged", actor=actor, message=reason)
    forget_loaded(session, order_id)


def tell_shopper(session: Session, *, order_id: int, subject: str, template: str, **context) -> None:
    """Queue an email about the order to its shopper, and note it on the timeline."""
    order = get_order(session, order_id=order_id)
    if not order.email:
        return
    queue_email(session, recipient=order.email, subject=subject.format(number=order.number),
                template=template, order=order, order_id=order.id, status_url=status_url(order), **context)
    record_event(session, order_id=order_id, kind="email_sent", actor="system",
                 message=f"{template.replace('_', ' ').capitalize()} email queued to {order.email}.")


def ship(session: Session, *, order_id: int, carrier: str, tracking_number: str,
         lot_numbers: dict[int, str], actor: str) -> None:
    """Mark a paid order shipped with its tracking and batch numbers, and tell the shopper."""
    order = get_order(session, order_id=order_id)
    if order.needs_review:
        raise OrderError(f"This order is flagged for review ({order.review_reason}) Resolve that, and mark "
                         "it reviewed, before shipping.")
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier or not tracking_number:
        raise OrderError("Enter the carrier and the tracking number.")
    if problem := check_tracking_number(tracking_number):
        raise OrderError(problem)
    missing = [line.sku for line in order.lines if not lot_numbers.get(line.id, "").strip()]
    if missing:
        raise OrderError(f"Enter the batch (lot) number for {', '.join(missing)}.")
    too_long = [line.sku for line in order.lines if len(lot_numbers[line.id].strip()) > LOT_NUMBER_LENGTH]
    if too_long:
        raise OrderError(f"A batch (lot) number has at most {LOT_NUMBER_LENGTH} characters: check {', '.join(too_long)}.")
    if not order.can_ship or not change_status(session, order_id=order_id, source=order.status,
                                               target=OrderStatus.shipped, shipped_at=utcnow(), carrier=carrier,
                                               tracking_number=tracking_number):
        raise OrderError("Only paid orders that have not shipped yet can be shipped; "
                         f"this one is {order.status.label.lower()}{' and shipped' if order.shipped_at else ''}.")
    for line in order.lines:
        line.lot_number = lot_numbers[line.id].strip()
    record_event(session, order_id=order_id, kind="shipped", actor=actor,
                 message=f"Shipped with {carrier} ({tracking_number}).",
                 data={"lots": {line.sku: line.lot_number for line in order.lines}})
    tell_shopper(session, order_id=order_id, subject="Your order {number} is on its way", template="order_shipped")
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


def live_checkout(session: Session, *, cart_token: str) -> Order | None:
    """The cart's order whose payment page is open, if any: a cart has at most one."""
    return session.scalars(
        select(Order).where(Order.cart_token == cart_token, Order.status.in_(OPEN_CHECKOUT))
        .options(selectinload(Order.lines)).order_by(Order.id.desc())
    ).first()


def stale_checkouts(session: Session, *, grace_minutes: int = 5) -> list[Order]:
    """Orders whose payment page should have expired by now, still open here."""
    cutoff = utcnow() - timedelta(minutes=grace_minutes)
    return list(session.scalars(
        select(Order).where(Order.status.in_(OPEN_CHECKOUT), Order.checkout_expires_at < cutoff).order_by(Order.id)
    ))


def awaiting_provider(session: Session) -> list[Order]:
    """Orders whose money the provider has not confirmed yet: cron asks it about each."""
    return list(session.scalars(
        select(Order).where(Order.status.in_(AWAITING_MONEY),
                            Order.checkout_session_id.is_not(None)).order_by(Order.id)
    ))
