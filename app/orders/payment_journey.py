"""The order's money journey, in one place: open a checkout, settle it, abandon it, refund, cancel,
and resolve money that arrived for an order that could not take it.

Every caller (the webhook and the test gateway, the success and cart pages, cron, the admin) goes
through these functions, with the payment gateway passed in. Each step changes status only by a
compare-and-set move of the transition table (app.orders.transitions), so it is safe to run twice,
or twice at once. Functions flush, never commit: the caller owns the transaction and sends the
mail it queued after committing (app.mail.services.commit_then_send).
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import update
from sqlalchemy.orm import Session

from app.catalog.services import (OutOfStock, lock_stock_rows, release_stock, reserve_stock, restock_sold,
                                  sell_reserved_stock)
from app.db import hold_row, utcnow
from app.discounts.services import count_use, release_use
from app.metrics import PAYMENTS
from app.money import format_money
from app.orders.gateway import CheckoutFacts, Gateway, Payment, PaymentServiceUnavailable
from app.orders.models import AWAITING_MONEY, OPEN_CHECKOUT, Order, OrderStatus
from app.orders.services import OrderError, flag_for_review, get_order, record_event, tell_shopper
from app.orders.signals import payment_recorded
from app.orders.transitions import change_status, forget_loaded


class CheckoutClosed(OrderError):
    """The order was closed while its payment page was being opened."""


# -- opening and settling a checkout -------------------------------------------------------------

def begin_payment(session: Session, *, gateway: Gateway, order_id: int, success_url: str, cancel_url: str) -> str:
    """Open the provider's payment page for a new order (committed, so its stock hold exists first);
    returns the page's address. If the provider can't be reached, the order is cancelled and its stock
    released before PaymentServiceUnavailable reaches the caller."""
    order = get_order(session, order_id=order_id)
    try:
        page = gateway.create_checkout(order, success_url=success_url, cancel_url=cancel_url)
    except PaymentServiceUnavailable:
        cancel_unpaid(session, order_id=order_id, actor="system",
                      reason="The payment service could not be reached; nothing was charged.")
        raise
    attached = session.execute(
        update(Order)
        .where(Order.id == order_id, Order.status == OrderStatus.pending_payment, Order.checkout_session_id.is_(None))
        .values(payment_provider=gateway.name, checkout_session_id=page.session_id, checkout_url=page.url,
                checkout_expires_at=page.expires_at, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    forget_loaded(session, order_id)
    if not attached:
        # Closed meanwhile (staff, cron): close this page too, so nobody pays for a cancelled order.
        # If that fails, a payment made there still lands in payment_review for staff to resolve.
        try:
            gateway.expire_checkout(page.session_id)
        except PaymentServiceUnavailable:
            pass
        raise CheckoutClosed("This checkout was closed before its payment page opened. Nothing was charged.")
    record_event(session, order_id=order_id, kind="payment_started", actor="system",
                 message=f"{gateway.name} checkout session created", data={"session_id": page.session_id})
    session.flush()
    return page.url


def apply_checkout(session: Session, *, order_id: int, facts: CheckoutFacts, actor: str) -> str:
    """Apply what the provider says about the order's checkout; returns what happened."""
    if facts.money_received:
        return settle(session, order_id=order_id, payment=facts.payment, actor=actor)
    if facts.payment_processing:
        return mark_processing(session, order_id=order_id, payment=facts.payment, actor=actor)
    if facts.status == "expired":
        return expire(session, order_id=order_id, actor=actor)
    return "no change: checkout still open"


def expire(session: Session, *, order_id: int, actor: str) -> str:
    """The provider closed the payment page unpaid: the order is cancelled and its stock released."""
    cancelled = cancel_unpaid(session, order_id=order_id, actor=actor, reason="The checkout session expired before payment.")
    if cancelled:
        PAYMENTS.labels("expired").inc()
    return "order cancelled: checkout expired" if cancelled else "no change"


