"""Stripe: the only module that imports `stripe`. Calls are type-checked by mypy in `make test`."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

import stripe
from flask import current_app, render_template
from stripe.params import CouponCreateParams, RefundCreateParams
from stripe.params.checkout import SessionCreateParams, SessionCreateParamsLineItem

from app.orders import shipping
from app.orders.gateway import CheckoutFacts, CheckoutRedirect, PaymentRefused, PaymentServiceUnavailable, Refund
from app.orders.models import Order
from app.payments.events import checkout_facts
from app.payments.gateway import InvalidWebhook

WEBHOOK_TOLERANCE_SECONDS = 300


def _client() -> stripe.StripeClient:
    """One client per app: it holds a connection pool, so it is built once and reused."""
    extensions = current_app.extensions
    if "stripe_client" not in extensions:
        config = current_app.config
        base = config["STRIPE_API_BASE"]
        extensions["stripe_client"] = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses={"api": base} if base else None,
            # Every call gives up well within the worker timeout (config.py checks the sum).
            max_network_retries=config["STRIPE_MAX_NETWORK_RETRIES"],
            http_client=stripe.RequestsClient(timeout=config["STRIPE_TIMEOUT_SECONDS"]),
        )
    client: stripe.StripeClient = extensions["stripe_client"]
    return client


def _line_item(name: str, unit_amount: int, quantity: int, currency: str) -> SessionCreateParamsLineItem:
    return {
        "quantity": quantity,
        "price_data": {"currency": currency, "unit_amount": unit_amount, "product_data": {"name": name}},
    }


def _shipping_display_name(order: Order) -> str:
    """The method and each country's estimate: Stripe's page shows one set of options whatever
    the country, so it cannot show only the shopper's. Counted from dispatch, as checkout says."""
    method = shipping.METHODS.get(order.shipping_method)
    name = order.shipping_method_name
    if order.shipping_discount_minor:
        name = f"{name}, free with code {order.discount_code}"
    if method is None:
        return name[:100]
    return f"{name} (delivery after dispatch: {method.estimates()})"[:100]  # Stripe's limit


def goods_discount_minor(order: Order) -> int:
    """What the order's code takes off its items (Stripe discounts line items, never shipping)."""
    return order.discount_minor - order.shipping_discount_minor


def coupon_params(order: Order) -> CouponCreateParams:
    """A one-off coupon for exactly the order's discount, in minor units: Stripe then charges the
    order's total to the cent, where a percent_off coupon would round its own way."""
    return {"amount_off": goods_discount_minor(order), "currency": order.currency.lower(), "duration": "once",
            "max_redemptions": 1, "name": order.discount_code,
            "metadata": {"order_id": str(order.id), "order_number": order.number}}


def checkout_params(order: Order, *, success_url: str, cancel_url: str) -> SessionCreateParams:
    """Everything Stripe is told comes from the order row, never from the shopper's form."""
    config = current_app.config
    currency = order.currency.lower()
    metadata = {"order_id": str(order.id), "order_number": order.number}
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [
            _line_item(f"{line.product_name} ({line.variant_label})", line.unit_price_minor, line.quantity, currency)
            for line in order.lines
        ],
        "client_reference_id": str(order.id),
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "shipping_address_collection": {"allowed_countries": list(shipping.COUNTRIES)},
        "shipping_options": [
            {
                "shipping_rate_data": {
                    "type": "fixed_amount",
                    "display_name": _shipping_display_name(order),
                    "fixed_amount": {"amount": order.shipping_minor - order.shipping_discount_minor,
                                     "currency": currency},
                }
            }
        ],
        # Stripe shows no tax line (the shop does not compute tax): say what the total includes.
        "custom_text": {"submit": {"message": render_template("checkout/_tax_note.txt")}},
        "expires_at": int(time.time()) + config["CHECKOUT_EXPIRY_MINUTES"] * 60,
        "success_url": success_url,
        "cancel_url": cancel_url,
    }
    if order.email:
        params["customer_email"] = order.email
    return params


class StripeGateway:
    name = "stripe"

    def create_checkout(self, order: Order, *, success_url: str, cancel_url: str) -> CheckoutRedirect:
        params = checkout_params(order, success_url=success_url, cancel_url=cancel_url)
        try:
            if goods_discount_minor(order):
                coupon = _client().v1.coupons.create(coupon_params(order),
                                                     options={"idempotency_key": f"coupon-{order.number}"})
                params["discounts"] = [{"coupon": coupon.id}]
            session = _client().v1.checkout.sessions.create(
                params, options={"idempotency_key": f"checkout-{order.number}"}
            )
        except stripe.StripeError as error:
            current_app.logger.warning("Stripe refused checkout for %s: %s", order.number, error)
            raise PaymentServiceUnavailable(str(error)) from error
        if not session.url:
            raise PaymentServiceUnavailable("Stripe returned a session without a payment page.")
        expires_at = datetime.fromtimestamp(session.expires_at, timezone.utc)
        return CheckoutRedirect(session_id=session.id, url=session.url, expires_at=expires_at)

    def retrieve_checkout(self, session_id: str) -> CheckoutFacts:
        try:
            return checkout_facts(_client().v1.checkout.sessions.retrieve(session_id).to_dict())
        except stripe.StripeError as error:
            raise PaymentServiceUnavailable(str(error)) from error

    def expire_checkout(self, session_id: str) -> CheckoutFacts:
        """Close an open session; one already completed or expired is returned as it is."""
        try:
            return checkout_facts(_client().v1.checkout.sessions.expire(session_id).to_dict())
        except stripe.InvalidRequestError:
            return self.retrieve_checkout(session_id)
        except stripe.StripeError as error:
            raise PaymentServiceUnavailable(str(error)) from error

    def refund(self, *, payment_intent_id: str, amount_minor: int, idempotency_key: str) -> Refund:
        """Refund part or all of a payment; the key makes a repeated click refund once. The charge
        comes back expanded, for the payment's refunded total after this refund."""
        params: RefundCreateParams = {"payment_intent": payment_intent_id, "amount": amount_minor,
                                      "reason": "requested_by_customer", "expand": ["charge"]}
        try:
            refund = _client().v1.refunds.create(params, options={"idempotency_key": idempotency_key})
        except stripe.InvalidRequestError as error:
            raise PaymentRefused(error.user_message or str(error)) from error
        except stripe.StripeError as error:
            raise PaymentServiceUnavailable(str(error)) from error
        charge = refund.charge
        return Refund(refund_id=refund.id,
                      refunded_total_minor=charge.amount_refunded if isinstance(charge, stripe.Charge) else None)

    def parse_webhook(self, payload: bytes, signature: str) -> dict[str, Any]:
        """The event in a webhook body, once Stripe's signature and timestamp check out."""
        secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
        try:
            stripe.WebhookSignature.verify_header(payload, signature, secret, WEBHOOK_TOLERANCE_SECONDS)
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise InvalidWebhook(str(error)) from error
        if not isinstance(event, dict) or not {"id", "type", "data"} <= event.keys():
            raise InvalidWebhook("The body is not a Stripe event.")
        return event
