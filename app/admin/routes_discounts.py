"""Discount codes (admin and marketing): the list with each code's uses, and the form to create or edit one."""
from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from app.admin import bp, services
from app.admin.forms import DiscountCodeStaffForm
from app.catalog.models import Product
from app.dates import from_shop_time, to_shop_time
from app.discounts import staff
from app.discounts.models import DiscountCode, DiscountKind
from app.discounts.services import DiscountError
from app.extensions import db
from app.money import parse_money, to_major
from app.security import role_required

FIELDS = ("code", "kind", "percent_off", "amount_off_minor", "min_subtotal_minor", "starts_at", "ends_at",
          "usage_limit", "per_customer_limit", "active", "note")


@bp.get("/discounts")
@role_required("marketing")
def discount_list():
    return render_template("admin/discounts.html", rows=staff.list_codes(db.session))


def _form(code: DiscountCode | None) -> DiscountCodeStaffForm:
    currency = current_app.config["SHOP_CURRENCY"]
    form = DiscountCodeStaffForm(obj=code, kind=code.kind.value if code else DiscountKind.percent.value,
                                 products=[product.id for product in code.products] if code else [],
                                 amount_off=str(to_major(code.amount_off_minor, currency))
                                 if code and code.amount_off_minor else "",
                                 min_subtotal=str(to_major(code.min_subtotal_minor, currency))
                                 if code and code.min_subtotal_minor else "")
    if code and not form.is_submitted():  # stored in UTC, typed and shown on the shop's clock
        form.starts_at.data, form.ends_at.data = to_shop_time(code.starts_at), to_shop_time(code.ends_at)
    form.products.choices = [SelectChoice(product.id, product.name)
                             for product in db.session.scalars(select(Product).order_by(Product.name))]
    return form


def _terms(form: DiscountCodeStaffForm) -> staff.CodeTerms:
    """The form's terms; ValueError (from parse_money) names an amount that isn't one."""
    currency = current_app.config["SHOP_CURRENCY"]
    return staff.CodeTerms(
        code=form.code.data or "", kind=DiscountKind(form.kind.data), percent_off=form.percent_off.data,
        amount_off_minor=parse_money(form.amount_off.data, currency) if form.amount_off.data else None,
        min_subtotal_minor=parse_money(form.min_subtotal.data, currency) if form.min_subtotal.data else 0,
        starts_at=from_shop_time(form.starts_at.data), ends_at=from_shop_time(form.ends_at.data), usage_limit=form.usage_limit.data,
        per_customer_limit=form.per_customer_limit.data, product_ids=list(form.products.data or []),
        active=form.active.data, note=form.note.data or "")


@bp.route("/discounts/new", methods=["GET", "POST"], defaults={"code_id": None})
@bp.route("/discounts/<int:code_id>", methods=["GET", "POST"])
@role_required("marketing")
def discount_edit(code_id: int | None):
    code = db.get_or_404(DiscountCode, code_id) if code_id else None
    form = _form(code)
    if form.validate_on_submit():
        before = services.snapshot(code, *FIELDS) if code else None
        try:
            code = staff.save_code(db.session, code=code, terms=_terms(form))
        except (DiscountError, ValueError) as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            services.audit(db.session, actor=current_user, action="discount.create" if before is None else "discount.edit",
                           obj_type="discount_code", obj_id=code.code, before=before,
                           after=services.snapshot(code, *FIELDS))
            db.session.commit()
            flash(f"Saved the code {code.code}.", "success")
            return redirect(url_for("admin.discount_list"), code=303)
    return render_template("admin/discount_edit.html", form=form, code=code)
