"""Shopper accounts, staff roles and signing in."""
from flask import Blueprint

from app.caching import keep_no_copies

bp = Blueprint("accounts", __name__)
keep_no_copies(bp)  # its pages hold a shopper's or customer's details

from app.accounts import routes  # noqa: E402,F401
