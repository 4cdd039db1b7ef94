"""The hardening tests pay through the local Stripe-compatible server, as the admin tests do."""
import pytest


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}
