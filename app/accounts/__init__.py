"""Shopper accounts, staff roles and signing in."""
from flask import Blueprint

bp = Blueprint("accounts", __name__)

from app.accounts import routes  # noqa: E402,F401
