"""The hardening tests pay through the local Stripe-compatible server, as the admin tests do."""
from tests.admin.conftest import config_overrides, paid_order  # noqa: F401  (fixtures, used by name)