def confirm(session: Session, *, gateway: Gateway, order_id: int, actor: str) -> str:
    """Ask the provider how the order's checkout stands and apply it (the success page's check, cron)."""
    order = get_order(session, order_id=order_id)
    if order.status not in AWAITING_MONEY or not order.checkout_session_id:
        return "no change"
    return apply_checkout(session, order_id=order_id, facts=gateway.retrieve_checkout(order.checkout_session_id),
                          actor=actor)


def settle(session: Session, *, order_id: int, payment: Payment, actor: str) -> str:
    """Money arrived for the order. If the order can take it (awaiting payment, the amount it
    expects), it is paid and its stock sold; otherwise the money is held for staff to accept or
    refund (payment_review). Recording the same payment again changes nothing."""
    order = get_order(session, order_id=order_id)
    expected = order.total_minor  # after the shop's discount, which the provider was told of
    if order.status in AWAITING_MONEY:
        if payment.currency.upper() != order.currency.upper() or payment.amount_minor != expected:
            return _hold(session, order, payment, actor=actor, reason=(
                f"{format_money(payment.amount_minor, payment.currency.upper())} was paid but the order expects "
                f"{format_money(expected, order.currency)}."))
        if change_status(session, order_id=order_id, source=AWAITING_MONEY, target=OrderStatus.paid,
                         paid_at=utcnow(), stock_held=False, **_payment_values(order, payment)):
            _sell(session, order)
            count_use(session, order_id=order_id)
            record_event(session, order_id=order_id, kind="paid", actor=actor,
                         message=f"Payment of {format_money(payment.amount_minor, payment.currency.upper())} received.",
                         data={"payment_intent": payment.payment_intent_id})
            _tell_confirmed(session, order_id=order_id)
            payment_recorded.send(session, order_id=order_id)
            session.flush()
            PAYMENTS.labels("paid").inc()
            return "order paid"
        return settle(session, order_id=order_id, payment=payment, actor=actor)  # moved meanwhile: look again
    if order.status is OrderStatus.cancelled and not order.amount_paid_minor:
        return _hold(session, order, payment, actor=actor,
                     reason="The payment arrived after the order had been cancelled.")
    if payment.payment_intent_id and payment.payment_intent_id != order.payment_intent_id:
        flag_for_review(session, order_id=order_id, actor=actor, reason=(
            f"A second payment ({payment.payment_intent_id}) arrived for an order already paid: refund it "
            "from the payment provider's dashboard."))
        return "order flagged: second payment"
    return "no change: payment already recorded"


def _customer_values(order: Order, payment: Payment) -> dict:
    """Who paid and where it goes, as the provider collected them (the order's own if it did not)."""
    return {"payment_intent_id": payment.payment_intent_id, "email": payment.email or order.email,
            "shipping_address": payment.shipping_address or order.shipping_address}


def _payment_values(order: Order, payment: Payment) -> dict:
    return {"amount_paid_minor": payment.amount_minor, **_customer_values(order, payment)}


def _hold(session: Session, order: Order, payment: Payment, *, actor: str, reason: str) -> str:
    """Keep money the order can't take as it is, for staff to accept or refund."""
    if not change_status(session, order_id=order.id, source=order.status, target=OrderStatus.payment_review,
                         paid_at=utcnow(), held_reason=reason[:255], **_payment_values(order, payment)):
        return settle(session, order_id=order.id, payment=payment, actor=actor)  # moved meanwhile: look again
    record_event(session, order_id=order.id, kind="payment_held", actor=actor,
                 message=f"{reason} The money is held: accept the order or refund it in full.",
                 data={"payment_intent": payment.payment_intent_id, "amount_minor": payment.amount_minor})
    payment_recorded.send(session, order_id=order.id)
    session.flush()
    PAYMENTS.labels("held").inc()
    return "payment held for review"


