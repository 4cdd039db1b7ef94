"""What the shop needs from a payment provider, and which provider this app uses."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from flask import current_app

from app.orders.models import Order


class PaymentServiceUnavailable(Exception):
    """The provider could not be reached or refused the call; nothing was charged."""


class PaymentRefused(Exception):
    """The provider understood the request and said no (e.g. the charge was disputed)."""


class InvalidWebhook(Exception):
    """A webhook whose signature, age or body cannot be trusted."""


@dataclass(frozen=True)
class CheckoutRedirect:
    session_id: str
    url: str
    expires_at: datetime | None


class Gateway(Protocol):
    name: str

    def create_checkout(self, order: Order, *, success_url: str, cancel_url: str) -> CheckoutRedirect: ...

    def retrieve_checkout(self, session_id: str) -> dict: ...

    def expire_checkout(self, session_id: str) -> dict: ...

    def parse_webhook(self, payload: bytes, signature: str) -> dict: ...

    def refund(self, *, payment_intent_id: str, amount_minor: int, idempotency_key: str) -> str: ...


def get_gateway() -> Gateway:
    """Stripe when a secret key is configured; otherwise the built-in test gateway."""
    if current_app.config["STRIPE_SECRET_KEY"]:
        from app.payments.stripe_gateway import StripeGateway

        return StripeGateway()
    from app.payments.test_gateway import TestGateway

    return TestGateway()
