"""The public contact form, including reports of a reaction to a product."""
from flask import Blueprint

from app.caching import keep_no_copies

bp = Blueprint("contact", __name__)
# A form sent back with an error shows what was typed, a reaction report's symptoms included;
# the contact page itself stays indexable.
keep_no_copies(bp, indexable=True)

from app.contact import routes  # noqa: E402,F401
