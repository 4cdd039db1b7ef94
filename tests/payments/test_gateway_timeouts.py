"""A payment service that accepts connections but never answers: every gateway call gives up
within the configured timeout and retries, well inside the worker timeout."""
import time

import pytest
from sqlalchemy import select

from app import create_app
from app.catalog.models import StockMovement, Variant
from app.orders.models import OrderStatus
from app.orders.gateway import PaymentServiceUnavailable
from app.payments.stripe_gateway import StripeGateway
from tests.conftest import csrf_token_from, latest_order, production_config

TIMEOUT_SECONDS = 0.5
RETRIES = 1
ATTEMPTS = RETRIES + 1
# Stripe's pause before its first retry (0.5 s), and the request's own work, on a busy machine.
MARGIN_SECONDS = 2.0
HANG_SECONDS = TIMEOUT_SECONDS * ATTEMPTS + MARGIN_SECONDS + 2  # outlasts any answer the bound allows


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings,
            "STRIPE_TIMEOUT_SECONDS": TIMEOUT_SECONDS, "STRIPE_MAX_NETWORK_RETRIES": RETRIES}


@pytest.fixture
def hanging(stripe_server):
    """The fake Stripe holds every connection longer than the timeout; yields it."""
    stripe_server.hung_connections = 0
    stripe_server.set_hanging(HANG_SECONDS)
    try:
        yield stripe_server
    finally:
        stripe_server.set_hanging(0)


def levels(session, sku: str) -> tuple[int, int]:
    variant = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    session.refresh(variant)
    return variant.stock_on_hand, variant.stock_reserved


def test_a_hanging_payment_service_gets_the_unavailable_page_within_the_timeout(shopper, session, hanging):
    shopper.add("TMC-CRM-4-UNS", 2)  # the cart's pages never call the payment service
    before = levels(session, "TMC-CRM-4-UNS")
    token = csrf_token_from(shopper.client.get("/cart").get_data(as_text=True))
    started = time.monotonic()
    response = shopper.client.post("/checkout", data={"csrf_token": token, "shipping": "standard",
                                                      "email": "jo@example.com"})
    elapsed = time.monotonic() - started

    # A correctness bound (each attempt gives up at the timeout), not a speed benchmark.
    assert elapsed < TIMEOUT_SECONDS * ATTEMPTS + MARGIN_SECONDS, elapsed
    assert hanging.hung_connections == ATTEMPTS
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "payment service is unavailable" in html and "nothing was charged" in html
    assert "Your cart is kept" in html
    order = latest_order(session)
    assert order.status is OrderStatus.cancelled
    assert levels(session, "TMC-CRM-4-UNS") == before
    reasons = session.scalars(select(StockMovement.reason).where(StockMovement.order_id == order.id)
                              .order_by(StockMovement.id)).all()
    assert [reason.value for reason in reasons] == ["reserved", "released"]
    assert shopper.cart_lines() == {"TMC-CRM-4-UNS": 2}


@pytest.mark.parametrize("call", [
    lambda gateway: gateway.retrieve_checkout("cs_test_hanging"),
    lambda gateway: gateway.expire_checkout("cs_test_hanging"),
    lambda gateway: gateway.refund(payment_intent_id="pi_hanging", amount_minor=100, idempotency_key="refund-x"),
])
def test_every_gateway_call_gives_up_at_the_configured_timeout(app, hanging, call):
    started = time.monotonic()
    with pytest.raises(PaymentServiceUnavailable):
        call(StripeGateway())
    assert time.monotonic() - started < TIMEOUT_SECONDS * ATTEMPTS + MARGIN_SECONDS
    assert hanging.hung_connections == ATTEMPTS


def test_production_refuses_stripe_waits_that_outlast_the_worker(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match=r"STRIPE_MAX_NETWORK_RETRIES \+ 1\) = 240 s must be at most 20 s"):
        create_app(production_config(STRIPE_TIMEOUT_SECONDS=80, STRIPE_MAX_NETWORK_RETRIES=2))
    with pytest.raises(RuntimeError, match="= 22 s must be at most 20 s"):
        create_app(production_config(STRIPE_TIMEOUT_SECONDS=11, STRIPE_MAX_NETWORK_RETRIES=1))
    with pytest.raises(RuntimeError, match="must be above zero"):
        create_app(production_config(STRIPE_TIMEOUT_SECONDS=0))
    assert create_app(production_config()).config["STRIPE_TIMEOUT_SECONDS"] == 10  # the defaults pass
    longer_worker = create_app(production_config(STRIPE_TIMEOUT_SECONDS=20, WORKER_TIMEOUT_SECONDS=60))
    assert longer_worker.config["STRIPE_MAX_NETWORK_RETRIES"] == 1
