"""/metrics counts checkouts, payments by outcome and webhook events by type and outcome."""
import re

import pytest

from tests.conftest import session_id_from


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


def counts(client) -> dict[str, float]:
    text = client.get("/metrics").get_data(as_text=True)
    samples = re.findall(r"^(shop_(?:checkouts|payments|webhook)\w*_total(?:\{[^}]*\})?) (\S+)$", text, re.M)
    return {name: float(value) for name, value in samples}


def grew(before: dict, after: dict) -> dict[str, float]:
    return {name: value - before.get(name, 0.0) for name, value in after.items() if value != before.get(name, 0.0)}


def test_a_paid_checkout_and_its_webhooks_are_counted(shopper, client, stripe_server, deliver):
    before = counts(client)
    shopper.add("TMC-CRM-4-UNS", 1)
    session_id = session_id_from(shopper.checkout(email="jo@example.com"))
    stripe_server.complete(session_id, email="jo@example.com")
    event = stripe_server.last_event("checkout.session.completed")
    deliver(event)
    deliver(event)  # Stripe delivers again: counted as a duplicate, not a second payment
    deliver(event, secret="whsec_wrong")
    assert grew(before, counts(client)) == {
        "shop_checkouts_started_total": 1,
        'shop_payments_total{outcome="paid"}': 1,
        'shop_webhook_events_total{outcome="order paid",type="checkout.session.completed"}': 1,
        'shop_webhook_events_total{outcome="duplicate",type="checkout.session.completed"}': 1,
        'shop_webhook_events_total{outcome="rejected",type="unknown"}': 1,
    }
