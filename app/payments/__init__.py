"""Payments: gateways (Stripe, the built-in test gateway), webhooks and payment events."""
from flask import Blueprint

from app.caching import keep_no_copies

bp = Blueprint("payments", __name__)
keep_no_copies(bp)  # its pages hold a shopper's or customer's details

from app.payments import routes  # noqa: E402,F401
