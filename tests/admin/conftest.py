"""Admin tests pay and refund through the local Stripe-compatible server."""
import pytest


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}
