"""Cart pages: view the cart, add to it, change a quantity, remove a line."""
from urllib.parse import urlencode, urlsplit

from flask import current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from app.cart import bp, services
from app.cart.cookie import new_cart_token, read_cart_token, remember_cart_token
from app.cart.forms import AddToCartForm, LineQuantityForm
from app.catalog.errors import CatalogError
from app.catalog.services import variant_with_options
from app.extensions import db
from app.forms import flash_form_errors
from app.storefront import reader


@bp.app_template_global()
def cart_item_count() -> int:
    """The header's item count, queried only on pages that render it and only if a cart exists;
    on a read-only page, on that page's connection, so it does not take a second one."""
    if "cart_item_count" not in g:
        g.cart_item_count = services.item_count(reader(), token=read_cart_token())
    return g.cart_item_count


def _back_to_shopping(variant_id: int | None = None):
    """Where a failed "Add to cart" returns: the product page it came from, if it is ours, with
    the shopper's choice of variant still picked."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host or not referrer.path.startswith("/products/"):
        return redirect(url_for("cart.view"), code=303)
    sku = services.variant_sku(db.session, variant_id=variant_id) if variant_id else None
    query = urlencode({"variant": sku}) if sku else referrer.query
    return redirect(referrer.path + (f"?{query}" if query else ""), code=303)


def _cart():
    return services.get_cart(db.session, token=read_cart_token())


@bp.get("/cart")
def view():
    cart = _cart()
    summary = services.summarise(cart, currency=current_app.config["SHOP_CURRENCY"])
    g.cart_item_count = summary.item_count  # the header needs no second query
    return render_template(
        "cart/cart.html",
        cart=cart,
        summary=summary,
        line_problem=services.line_problem,
    )


@bp.post("/cart/add")
def add():
    form = AddToCartForm()
    if not form.validate():
        flash_form_errors(form)
        return _back_to_shopping()
    token = read_cart_token()
    cart = services.get_cart(db.session, token=token)
    new_token = None
    if cart is None:
        new_token = new_cart_token()
        user_id = current_user.id if current_user.is_authenticated else None
        cart = services.create_cart(db.session, token=new_token, user_id=user_id)
    variant_id = form.variant_id.data
    try:
        if form.size.data and form.scent.data:
            variant_id = variant_with_options(db.session, variant_id=variant_id, size=form.size.data,
                                              scent=form.scent.data)
        line = services.add_item(db.session, cart=cart, variant_id=variant_id, quantity=form.quantity.data)
    except (services.CartError, CatalogError) as error:
        db.session.rollback()
        flash(str(error), "error")
        return _back_to_shopping(variant_id)
    db.session.commit()
    flash(f"Added {form.quantity.data} × {line.variant.product.name} ({line.variant.label}).", "success")
    response = redirect(url_for("cart.view"), code=303)
    if new_token:
        remember_cart_token(response, new_token)
    return response


@bp.post("/cart/lines/<int:line_id>")
def update(line_id: int):
    form = LineQuantityForm()
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("cart.view"), code=303)
    if form.quantity.data == 0:
        return remove(line_id)
    try:
        line = services.set_quantity(db.session, cart=_cart(), line_id=line_id, quantity=form.quantity.data)
    except services.CartError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Updated {line.variant.product.name} to {line.quantity}.", "success")
    return redirect(url_for("cart.view"), code=303)


@bp.post("/cart/lines/<int:line_id>/remove")
def remove(line_id: int):
    try:
        line = services.remove_line(db.session, cart=_cart(), line_id=line_id)
    except services.CartError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(f"Removed {line.variant.product.name} ({line.variant.label}).", "success")
    return redirect(url_for("cart.view"), code=303)

