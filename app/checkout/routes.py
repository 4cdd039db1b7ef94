"""Checkout pages: review and pay, the payment provider's return trips (success and cancel)."""
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.accounts.forms import account_offer
from app.cart.cookie import read_cart_token
from app.cart.services import get_cart
from app.checkout import bp, services
from app.checkout.forms import CheckoutForm, PaymentActionForm
from app.extensions import db
from app.mail.services import commit_then_send
from app.metrics import CHECKOUTS_STARTED
from app.orders import payment_journey as journey
from app.orders import services as orders
from app.orders import shipping
from app.orders.gateway import PaymentServiceUnavailable
from app.payments.gateway import get_gateway



def _back_to_cart(error: services.CheckoutError):
    messages = error.changes if isinstance(error, services.CartChanged) else [str(error)]
    db.session.commit()  # keep the cart adjustments the shopper is being told about
    for message in messages:
        flash(message, "error")
    return redirect(url_for("cart.view"), code=303)


@bp.app_template_global()
def free_shipping_gap(summary) -> int:
    """For the cart's "$X more for free shipping": checkout owns the shipping rules the cart can't import."""
    return services.free_shipping_gap(summary)


def _checkout_form(summary) -> tuple[CheckoutForm, list]:
    choices = services.shipping_choices(summary)
    form = CheckoutForm(shipping=choices[0].code)
    form.shipping.choices = [SelectChoice(choice.code, choice.name) for choice in choices]
    return form, choices


@bp.route("/checkout", methods=["GET", "POST"])
def review():
    cart = get_cart(db.session, token=read_cart_token())
    try:
        cart = services.ready_cart(db.session, cart=cart)
        summary = services.price_cart(db.session, cart=cart)
    except services.CheckoutInProgress as busy:
        return _to_open_payment(busy, cart)
    except services.CheckoutError as error:
        return _back_to_cart(error)
    form, choices = _checkout_form(summary)
    if current_user.is_authenticated and not form.email.data:
        form.email.data = current_user.email

    def page():
        return render_template("checkout/review.html", cart=cart, summary=summary, form=form, choices=choices,
                               dispatch_days=shipping.DISPATCH_BUSINESS_DAYS)

    if not form.validate_on_submit():
        return page()
    try:
        order = services.place_order(db.session, cart=cart, shipping_code=form.shipping.data,
                                     email=form.email.data or "",
                                     user_id=current_user.id if current_user.is_authenticated else None)
    except services.CheckoutInProgress as busy:
        db.session.rollback()
        return _to_open_payment(busy, cart)
    except services.EmailNeeded as error:
        db.session.rollback()
        form.email.errors = [str(error)]
        return page(), 422
    except services.CheckoutError as error:
        return _back_to_cart(error)
    db.session.commit()  # the order and its stock hold exist before the provider hears of them
    return _start_payment(order)


def _to_open_payment(busy: services.CheckoutInProgress, cart):
    """A double click or a second tab: the same items go to the payment page already open for
    them; otherwise the cart, whose banner offers to continue or cancel that payment."""
    order = busy.order
    if request.method == "POST" and order.checkout_url and not order.checkout_expired and busy.same_items_as(cart):
        return redirect(order.checkout_url, code=303)
    return redirect(url_for("cart.view"), code=303)


def _start_payment(order):
    try:
        url = journey.begin_payment(
            db.session, gateway=get_gateway(), order_id=order.id,
            success_url=url_for("checkout.success", _external=True) + "?session_id={CHECKOUT_SESSION_ID}",
            cancel_url=url_for("checkout.cancel", order=order.number, _external=True),
        )
    except PaymentServiceUnavailable:
        db.session.commit()  # the order is cancelled and its stock released
        return render_template("checkout/unavailable.html"), 503
    except journey.CheckoutClosed as error:
        return _back_to_cart(error)
    db.session.commit()
    CHECKOUTS_STARTED.inc()
    return redirect(url, code=303)


@bp.before_app_request
def note_payment_in_progress():
    """The cart page shows a payment page left open (browser Back from it, say), with a way to
    continue or cancel it. Only read here: a GET never changes an order."""
    if request.endpoint == "cart.view" and (token := read_cart_token()):
        g.payment_in_progress = orders.live_checkout(db.session, cart_token=token)


@bp.post("/checkout/abandon")
def abandon():
    """Cancel the payment in progress from the cart: its page is closed, its stock released."""
    if not PaymentActionForm().validate_on_submit():
        flash("Your session expired. Please try again.", "error")
        return redirect(url_for("cart.view"), code=303)
    try:
        left = services.leave_checkout(db.session, gateway=get_gateway(), cart_token=read_cart_token() or "")
    except PaymentServiceUnavailable:
        db.session.rollback()
        flash("The payment service isn't answering, so that payment page is still open. Nothing more was "
              "charged; please try again in a minute.", "error")
        return redirect(url_for("cart.view"), code=303)
    commit_then_send(db.session)  # the provider may say it was paid after all: its confirmation
    flash("Payment cancelled: nothing was charged. Your cart is just as you left it." if left
          else "That payment was no longer open: your cart shows where things stand.", "success")
    return redirect(url_for("cart.view"), code=303)


def _order_for_session(session_id: str):
    order = orders.find_order(db.session, checkout_session_id=session_id) if session_id else None
    if order is None:
        abort(404)
    return order


@bp.get("/checkout/success")
def success():
    """What the shop knows of the order now; while the payment is unconfirmed, a button (pressed by
    a line of JS at once) asks the provider."""
    order = _order_for_session(request.args.get("session_id", ""))
    return render_template("checkout/success.html", order=order, form=PaymentActionForm(),
                           account_offer=account_offer(order))


@bp.post("/checkout/success")
def confirm():
    session_id = request.args.get("session_id", "")
    order = _order_for_session(session_id)
    if PaymentActionForm().validate_on_submit():
        try:
            journey.confirm(db.session, gateway=get_gateway(), order_id=order.id, actor="success page")
        except PaymentServiceUnavailable:
            db.session.rollback()
            flash("We couldn't reach the payment service to check. We'll email you as soon as the payment "
                  "is confirmed; there's no need to pay again.", "error")
        commit_then_send(db.session)
    # Marked as checked, so the page's script asks once, not again on every load.
    return redirect(url_for("checkout.success", session_id=session_id, checked=1), code=303)


@bp.get("/checkout/cancel")
def cancel():
    """The provider's Back link: the cart, which shows the payment still open with continue and cancel."""
    return redirect(url_for("cart.view"), code=303)
