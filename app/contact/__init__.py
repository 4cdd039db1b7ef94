"""The public contact form, including reports of a reaction to a product."""
from flask import Blueprint

bp = Blueprint("contact", __name__)

from app.contact import routes  # noqa: E402,F401
