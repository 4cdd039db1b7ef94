"""Payments: gateways (Stripe, the built-in test gateway), webhooks and payment events."""
from flask import Blueprint

bp = Blueprint("payments", __name__)

from app.payments import routes  # noqa: E402,F401