def mark_processing(session: Session, *, order_id: int, payment: Payment, actor: str) -> str:
    """The shopper finished checkout with a delayed method (a bank debit): the money is on its way."""
    order = get_order(session, order_id=order_id)
    if not change_status(session, order_id=order_id, source=OrderStatus.pending_payment,
                         target=OrderStatus.payment_processing, **_customer_values(order, payment)):
        return "no change"
    record_event(session, order_id=order_id, kind="payment_processing", actor=actor,
                 message="Checkout finished; the payment is still processing.")
    payment_recorded.send(session, order_id=order_id)
    session.flush()
    return "waiting: payment processing"


def payment_failed(session: Session, *, order_id: int, actor: str) -> str:
    """A delayed payment failed: the order is cancelled, its stock released, the shopper told."""
    # From pending too: Stripe may deliver the failure before the checkout's own completion.
    if not cancel_unpaid(session, order_id=order_id, actor=actor, reason="The delayed payment failed.",
                         source=AWAITING_MONEY):
        return "no change"
    _tell_cancelled(session, order_id=order_id)
    PAYMENTS.labels("failed").inc()
    return "order cancelled: payment failed"


def cancel_unpaid(session: Session, *, order_id: int, reason: str, actor: str,
                  source: OrderStatus | Iterable[OrderStatus] = OrderStatus.pending_payment) -> bool:
    """Cancel an order no money has reached and release its stock; True if this call did it."""
    if not change_status(session, order_id=order_id, source=source, target=OrderStatus.cancelled,
                         cancelled_at=utcnow(), stock_held=False):
        return False
    order = get_order(session, order_id=order_id)
    _each_line(order, release_stock, session, note=reason)
    release_use(session, order_id=order_id)
    record_event(session, order_id=order_id, kind="cancelled", actor=actor, message=reason)
    session.flush()
    return True


def abandon(session: Session, *, gateway: Gateway, order_id: int, reason: str, actor: str) -> bool:
    """Close the order's payment page at the provider, then cancel the order and release its stock.
    If the provider says it was paid (or is settling) after all, that is applied instead."""
    order = get_order(session, order_id=order_id)
    if order.status not in OPEN_CHECKOUT:
        return False
    if order.checkout_session_id:
        facts = gateway.expire_checkout(order.checkout_session_id)
        if facts.status == "complete":
            apply_checkout(session, order_id=order_id, facts=facts, actor=actor)
            return False
    return cancel_unpaid(session, order_id=order_id, reason=reason, actor=actor)


# -- refunds, cancelling, held money ----------------------------------------------------------------

def lock_order(session: Session, *, order_id: int) -> Order:
    """The order, re-read under a write lock held until the caller commits: refunds of one order run
    one at a time (a row lock on PostgreSQL, the write lock on SQLite), each seeing the last one's total."""
    hold_row(session, Order, order_id)
    forget_loaded(session, order_id)
    return get_order(session, order_id=order_id)


def refund(session: Session, *, gateway: Gateway, order_id: int, amount_minor: int, actor: str,
           request_key: str) -> None:
    """Refund through the provider, then record it; a refused or failed call changes nothing here.

    request_key names this one refund (the form carries a fresh one each time it is shown): the same
    form sent twice reaches the provider with the same idempotency key and is not counted twice.
    """
    order = lock_order(session, order_id=order_id)
    if not order.can_refund:
        raise OrderError(f"This order can't be refunded: it is {order.status.label.lower()}"
                         f"{' with nothing left to refund' if order.allows('refund_part') else ''}.")
    if amount_minor <= 0:
        raise OrderError("Enter a refund amount greater than zero.")
    if amount_minor > order.refundable_minor:
        raise OrderError(f"You can refund at most {format_money(order.refundable_minor, order.currency)}.")
    made = gateway.refund(payment_intent_id=order.payment_intent_id or "", amount_minor=amount_minor,
                          idempotency_key=f"refund-{order.number}-{request_key}")
    total = made.refunded_total_minor
    if _refund_counted(order, made.refund_id) or not _record_refund_total(
            session, order, actor=actor, refund_id=made.refund_id,
            total_minor=order.amount_refunded_minor + amount_minor if total is None else total):
        # The same form again: the provider answered with the refund it made then, which the books
        # (or its webhook) already hold.
        raise OrderError("That refund was already issued: the form was sent twice.")


