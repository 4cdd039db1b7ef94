"""Periodic work, as jobs (the scheduler enqueues them, app/jobs/schedule.py) and as commands (cron
without Redis). Each is safe to run again or concurrently: every move is a compare-and-set."""
from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask import current_app

from app.extensions import db
from app.jobs.queue import background
from app.mail.services import commit_then_send
from app.orders import payment_journey as journey
from app.orders.gateway import PaymentServiceUnavailable
from app.orders.models import Order
from app.orders.services import awaiting_provider, stale_checkouts
from app.payments.gateway import get_gateway
from app.reviews.services import send_review_invitations

log = logging.getLogger(__name__)


@dataclass
class OrderSweep:
    done: int = 0
    unavailable: list[str] = field(default_factory=list)  # order numbers left for the next run


@background
def expire_checkouts(grace_minutes: int = 5) -> OrderSweep:
    """Cancel unpaid orders whose checkout expired (grace_minutes ago), releasing their stock."""
    gateway = get_gateway()
    return _each_order(
        stale_checkouts(db.session, grace_minutes=grace_minutes),
        lambda order: journey.abandon(db.session, gateway=gateway, order_id=order.id, actor="cron",
                                      reason="The checkout expired without payment."),
    )


@background
def reconcile_payments() -> OrderSweep:
    """Ask the payment provider about every order awaiting payment, and apply what it says."""
    gateway = get_gateway()

    def settle(order: Order) -> bool:
        outcome = journey.confirm(db.session, gateway=gateway, order_id=order.id, actor="reconciliation")
        return not outcome.startswith("no change")

    return _each_order(awaiting_provider(db.session), settle)


@background
def invite_reviewers() -> int:
    """Invite buyers to review orders shipped REVIEW_INVITATION_DAYS ago (app.reviews); returns how many.
    The emails link to SHOP_URL, which production requires; without it nothing is sent."""
    if not current_app.config["SHOP_URL"]:
        log.warning("Review invitations not sent: SHOP_URL is not set")
        return 0
    sent = send_review_invitations(db.session)
    commit_then_send(db.session)
    return sent


def _each_order(orders: Iterable[Order], work: Callable[[Order], object]) -> OrderSweep:
    """Run work(order) for each order in its own transaction, then send the mail it queued.
    An unreachable payment provider skips that order: the next run tries again."""
    sweep = OrderSweep()
    for order in orders:
        try:
            sweep.done += bool(work(order))
        except PaymentServiceUnavailable as error:
            db.session.rollback()
            log.warning("%s: payment service unavailable (%s); will retry", order.number, error)
            sweep.unavailable.append(order.number)
            continue
        db.session.commit()
    commit_then_send(db.session)
    return sweep
