"""Cart pages: view the cart, add to it, change a quantity, remove a line."""
from urllib.parse import urlencode, urlsplit

from flask import current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from app.cart import bp, services
from app.cart.cookie import new_cart_token, read_cart_token, remember_cart_token
from app.cart.forms import AddToCartForm, DiscountCodeForm, LineQuantityForm
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


def _change_cart(change, told):
    """Run one cart change: committed and told(result) on success, the rule's message if refused."""
    try:
        result = change()
    except services.CartError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(told(result), "success")
    return redirect(url_for("cart.view"), code=303)


def _shopper_email() -> str:
    return current_user.email if current_user.is_authenticated else ""


@bp.get("/cart")
def view():
    cart = _cart()
    currency = current_app.config["SHOP_CURRENCY"]
    discount = services.cart_discount(db.session, cart=cart, currency=currency, email=_shopper_email())
    summary = services.summarise(cart, currency=currency, discount=discount)
    g.cart_item_count = summary.item_count  # the header needs no second query
    return render_template(
        "cart/cart.html",
        cart=cart,
        summary=summary,
        line_problem=services.line_problem,
        code_form=DiscountCodeForm(),
    )


@bp.post("/cart/discount")
def apply_discount():
    form = DiscountCodeForm()
    if not form.validate():
        flash_form_errors(form)
        return redirect(url_for("cart.view"), code=303)
    currency = current_app.config["SHOP_CURRENCY"]
    return _change_cart(lambda: services.apply_code(db.session, cart=_cart(), text=form.code.data or "",
                                                    currency=currency, email=_shopper_email()),
                        lambda offer: f"{offer.describe(currency)}.")


@bp.post("/cart/discount/remove")
def remove_discount():
    if DiscountCodeForm().validate():
        services.remove_code(db.session, cart=_cart())
        db.session.commit()
        flash("Discount code removed.", "success")
    return redirect(url_for("cart.view"), code=303)


@bp.get("/shopper")
def shopper():
    """What a shared page (app.pagecache) shows of its visitor, for static/js/shopper.js: cart
    count, signed-in state, and a CSRF token when the page has a form (?csrf=1) or a sign-out
    button. The token only when asked, as it starts a session cookie."""
    signed_in = current_user.is_authenticated
    details = {"cart_count": cart_item_count(), "signed_in": signed_in,
               "staff": signed_in and current_user.is_staff}
    if signed_in or request.args.get("csrf"):
        details["csrf_token"] = generate_csrf()
    return jsonify(details)


def _chosen_variant_id(form: AddToCartForm) -> int:
    """The variant the product page's Size and Scent radios name, else the variant_id sent with them."""
    if form.size.data and form.scent.data:
        return variant_with_options(db.session, variant_id=form.variant_id.data, size=form.size.data,
                                    scent=form.scent.data)
    return form.variant_id.data


@bp.get("/cart/add")
def confirm_add():
    """The add-to-cart form of a shared page, sent without JavaScript, lands here: it carries no
    CSRF token, so nothing is added until the shopper confirms on this page, which has one."""
    form = AddToCartForm(request.args, meta={"csrf": False})
    if not form.validate():
        flash_form_errors(form)
        return _back_to_shopping()
    try:
        variant = services.variant_to_add(db.session, variant_id=_chosen_variant_id(form))
    except (services.CartError, CatalogError) as error:
        flash(str(error), "error")
        return _back_to_shopping(form.variant_id.data)
    return render_template("cart/confirm_add.html", variant=variant, quantity=form.quantity.data)


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
        variant_id = _chosen_variant_id(form)
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
    return _change_cart(
        lambda: services.set_quantity(db.session, cart=_cart(), line_id=line_id, quantity=form.quantity.data),
        lambda line: f"Updated {line.variant.product.name} to {line.quantity}.")


@bp.post("/cart/lines/<int:line_id>/remove")
def remove(line_id: int):
    return _change_cart(lambda: services.remove_line(db.session, cart=_cart(), line_id=line_id),
                        lambda line: f"Removed {line.variant.product.name} ({line.variant.label}).")

