"""Stock and product screens: levels, adjustments with reasons, history; products and variants."""
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.admin import bp, services
from app.admin.forms import ProductForm, StockAdjustForm, ThresholdForm, VariantForm
from app.catalog import services as catalog
from app.admin.routes_images import gallery_context
from app.catalog.models import Product, StockReason, Variant
from app.db import utcnow
from app.extensions import db
from app.forms import flash_form_errors
from app.money import parse_money, to_major
from app.security import role_required
from app.studio.revisions import record_live_edit

PRODUCT_FIELDS = ("name", "slug", "summary", "description_markdown", "ingredients", "directions_markdown",
                  "warnings_markdown", "seo_title", "seo_description", "position", "is_active", "is_featured")
PRODUCT_COPY_FIELDS = PRODUCT_FIELDS[:9]  # what the studio drafts; position and the flags are not copy
VARIANT_FIELDS = ("sku", "size", "scent", "price_minor", "compare_at_minor", "weight_grams", "position", "is_active")
# The checks for a free slug or SKU read before writing; two staff saving the same one at the same
# moment both pass them, and the database's constraints stop the second at commit.
SAVED_BY_SOMEONE_ELSE = ("Nothing was saved: another change to the catalogue conflicted with this one, most "
                         "likely someone saving the same web address or SKU at the same moment. Reload the page, "
                         "check it and try again.")


def refuse_save(error: Exception) -> None:
    """Undo a save that failed, and tell staff why: a rule of the catalogue, or a conflict at commit."""
    db.session.rollback()
    if isinstance(error, IntegrityError):
        current_app.logger.warning("Catalogue save refused by the database: %s", error.orig)
        flash(SAVED_BY_SOMEONE_ELSE, "error")
    else:
        flash(str(error), "error")


@bp.get("/stock")
@role_required("fulfilment")
def stock_list():
    return render_template("admin/stock.html", variants=services.all_variants(db.session))


@bp.get("/stock/<int:variant_id>")
@role_required("fulfilment")
def stock_detail(variant_id: int):
    variant = db.get_or_404(Variant, variant_id)
    return render_template("admin/stock_detail.html", variant=variant, adjust_form=StockAdjustForm(),
                           threshold_form=ThresholdForm(threshold=variant.low_stock_threshold),
                           history=services.stock_history(db.session, variant_id=variant_id))


