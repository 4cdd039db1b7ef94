"""Staff screens: orders, stock, products, staff, audit log and contact reports."""
from flask import Blueprint, abort
from flask_login import current_user

from app.caching import keep_no_copies
from app.extensions import login_manager

bp = Blueprint("admin", __name__)
keep_no_copies(bp)  # its pages hold a shopper's or customer's details


@bp.before_request
def staff_only():
    """A floor under every /admin route: signed-in staff only. Each route then checks its role."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)


from app.admin import (  # noqa: E402,F401
    routes, routes_catalog, routes_discounts, routes_images, routes_jobs, routes_orders, routes_people, routes_reviews,
    studio,
)
