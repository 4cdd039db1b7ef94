"""Checkout: turning a cart into an order and a payment session."""
from flask import Blueprint

from app.caching import keep_no_copies

bp = Blueprint("checkout", __name__)
keep_no_copies(bp)  # its pages hold a shopper's or customer's details

from app.checkout import routes  # noqa: E402,F401