def record_provider_refund(session: Session, *, order_id: int, refunded_total_minor: int, currency: str,
                           actor: str) -> bool:
    """The provider reports this total refunded on the order's payment (a refund made here or in its
    dashboard): bring the books up to it. Never moves the total back."""
    order = lock_order(session, order_id=order_id)
    if currency.upper() != order.currency or refunded_total_minor > order.amount_paid_minor:
        flag_for_review(session, order_id=order_id, actor=actor, reason=(
            f"The provider reports {refunded_total_minor} {currency.upper()} (minor units) refunded, which does "
            f"not fit this order's payment of {format_money(order.amount_paid_minor, order.currency)}."))
        return False
    return _record_refund_total(session, order, total_minor=refunded_total_minor, actor=actor)


def _refund_counted(order: Order, refund_id: str) -> bool:
    return any(event.kind in ("refunded", "refund_noted") and event.data.get("refund_id") == refund_id
               for event in order.events)


def _record_refund_total(session: Session, order: Order, *, total_minor: int, actor: str,
                         refund_id: str | None = None) -> bool:
    """Move the order to what a refunded total of total_minor means for it. A full refund before
    shipping closes the order and puts its stock back; after shipping it leaves the order refunded."""
    if total_minor <= order.amount_refunded_minor:
        if refund_id:
            record_event(session, order_id=order.id, kind="refund_noted", actor=actor,
                         message="The provider confirmed a refund already counted.", data={"refund_id": refund_id})
        return False
    full = total_minor >= order.amount_paid_minor
    status, stock_held, refunded_before = order.status, order.stock_held, order.amount_refunded_minor
    values: dict = {"amount_refunded_minor": total_minor}
    if status is OrderStatus.payment_review:
        target = OrderStatus.cancelled if full else None
    elif order.allows("refund_part"):
        target = (OrderStatus.partially_refunded if not full
                  else OrderStatus.refunded if order.shipped_at else OrderStatus.cancelled)
    else:
        flag_for_review(session, order_id=order.id, actor=actor, reason=(
            f"A refund of {format_money(total_minor, order.currency)} arrived while the order was "
            f"{status.label.lower()}."))
        return False
    if target is OrderStatus.cancelled:
        values.update(cancelled_at=utcnow(), stock_held=False)
    if target is None:  # part of held money returned: the order still waits for staff
        session.execute(update(Order).where(Order.id == order.id).values(**values)
                        .execution_options(synchronize_session=False))
        forget_loaded(session, order.id)
    elif not change_status(session, order_id=order.id, source=status, target=target, **values):
        raise OrderError("The order changed while the refund was being recorded; reload the page.")
    record_event(session, order_id=order.id, kind="refunded", actor=actor,
                 message=f"Refunded in total: {format_money(total_minor, order.currency)}.",
                 data={"refund_id": refund_id} if refund_id else {})
    if target is OrderStatus.cancelled:
        _closed_before_shipping(session, order, actor=actor, stock_held=stock_held,
                                held_money=status is OrderStatus.payment_review,
                                reason="Refunded in full before shipping, so the order is closed.")
    else:
        tell_shopper(session, order_id=order.id, subject="We've refunded your order {number}",
                     template="order_refunded", refunded_now=total_minor - refunded_before)
    session.flush()
    return True


def _closed_before_shipping(session: Session, order: Order, *, actor: str, stock_held: bool, held_money: bool,
                            reason: str) -> None:
    """After a paid (or held) order is cancelled: units held are released, units sold go back on the
    shelf (held money never sold any), and the shopper is told."""
    note = f"Order {order.number}: {reason}"
    if stock_held:
        _each_line(order, release_stock, session, note=note)
    elif not held_money:
        _each_line(order, restock_sold, session, note=note)
    release_use(session, order_id=order.id)  # a held use only: a paid order's use stays counted
    record_event(session, order_id=order.id, kind="cancelled", actor=actor, message=reason)
    _tell_cancelled(session, order_id=order.id)


