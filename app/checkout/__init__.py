"""Checkout: turning a cart into an order and a payment session."""
from flask import Blueprint

bp = Blueprint("checkout", __name__)

from app.checkout import routes  # noqa: E402,F401
