"""Which payment provider this app uses; the protocol it meets is app.orders.gateway.Gateway."""
from __future__ import annotations

from typing import Protocol

from flask import current_app

from app.orders.gateway import Gateway


class InvalidWebhook(Exception):
    """A webhook whose signature, age or body cannot be trusted."""


class WebhookGateway(Gateway, Protocol):
    """A gateway that also receives the provider's signed webhooks."""

    def parse_webhook(self, payload: bytes, signature: str) -> dict: ...


def get_gateway() -> WebhookGateway:
    """Stripe when a secret key is configured; otherwise the built-in test gateway."""
    if current_app.config["STRIPE_SECRET_KEY"]:
        from app.payments.stripe_gateway import StripeGateway

        return StripeGateway()
    from app.payments.test_gateway import TestGateway

    return TestGateway()