@bp.post("/stock/<int:variant_id>/adjust")
@role_required("fulfilment")
def stock_adjust(variant_id: int):
    variant = db.get_or_404(Variant, variant_id)
    form = StockAdjustForm()
    if form.validate_on_submit():
        before = services.snapshot(variant, "stock_on_hand", "stock_reserved")
        try:
            catalog.adjust_stock(db.session, variant_id=variant.id, change=form.change.data,
                                 reason=StockReason(form.reason.data), note=form.note.data or "")
        except catalog.CatalogError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.refresh(variant)
            services.audit(db.session, actor=current_user, action="stock.adjust", obj_type="variant",
                           obj_id=variant.sku, before=before,
                           after={**services.snapshot(variant, "stock_on_hand", "stock_reserved"),
                                  "reason": form.reason.data, "note": form.note.data or ""})
            db.session.commit()
            flash(f"Stock of {variant.sku} is now {variant.stock_on_hand}.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("admin.stock_detail", variant_id=variant_id), code=303)


@bp.post("/stock/<int:variant_id>/threshold")
@role_required("fulfilment")
def stock_threshold(variant_id: int):
    variant = db.get_or_404(Variant, variant_id)
    form = ThresholdForm()
    if form.validate_on_submit():
        before = services.snapshot(variant, "low_stock_threshold")
        catalog.set_low_stock_threshold(db.session, variant_id=variant.id, threshold=form.threshold.data)
        db.session.refresh(variant)
        services.audit(db.session, actor=current_user, action="stock.threshold", obj_type="variant",
                       obj_id=variant.sku, before=before, after=services.snapshot(variant, "low_stock_threshold"))
        db.session.commit()
        flash(f"Low-stock threshold for {variant.sku} set to {variant.low_stock_threshold}.", "success")
    else:
        flash_form_errors(form)
    return redirect(url_for("admin.stock_detail", variant_id=variant_id), code=303)


def copy_changed(before: dict, product: Product) -> bool:
    return services.snapshot(product, *PRODUCT_COPY_FIELDS) != {name: before[name] for name in PRODUCT_COPY_FIELDS}


@bp.get("/products")
@role_required()
def product_list():
    return render_template("admin/products.html", products=catalog.list_all_products(db.session))


@bp.route("/products/new", methods=["GET", "POST"], defaults={"product_id": None})
@bp.route("/products/<int:product_id>", methods=["GET", "POST"])
@role_required()
def product_edit(product_id: int | None):
    product = db.get_or_404(Product, product_id) if product_id else None
    form = ProductForm(obj=product, description=getattr(product, "description_markdown", ""),
                       directions=getattr(product, "directions_markdown", ""),
                       warnings=getattr(product, "warnings_markdown", ""))
    if form.validate_on_submit():
        before = services.snapshot(product, *PRODUCT_FIELDS) if product else None
        try:
            if product is None:  # a new product must not take over an existing one's address
                catalog.check_slug_free(db.session, slug=form.slug.data, product_id=None)
            fields = {name: getattr(form, name).data for name in (
                "name", "summary", "description", "ingredients", "directions", "warnings", "seo_title",
                "seo_description", "position", "is_active", "is_featured")}
            saved = catalog.save_product(db.session, slug=form.slug.data, product_id=product_id, **fields)
            services.audit(db.session, actor=current_user, action="product.create" if before is None else "product.edit",
                           obj_type="product", obj_id=saved.slug, before=before,
                           after=services.snapshot(saved, *PRODUCT_FIELDS))
            if before is not None and copy_changed(before, saved):
                # The studio keeps it as published text: no older draft can be published over it.
                record_live_edit(db.session, kind="product", object_id=saved.id, author=current_user, now=utcnow())
            db.session.commit()
        except (catalog.CatalogError, IntegrityError) as error:
            refuse_save(error)
        else:
            flash(f"Saved {saved.name}.", "success")
            return redirect(url_for("admin.product_edit", product_id=saved.id), code=303)
    elif request.method == "POST":
        flash_form_errors(form)
    return render_template("admin/product_edit.html", product=product, form=form,
                           **(gallery_context(product) if product else {}))


@bp.route("/products/<int:product_id>/variants/new", methods=["GET", "POST"], defaults={"variant_id": None})
@bp.route("/products/<int:product_id>/variants/<int:variant_id>", methods=["GET", "POST"])
@role_required()
def variant_edit(product_id: int, variant_id: int | None):
    product = db.get_or_404(Product, product_id)
    variant = db.get_or_404(Variant, variant_id) if variant_id else None
    form = VariantForm(obj=variant)
    currency = current_app.config["SHOP_CURRENCY"]
    if variant is not None and request.method == "GET":
        form.price.data = str(to_major(variant.price_minor, currency))
        form.compare_at.data = str(to_major(variant.compare_at_minor, currency)) if variant.compare_at_minor else ""
    if form.validate_on_submit():
        before = services.snapshot(variant, *VARIANT_FIELDS) if variant else None
        try:
            compare_at = parse_money(form.compare_at.data, currency) if form.compare_at.data else None
            saved = catalog.save_variant(
                db.session, product_id=product.id, variant_id=variant_id, sku=form.sku.data, size=form.size.data,
                scent=form.scent.data, price_minor=parse_money(form.price.data, currency), currency=currency, compare_at_minor=compare_at,
                weight_grams=form.weight_grams.data, position=form.position.data, is_active=form.is_active.data,
            )
            services.audit(db.session, actor=current_user, action="variant.create" if before is None else "variant.edit",
                           obj_type="variant", obj_id=saved.sku, before=before,
                           after=services.snapshot(saved, *VARIANT_FIELDS))
            db.session.commit()
        except (catalog.CatalogError, ValueError, IntegrityError) as error:
            refuse_save(error)
        else:
            flash(f"Saved {saved.sku}. Stock is changed on the stock screen.", "success")
            return redirect(url_for("admin.product_edit", product_id=product.id), code=303)
    elif request.method == "POST":
        flash_form_errors(form)
    return render_template("admin/variant_edit.html", product=product, variant=variant, form=form)
