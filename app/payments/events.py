"""Reading Stripe-shaped objects (events, Checkout Sessions) into plain facts the shop acts on.

Both gateways speak these shapes: Stripe's webhooks and the built-in test gateway, so one
handler serves both.
"""
from __future__ import annotations

from app.orders.gateway import CheckoutFacts, Payment


def _int_or_none(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _metadata(obj: dict) -> dict:
    metadata = obj.get("metadata")
    return metadata if isinstance(metadata, dict) else {}


def order_id_from(obj: dict) -> int | None:
    return _int_or_none(_metadata(obj).get("order_id")) or _int_or_none(obj.get("client_reference_id"))


def _shipping_address(session: dict) -> dict | None:
    collected = session.get("collected_information") or {}
    details = collected.get("shipping_details") or session.get("shipping_details")
    if not details:
        return None
    address = details.get("address") or {}
    fields = ("line1", "line2", "city", "state", "postal_code", "country")
    return {"name": details.get("name") or "", **{field: address.get(field) or "" for field in fields}}


def checkout_facts(session: dict) -> CheckoutFacts:
    """The facts of a Checkout Session object, from an event or a retrieve call."""
    customer = session.get("customer_details") or {}
    intent = session.get("payment_intent")
    if isinstance(intent, dict):  # expanded
        intent = intent.get("id")
    return CheckoutFacts(
        session_id=session["id"],
        status=session.get("status") or "",
        payment_status=session.get("payment_status") or "",
        order_id=order_id_from(session),
        order_number=str(_metadata(session).get("order_number") or ""),
        payment=Payment(
            amount_minor=int(session.get("amount_total") or 0),
            currency=(session.get("currency") or "").upper(),
            payment_intent_id=intent,
            email=customer.get("email") or session.get("customer_email") or "",
            shipping_address=_shipping_address(session),
        ),
    )
