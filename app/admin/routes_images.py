"""A product's gallery: upload, describe, reorder and remove images, a picture per variant, the link-preview image.

Marketing manages pictures as well as admins; fulfilment does not. Each change is in the audit log.
CSRF is checked for every POST by CSRFProtect (app.extensions).
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import bp, services
from app.admin.forms import ImageDetailsForm, ImageForm, ImageMoveForm
from app.catalog import images as gallery
from app.catalog.errors import CatalogError
from app.catalog.models import Product
from app.extensions import db
from app.forms import flash_form_errors
from app.security import role_required

IMAGE_FIELDS = ("path", "alt", "position", "is_social")


def gallery_context(product: Product) -> dict:
    """What the gallery partial (admin/_product_images.html) needs, wherever it is shown."""
    return {"image_form": ImageForm(), "move_form": ImageMoveForm(), "details_forms": {
        image.id: ImageDetailsForm(prefix=f"image-{image.id}", obj=image) for image in product.images}}


def _back(product_id: int):
    """Back to the screen the form was on: the product's own screen (admins) or its gallery."""
    endpoint = "admin.product_edit" if request.form.get("back") == "product" else "admin.product_images"
    return redirect(url_for(endpoint, product_id=product_id), code=303)


def _record(product: Product, action: str, *, before: dict | None = None, after: dict | None = None,
            message: str) -> None:
    services.audit(db.session, actor=current_user, action=action, obj_type="product", obj_id=product.slug,
                   before=before, after=after)
    db.session.commit()
    flash(message, "success")


def _refuse(error: CatalogError) -> None:
    db.session.rollback()
    flash(str(error), "error")


@bp.get("/products/<int:product_id>/images")
@role_required("marketing")
def product_images(product_id: int):
    product = db.get_or_404(Product, product_id)
    return render_template("admin/product_images.html", product=product, **gallery_context(product))


@bp.post("/products/<int:product_id>/images")
@role_required("marketing")
def product_image_add(product_id: int):
    product = db.get_or_404(Product, product_id)
    form = ImageForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(product.id)
    try:
        image = gallery.add_product_image(db.session, product_id=product.id, data=form.image.data.read(),
                                          alt=form.alt.data)
    except CatalogError as error:
        _refuse(error)
    else:
        _record(product, "product.image_add", after=services.snapshot(image, *IMAGE_FIELDS), message="Image added.")
    return _back(product.id)


@bp.post("/products/<int:product_id>/images/<int:image_id>")
@role_required("marketing")
def product_image_edit(product_id: int, image_id: int):
    product = db.get_or_404(Product, product_id)
    form = ImageDetailsForm(prefix=f"image-{image_id}")
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(product.id)
    try:
        image = gallery.product_image(db.session, product_id=product.id, image_id=image_id)
        before = services.snapshot(image, *IMAGE_FIELDS)
        gallery.describe_image(db.session, product_id=product.id, image_id=image_id, alt=form.alt.data,
                               is_social=form.is_social.data)
    except CatalogError as error:
        _refuse(error)
    else:
        _record(product, "product.image_edit", before=before, after=services.snapshot(image, *IMAGE_FIELDS),
                message="Image saved.")
    return _back(product.id)


@bp.post("/products/<int:product_id>/images/<int:image_id>/move")
@role_required("marketing")
def product_image_move(product_id: int, image_id: int):
    product = db.get_or_404(Product, product_id)
    form = ImageMoveForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _back(product.id)
    order_before = [image.id for image in product.images]
    try:
        gallery.move_image(db.session, product_id=product.id, image_id=image_id, step=form.step.data)
    except CatalogError as error:
        _refuse(error)
    else:
        db.session.refresh(product, ["images"])
        _record(product, "product.image_order", before={"order": order_before},
                after={"order": [image.id for image in product.images]}, message="Image moved.")
    return _back(product.id)


@bp.post("/products/<int:product_id>/images/<int:image_id>/remove")
@role_required("marketing")
def product_image_remove(product_id: int, image_id: int):
    product = db.get_or_404(Product, product_id)
    try:
        image = gallery.remove_product_image(db.session, product_id=product.id, image_id=image_id)
    except CatalogError as error:
        _refuse(error)
    else:
        _record(product, "product.image_remove", before=services.snapshot(image, *IMAGE_FIELDS),
                message="Image removed.")
    return _back(product.id)


@bp.post("/products/<int:product_id>/images/variants")
@role_required("marketing")
def variant_images(product_id: int):
    product = db.get_or_404(Product, product_id)
    try:
        choices = {variant.id: _image_choice(request.form.get(f"variant-{variant.id}", ""))
                   for variant in product.variants if f"variant-{variant.id}" in request.form}
        before = {variant.sku: variant.image_id for variant in product.variants}
        changed = gallery.set_variant_images(db.session, product_id=product.id, choices=choices)
    except CatalogError as error:
        _refuse(error)
    else:
        _record(product, "variant.image", before={sku: before[sku] for sku in changed}, after=changed,
                message="Variant pictures saved." if changed else "No variant picture changed.")
    return _back(product.id)


def _image_choice(value: str) -> int | None:
    if value == "":
        return None
    if not value.isdigit():
        raise CatalogError("That image is not on this product.")
    return int(value)