def cancel(session: Session, *, gateway: Gateway, order_id: int, actor: str) -> str:
    """Staff cancel: an open checkout is closed; a paid order that has not shipped is refunded in full,
    which closes it and restocks it. Returns what happened, for staff."""
    order = lock_order(session, order_id=order_id)
    if not order.can_cancel:
        if order.shipped_at:
            raise OrderError("This order has shipped: refund it instead of cancelling.")
        raise OrderError(f"This order can't be cancelled: it is {order.status.label.lower()}.")
    if order.status in OPEN_CHECKOUT:
        if not abandon(session, gateway=gateway, order_id=order_id, actor=actor, reason="Cancelled by staff."):
            return ("Not cancelled: the shopper had just paid (or a delayed payment is settling), which is now "
                    "recorded. Refund the order if it should still be cancelled.")
        return "Order cancelled and its stock released."
    # Never nothing to refund: shipping is charged whatever the code, so a paid order has paid something.
    refund(session, gateway=gateway, order_id=order_id, amount_minor=order.refundable_minor, actor=actor,
           request_key="cancel")
    return "Order cancelled, refunded in full and its stock put back."


def accept_held_payment(session: Session, *, order_id: int, actor: str) -> None:
    """Take held money as payment: the order is paid (its stock reserved again if it had been released)."""
    order = lock_order(session, order_id=order_id)
    if not order.can_resolve_payment:
        raise OrderError("This order has no held payment to accept.")
    if not order.stock_held:
        try:
            with session.begin_nested():
                _each_line(order, reserve_stock, session)
        except OutOfStock:
            raise OrderError("There isn't enough stock left to accept this order: refund it instead.") from None
    # Part of the money may have been returned meanwhile (from the provider's dashboard).
    target = OrderStatus.partially_refunded if order.amount_refunded_minor else OrderStatus.paid
    if not change_status(session, order_id=order_id, source=OrderStatus.payment_review, target=target,
                         stock_held=False):
        raise OrderError("The order changed meanwhile; reload the page.")
    _sell(session, order)
    count_use(session, order_id=order_id)
    payment_recorded.send(session, order_id=order_id)  # now it is bought: the cart lets it go
    record_event(session, order_id=order_id, kind="payment_accepted", actor=actor,
                 message=f"Held payment of {format_money(order.amount_paid_minor, order.currency)} accepted.")
    _tell_confirmed(session, order_id=order_id)
    session.flush()


def refund_held_payment(session: Session, *, gateway: Gateway, order_id: int, actor: str) -> None:
    """Return held money in full through the provider; the order is closed and any stock it held released."""
    order = lock_order(session, order_id=order_id)
    if not order.can_resolve_payment:
        raise OrderError("This order has no held payment to refund.")
    made = gateway.refund(payment_intent_id=order.payment_intent_id or "", amount_minor=order.refundable_minor,
                          idempotency_key=f"refund-{order.number}-held")
    _record_refund_total(session, order, total_minor=order.amount_paid_minor, actor=actor, refund_id=made.refund_id)


# -- stock ----------------------------------------------------------------------------------------

def _each_line(order: Order, change, session: Session, **extra) -> None:
    lock_stock_rows(session, variant_ids=(line.variant_id for line in order.lines if line.variant_id is not None))
    for line in order.lines:
        if line.variant_id is not None:
            change(session, variant_id=line.variant_id, quantity=line.quantity, order_id=order.id, **extra)


def _sell(session: Session, order: Order) -> None:
    _each_line(order, sell_reserved_stock, session)


def _tell_confirmed(session: Session, *, order_id: int) -> None:
    tell_shopper(session, order_id=order_id, subject="Your order {number} is confirmed", template="order_confirmation")


def _tell_cancelled(session: Session, *, order_id: int) -> None:
    tell_shopper(session, order_id=order_id, subject="Your order {number} has been cancelled",
                 template="order_cancelled")
