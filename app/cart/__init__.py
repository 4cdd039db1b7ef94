"""The shopping cart."""
from flask import Blueprint

from app.caching import keep_no_copies

bp = Blueprint("cart", __name__)
# A shopper's cart is never stored; /cart itself stays crawlable and indexable, as robots.txt
# says (an empty cart is harmless, and search engines reach the shop's pages through it).
keep_no_copies(bp, indexable=True)

from app.cart import routes  # noqa: E402,F401
