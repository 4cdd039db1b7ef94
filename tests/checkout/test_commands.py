"""Cron commands: expiring abandoned checkouts and reconciling payments whose webhook never came."""
from datetime import timedelta

from app.catalog.services import reserve_stock
from app.db import utcnow
from app.orders.models import OrderStatus
from tests.conftest import expired_checkout, latest_order, outbox, session_id_from


def run(app, command: str):
    result = app.test_cli_runner().invoke(args=[command])
    assert result.exit_code == 0, result.output
    return result.output


def test_expire_checkouts_cancels_stale_orders_and_releases_stock(app, shopper, session, stripe_server):
    shopper.add("TMC-CRM-2-LAV", 2)
    session_id = session_id_from(shopper.checkout())
    order = latest_order(session)
    variant = shopper.variant("TMC-CRM-2-LAV")
    reserved = variant.stock_reserved
    assert "Cancelled 0" in run(app, "expire-checkouts")  # not stale yet
    order.checkout_expires_at = utcnow() - timedelta(minutes=10)
    session.commit()
    assert "Cancelled 1" in run(app, "expire-checkouts")
    session.refresh(order)
    session.refresh(variant)
    assert order.status is OrderStatus.cancelled
    assert variant.stock_reserved == reserved - 2
    assert stripe_server.objects[session_id]["status"] == "expired"
    assert "Cancelled 0" in run(app, "expire-checkouts")  # safe to run again


def test_expire_checkouts_settles_an_order_that_was_paid_after_all(app, shopper, session, stripe_server):
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)  # paid, but the webhook was lost
    order = latest_order(session)
    order.checkout_expires_at = utcnow() - timedelta(minutes=10)
    session.commit()
    run(app, "expire-checkouts")
    session.refresh(order)
    assert order.status is OrderStatus.paid


def test_reconcile_payments_finishes_orders_whose_webhook_never_came(app, shopper, session, stripe_server):
    shopper.add("TMC-BTR-4-UNS", 1)
    session_id = session_id_from(shopper.checkout())
    stripe_server.complete(session_id)
    assert "Reconciled 1" in run(app, "reconcile-payments")
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    assert [mail["Subject"] for mail in outbox(app)] == [f"Your order {order.number} is confirmed"]  # sent now
    assert shopper.cart_lines() == {}
    assert "Reconciled 0" in run(app, "reconcile-payments")


def test_commands_survive_an_unreachable_payment_service(app, shopper, session, stripe_server):
    order = expired_checkout(shopper, session)
    stripe_server.set_down(True)
    try:
        result = app.test_cli_runner().invoke(args=["expire-checkouts"])
    finally:
        stripe_server.set_down(False)
    assert result.exit_code == 0
    assert "payment service unavailable" in result.output
    session.refresh(order)
    assert order.status is OrderStatus.pending_payment


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
