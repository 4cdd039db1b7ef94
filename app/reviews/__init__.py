"""Reviews by verified buyers: writing one (by an emailed signed link or from a signed-in buyer's
order), the product page's reviews, and moderation services for the staff screens (app.admin)."""
from flask import Blueprint

from app.caching import keep_no_copies

bp = Blueprint("reviews", __name__)
keep_no_copies(bp)  # a buyer's order, reached by a link that signs them in to it

from app.reviews import routes  # noqa: E402,F401
