"""Admin tests pay and refund through the local Stripe-compatible server."""
import pytest

from tests.conftest import latest_order, session_id_from


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


@pytest.fixture
def paid_order(shopper, session, stripe_server, deliver):
    """An order paid through Checkout, its webhook applied: (order, shopper)."""
    shopper.add("TMC-CRM-4-UNS", 2)
    session_id = session_id_from(shopper.checkout(email="jo@example.com"))
    stripe_server.complete(session_id, email="jo@example.com")
    deliver(stripe_server.last_event("checkout.session.completed"))
    return latest_order(session)



