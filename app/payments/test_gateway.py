"""The built-in test gateway: used when no Stripe key is set (development, demos, browser tests).

Its hosted page lives in this app (`/test-payments/<id>`) and is labelled as a test. What the
shopper does there becomes a Stripe-shaped event fed to the same handler as Stripe's
webhooks, so orders go through exactly the same state machine. Production refuses to run it.
"""
from __future__ import annotations

import hashlib
import secrets
import time
from datetime import datetime, timedelta, timezone

from flask import current_app, url_for
from sqlalchemy import select

from app.extensions import db
from app.orders.gateway import CheckoutFacts, CheckoutRedirect, Refund
from app.orders.models import OPEN_CHECKOUT, Order, OrderStatus
from app.payments.events import checkout_facts
from app.payments.gateway import InvalidWebhook

PROVIDER = "test"


def order_for_session(session_id: str) -> Order:
    order = db.session.scalars(select(Order).where(Order.checkout_session_id == session_id)).first()
    if order is None:
        raise LookupError(session_id)
    return order


def session_object(order: Order, *, status: str | None = None, payment_status: str | None = None,
                   email: str = "", shipping: dict | None = None) -> dict:
    """The order's checkout as a Stripe Checkout Session object would describe it."""
    if status is None:
        # A delayed payment still settling is a completed checkout, as at Stripe: never expired.
        status = "open" if order.status in OPEN_CHECKOUT else "expired" if order.status is OrderStatus.cancelled \
            and not order.amount_paid_minor else "complete"
    if payment_status is None:
        payment_status = "paid" if order.amount_paid_minor else "unpaid"
    metadata = {"order_id": str(order.id), "order_number": order.number}
    address = shipping or order.shipping_address
    return {
        "id": order.checkout_session_id,
        "object": "checkout.session",
        "status": status,
        "payment_status": payment_status,
        "amount_total": order.total_minor,
        "currency": order.currency.lower(),
        "client_reference_id": str(order.id),
        "metadata": metadata,
        "customer_email": order.email or None,
        "customer_details": {"email": email or order.email or None},
        "payment_intent": f"test_pi_{order.number}" if status == "complete" else None,
        "total_details": {"amount_discount": order.discount_minor - order.shipping_discount_minor,
                          "amount_shipping": order.shipping_minor - order.shipping_discount_minor},
        "collected_information": {
            "shipping_details": {
                "name": (address or {}).get("name", ""),
                "address": {k: v for k, v in (address or {}).items() if k != "name"},
            }
        } if address else None,
    }


def make_event(event_type: str, obj: dict) -> dict:
    return {"id": f"test_evt_{secrets.token_urlsafe(12)}", "object": "event", "type": event_type,
            "created": int(time.time()), "livemode": False, "data": {"object": obj}}


class TestGateway:
    name = PROVIDER
    __test__ = False  # not a pytest test class, despite the name

    def create_checkout(self, order: Order, *, success_url: str, cancel_url: str) -> CheckoutRedirect:
        session_id = f"test_cs_{secrets.token_urlsafe(18)}"
        expires_at = datetime.now(timezone.utc) + timedelta(minutes=current_app.config["CHECKOUT_EXPIRY_MINUTES"])
        return CheckoutRedirect(
            session_id=session_id,
            url=url_for("payments.test_checkout", session_id=session_id, _external=True),
            expires_at=expires_at,
        )

    def retrieve_checkout(self, session_id: str) -> CheckoutFacts:
        return checkout_facts(session_object(order_for_session(session_id)))

    def expire_checkout(self, session_id: str) -> CheckoutFacts:
        order = order_for_session(session_id)
        current = session_object(order)
        if current["status"] == "open":
            return checkout_facts(session_object(order, status="expired", payment_status="unpaid"))
        return checkout_facts(current)

    def parse_webhook(self, payload: bytes, signature: str) -> dict:
        raise InvalidWebhook("The test gateway sends no webhooks.")

    def refund(self, *, payment_intent_id: str, amount_minor: int, idempotency_key: str) -> Refund:
        # Nothing was charged, so nothing moves; one key gives one refund id, as at Stripe.
        return Refund(refund_id="test_re_" + hashlib.sha256(idempotency_key.encode()).hexdigest()[:24])
