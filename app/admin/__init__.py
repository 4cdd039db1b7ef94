"""Staff screens: orders, stock, products, staff, audit log and contact reports."""
from flask import Blueprint, abort
from flask_login import current_user

from app.extensions import login_manager

bp = Blueprint("admin", __name__)


@bp.before_request
def staff_only():
    """A floor under every /admin route: signed-in staff only. Each route then checks its role."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.is_staff:
        abort(403)


from app.admin import routes, routes_catalog, routes_orders, routes_people  # noqa: E402,F401
