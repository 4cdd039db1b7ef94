"""Checkout pages: review and pay, the payment provider's return trips (success and cancel)."""
from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.cart.cookie import read_cart_token
from app.cart.services import get_cart, summarise
from app.checkout import bp, services
from app.checkout.forms import CheckoutForm
from app.extensions import db
from app.mail.services import commit_then_send
from app.orders import services as orders
from app.orders import shipping
from app.payments.gateway import PaymentServiceUnavailable, get_gateway
from app.payments.services import abandon_checkout, fulfil_checkout, pending_orders


def _back_to_cart(error: services.CheckoutError):
    messages = error.changes if isinstance(error, services.CartChanged) else [str(error)]
    db.session.commit()  # keep the cart adjustments the shopper is being told about
    for message in messages:
        flash(message, "error")
    return redirect(url_for("cart.view"), code=303)


def _checkout_form(subtotal_minor: int) -> tuple[CheckoutForm, list]:
    choices = services.shipping_choices(subtotal_minor)
    form = CheckoutForm(shipping=choices[0].code)
    form.shipping.choices = [SelectChoice(choice.code, choice.name) for choice in choices]
    return form, choices


@bp.route("/checkout", methods=["GET", "POST"])
def review():
    try:
        cart = services.ready_cart(db.session, cart=get_cart(db.session, token=read_cart_token()))
    except services.CheckoutError as error:
        return _back_to_cart(error)
    summary = summarise(cart, currency=current_app.config["SHOP_CURRENCY"])
    form, choices = _checkout_form(summary.subtotal_minor)
    if current_user.is_authenticated and not form.email.data:
        form.email.data = current_user.email
    if not form.validate_on_submit():
        return render_template("checkout/review.html", cart=cart, summary=summary, form=form, choices=choices,
                               dispatch_days=shipping.DISPATCH_BUSINESS_DAYS)
    try:
        order = services.place_order(db.session, cart=cart, shipping_code=form.shipping.data,
                                     email=form.email.data or "",
                                     user_id=current_user.id if current_user.is_authenticated else None)
    except services.CheckoutError as error:
        return _back_to_cart(error)
    db.session.commit()  # the order and its stock hold exist before the provider hears of them
    return _start_payment(order)


@bp.before_app_request
def release_abandoned_checkout():
    """A shopper back at their cart or checkout (browser Back from the payment page, say) has
    left that payment: its order is closed and its stock released, so the cart is whole again
    and a second checkout cannot hold the same stock twice."""
    if request.endpoint not in ("cart.view", "checkout.review") or not (token := read_cart_token()):
        return
    # A delayed payment that is still settling was paid for, as far as the shopper is concerned.
    earlier = [order for order in pending_orders(db.session, cart_token=token)
               if not any(event.kind == "awaiting_payment" for event in order.events)]
    if not earlier:
        return
    try:
        for order in earlier:
            abandon_checkout(db.session, gateway=get_gateway(), order=order, actor="shopper",
                             reason="The shopper went back to the cart.")
    except PaymentServiceUnavailable:
        db.session.rollback()  # the session expires on its own; cron releases the stock then
        return
    commit_then_send(db.session)  # abandoning may settle a payment that had gone through: its email


def _start_payment(order):
    gateway = get_gateway()
    try:
        redirect_to = gateway.create_checkout(
            order,
            success_url=url_for("checkout.success", _external=True) + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=url_for("checkout.cancel", order=order.number, _external=True),
        )
    except PaymentServiceUnavailable:
        orders.cancel_unpaid(db.session, order_id=order.id, actor="system",
                             reason="The payment service could not be reached; nothing was charged.")
        db.session.commit()
        return render_template("checkout/unavailable.html"), 503
    orders.attach_checkout(db.session, order=order, provider=gateway.name,
                           session_id=redirect_to.session_id, expires_at=redirect_to.expires_at)
    db.session.commit()
    return redirect(redirect_to.url, code=303)


@bp.get("/checkout/success")
def success():
    session_id = request.args.get("session_id", "")
    try:
        order = fulfil_checkout(db.session, gateway=get_gateway(), session_id=session_id, actor="success page")
    except PaymentServiceUnavailable:
        db.session.rollback()
        order = orders.find_order(db.session, checkout_session_id=session_id)
    if order is None:
        abort(404)
    commit_then_send(db.session)
    return render_template("checkout/success.html", order=order)


@bp.get("/checkout/cancel")
def cancel():
    order = orders.find_order(db.session, number=request.args.get("order", ""))
    # Only the browser that placed the order may cancel it from here.
    if order is None or not order.cart_token or order.cart_token != read_cart_token():
        flash("Checkout was cancelled.", "success")
        return redirect(url_for("cart.view"), code=303)
    try:
        abandon_checkout(db.session, gateway=get_gateway(), order=order, actor="shopper",
                         reason="The shopper left the payment page.")
    except PaymentServiceUnavailable:
        db.session.rollback()  # the session expires on its own; cron releases the stock then
    commit_then_send(db.session)  # as above
    flash("Checkout cancelled. Your cart is just as you left it.", "success")
    return redirect(url_for("cart.view"), code=303)
