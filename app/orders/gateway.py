"""What the orders side needs from a payment provider: the gateway protocol and the facts it returns.

The journey (app.orders.payment_journey) takes a gateway as a parameter; app.payments provides
the real ones (Stripe, the built-in test gateway) and turns their objects into these facts.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from app.orders.models import Order


class PaymentServiceUnavailable(Exception):
    """The provider could not be reached, timed out or failed; nothing was charged by this call."""


class PaymentRefused(Exception):
    """The provider understood the request and said no (e.g. the charge was disputed)."""


@dataclass(frozen=True)
class CheckoutRedirect:
    session_id: str
    url: str
    expires_at: datetime | None


@dataclass(frozen=True)
class Refund:
    """A refund the provider made: its id, and the payment's refunded total after it where the
    provider says (the books follow the provider's figure, so a refund it reported before is not
    counted twice)."""

    refund_id: str
    refunded_total_minor: int | None = None


@dataclass(frozen=True)
class Payment:
    """What the payment provider says was paid, in the provider's own figures."""

    amount_minor: int
    currency: str
    payment_intent_id: str | None = None
    email: str = ""
    shipping_address: dict | None = None


@dataclass(frozen=True)
class CheckoutFacts:
    """A provider's checkout session as the shop reads it."""

    session_id: str
    status: str  # open | complete | expired
    payment_status: str  # paid | unpaid | no_payment_required
    order_id: int | None
    order_number: str
    payment: Payment

    @property
    def money_received(self) -> bool:
        return self.status == "complete" and self.payment_status in ("paid", "no_payment_required")

    @property
    def payment_processing(self) -> bool:
        return self.status == "complete" and not self.money_received


class Gateway(Protocol):
    name: str

    def create_checkout(self, order: Order, *, success_url: str, cancel_url: str) -> CheckoutRedirect: ...

    def retrieve_checkout(self, session_id: str) -> CheckoutFacts: ...

    def expire_checkout(self, session_id: str) -> CheckoutFacts: ...

    def refund(self, *, payment_intent_id: str, amount_minor: int, idempotency_key: str) -> Refund: ...
