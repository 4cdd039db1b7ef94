"""The shopping cart."""
from flask import Blueprint

from app.caching import keep_no_copies

bp = Blueprint("cart", __name__)
keep_no_copies(bp)  # its pages hold a shopper's or customer's details

from app.cart import routes  # noqa: E402,F401
