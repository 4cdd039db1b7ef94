"""Checkout tests run the real `stripe` library against the local Stripe-compatible server."""
import re

import pytest
from sqlalchemy import select

from app.cart.models import CartLine
from app.catalog.models import Variant
from app.orders.models import Order
from tests.conftest import csrf_token_from
from tests.fakes.stripe_server import event_payload, sign_payload, start_stripe_server

WEBHOOK_SECRET = "whsec_test_shop"


@pytest.fixture(scope="session")
def stripe_server():
    with start_stripe_server() as server:
        yield server


@pytest.fixture
def config_overrides(config_overrides, stripe_server):
    return {**config_overrides, "STRIPE_SECRET_KEY": "sk_test_shop",
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_API_BASE": stripe_server.url}


class Shopper:
    """A browser's worth of actions: fill the cart, check out, come back from Stripe."""

    def __init__(self, client, session):
        self.client = client
        self.session = session

    def variant(self, sku: str) -> Variant:
        return self.session.scalars(select(Variant).where(Variant.sku == sku)).one()

    def add(self, sku: str, quantity: int = 1):
        token = csrf_token_from(self.client.get("/products/magnesium-relief-cream").get_data(as_text=True))
        return self.client.post("/cart/add", data={"csrf_token": token, "variant_id": self.variant(sku).id,
                                                   "quantity": str(quantity)})

    def checkout(self, shipping: str = "standard", email: str = "jo@example.com", **extra):
        token = csrf_token_from(self.client.get("/cart").get_data(as_text=True))
        return self.client.post("/checkout", data={"csrf_token": token, "shipping": shipping,
                                                   "email": email, **extra})

    def cart_lines(self) -> dict[str, int]:
        rows = self.session.execute(select(Variant.sku, CartLine.quantity).join(CartLine.variant))
        return dict(rows.all())


@pytest.fixture
def shopper(client, session):
    return Shopper(client, session)


def session_id_from(response) -> str:
    match = re.search(r"/pay/(cs_test_\w+)", response.headers["Location"])
    assert match, response.headers.get("Location")
    return match.group(1)


def latest_order(session) -> Order:
    return session.scalars(select(Order).order_by(Order.id.desc())).first()


@pytest.fixture
def deliver(client):
    """POST an event to the webhook as Stripe would (signed), returning the response."""

    def send(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, payload: bytes | None = None):
        body = payload if payload is not None else event_payload(event)
        return client.post("/webhooks/stripe", data=body, content_type="application/json",
                           headers={"Stripe-Signature": sign_payload(body, secret, timestamp)})

    return send
