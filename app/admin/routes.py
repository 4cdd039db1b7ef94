"""Dashboard (marketing's is the studio's, app.admin.studio) and audit log."""
from flask import current_app, render_template, request
from flask_login import current_user

from app.admin import bp, services
from app.admin.charts import revenue_bars
from app.admin.studio.routes import content as studio_content
from app.extensions import db
from app.inputs import page_number
from app.security import has_role, role_required

PAGE_SIZE = 50


@bp.get("/")
@role_required("fulfilment", "marketing")
def dashboard():
    if not has_role(current_user, "fulfilment"):
        return studio_content()  # marketing's dashboard is the studio's
    figures = services.dashboard(db.session)
    chart = revenue_bars(figures.revenue_by_day, currency=current_app.config["SHOP_CURRENCY"])
    return render_template("admin/dashboard.html", figures=figures, chart=chart)


@bp.get("/audit")
@role_required()
def audit_log():
    page = db.paginate(services.audit_entries(db.session), page=request.args.get("page", 1, type=page_number),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/audit.html", page=page)
