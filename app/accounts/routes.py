"""Register, sign in and out, reset a password, and the shopper's own orders."""
from urllib.parse import urlsplit

from flask import (abort, after_this_request, current_app, flash, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required, login_user, logout_user

from app.accounts import bp, services
from app.accounts.forms import AccountFromOrderForm, account_offer, NewPasswordForm, RegisterForm, ResetRequestForm, SignInForm
from app.accounts.models import User
from app.accounts.protection import bind_session_to_browser
from app.cart.cookie import forget_cart_token, read_cart_token, remember_cart_token
from app.cart.services import claim_cart
from app.extensions import db, limiter
from app.inputs import has_control_characters
from app.mail.services import commit_then_send, queue_email
from app.orders.services import claim_guest_orders, find_order, orders_for_user
from app.orders.status_link import StatusLinkExpired, signed_number, status_url

SIGN_IN_LIMIT = "5 per minute;30 per hour"  # per client address; sign-in counts only failures
ORDER_ACCOUNT_LIMIT = "3 per hour"  # per order: the button mails its shopper, who should not be flooded
# Per email typed, whoever sends it: an attack spread over many addresses is slowed too. Keyed on
# the text, not the account, so the lock-out is the same for an email with no account.
ACCOUNT_SIGN_IN_LIMIT = "10 per 15 minutes;30 per day"
LOCKED_OUT = ("Too many attempts to sign in with those details. Please wait a while and try again, "
              "or reset your password.")


def _attempted_email() -> str:
    return "sign-in:" + services.normalise_email(request.form.get("email", ""))


def _safe_next(default: str) -> str:
    """Follow ?next= only to a path on this site, never to another host (a backslash reads as a
    slash to browsers) nor with characters that could end the Location header."""
    target = request.args.get("next", "")
    parts = urlsplit(target)
    if (target.startswith("/") and not target.startswith("//") and not parts.netloc and not parts.scheme
            and "\\" not in target and not has_control_characters(target, multiline=False)):
        return target
    return default


def _start_session(user, *, remember: bool):
    """Sign in on a fresh session (so a planted session id is useless) and bring the cart along."""
    cart = claim_cart(db.session, token=read_cart_token(), user_id=user.id)
    db.session.commit()
    session.clear()
    login_user(user, remember=remember)
    bind_session_to_browser()
    response = redirect(_safe_next(url_for("admin.dashboard" if user.is_staff else "accounts.orders")), code=303)
    if cart is not None:
        remember_cart_token(response, cart.token)
    else:
        forget_cart_token(response)  # the cookie pointed at someone else's cart, or at none
    return response


def _email_password_link(user: User | None, *, subject: str, template: str) -> None:
    """Queue and send the email once the answer has gone: the time it takes (an SMTP round trip)
    would otherwise tell the visitor that the address has an account. For no account (None),
    the same work and nothing sent."""
    token = services.reset_token(user) if user is not None else services.stand_in_reset_token()
    link = url_for("accounts.reset_password", token=token, _external=True)
    app = current_app._get_current_object()  # the contexts are gone when the response closes
    user_id = user.id if user is not None else None

    def send() -> None:
        if user_id is None:
            return
        with app.app_context():
            try:
                recipient = db.session.get(User, user_id)
                queue_email(db.session, recipient=recipient.email, subject=subject, template=template, link=link,
                            user=recipient)
                commit_then_send(db.session)
            except Exception:  # nobody is waiting for this answer: log it, as a request would
                db.session.rollback()
                app.logger.exception("Could not send %r to user %s", template, user_id)

    @after_this_request
    def send_when_closed(response):
        response.call_on_close(send)
        return response


def _register_by_email(email: str, *, name: str = "") -> None:
    """Start an account for EMAIL and mail it the link to choose a password, or, if it has an account,
    the "you already have one" email; the caller's page says the same either way."""
    user, created = services.start_registration(db.session, email=email, name=name)
    db.session.commit()
    if created:
        _email_password_link(user, subject="Finish creating your account", template="account_welcome")
    else:
        _email_password_link(user if user.is_active else None, subject="You already have an account",
                             template="account_exists")


@bp.route("/account/register", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        _register_by_email(form.email.data, name=form.name.data or "")
        # The same answer either way, so this form can't be used to find out who has an account.
        flash(f"We've sent an email to {form.email.data}. Follow its link to choose your password "
              "and finish signing up; the link works once, for an hour.", "success")
        return redirect(url_for("accounts.sign_in"), code=303)
    return render_template("accounts/register.html", form=form)


TOO_MANY_FORMS = "Too many tries from here. Please wait a while and try again."


@bp.errorhandler(429)
def too_many_tries(error):
    """The same message whether or not the email has an account; sign-in's names signing in."""
    message = LOCKED_OUT if request.endpoint == "accounts.sign_in" else TOO_MANY_FORMS
    return render_template("errors/error.html", code=429, title="Too many tries", message=message), 429


@bp.route("/account/sign-in", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"], deduct_when=lambda response: response.status_code != 303)
@limiter.limit(ACCOUNT_SIGN_IN_LIMIT, methods=["POST"], key_func=_attempted_email,
               deduct_when=lambda response: response.status_code != 303)
def sign_in():
    form = SignInForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, email=form.email.data, password=form.password.data)
        except services.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            return _start_session(user, remember=form.remember.data)
    return render_template("accounts/sign_in.html", form=form)


@bp.post("/account/sign-out")
def sign_out():
    if current_user.is_authenticated:  # every copy of this session, and the other devices', ends too
        services.end_sessions(db.session, user_id=current_user.id)
        db.session.commit()
    logout_user()
    session.clear()
    flash("You're signed out.", "success")
    response = redirect(url_for("core.home"), code=303)
    forget_cart_token(response)  # the next person on this device starts with an empty cart
    return response


def _order_asked_for() -> str:
    """The limit's key: the order the token names, not the token, which is new on each page view."""
    try:
        number = signed_number(request.form.get("token", "")[:200])
    except StatusLinkExpired:
        number = None
    return f"order-account:{number or 'none'}"


@bp.post("/account/from-order")
@limiter.limit(SIGN_IN_LIMIT)
@limiter.limit(ORDER_ACCOUNT_LIMIT, key_func=_order_asked_for)
def account_from_order():
    """A guest's one tap on the confirmation page: the order's email gets the link to choose a
    password (the order joins the account then), or, if it has an account, the "you already have
    one" email. The page says the same either way, as registration does."""
    form = AccountFromOrderForm()
    try:
        number = signed_number(form.token.data or "") if form.validate_on_submit() else None
    except StatusLinkExpired:
        number = None
    order = find_order(db.session, number=number) if number else None
    if order is None or not order.email:
        abort(400)
    _register_by_email(order.email)
    # No address: this page may be a forwarded email's link.
    flash("We've sent you an email. Follow its link within an hour to choose your password; "
          "this order will be in your account.", "success")
    return redirect(status_url(order), code=303)


@bp.route("/account/reset", methods=["GET", "POST"])
@limiter.limit(SIGN_IN_LIMIT, methods=["POST"])
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.find_user(db.session, email=form.email.data)
        _email_password_link(user if user is not None and user.is_active else None, subject="Reset your password",
                             template="password_reset")
        # The same answer either way, so this form can't be used to find out who has an account.
        flash("If that email has an account, we've sent it a link to reset the password. "
              "The link works once, for an hour.", "success")
        return redirect(url_for("accounts.sign_in"), code=303)
    return render_template("accounts/reset_request.html", form=form)


@bp.route("/account/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    try:
        user = services.user_for_reset_token(db.session, token=token)
    except services.AccountError as error:
        flash(str(error), "error")
        return redirect(url_for("accounts.reset_request"), code=303)
    form = NewPasswordForm()
    if form.validate_on_submit():
        services.set_password(db.session, user=user, password=form.password.data)
        claim_guest_orders(db.session, user_id=user.id, email=user.email)  # the link proved the email is theirs
        flash("Your password is set and you're signed in.", "success")
        return _start_session(user, remember=False)
    return render_template("accounts/reset_password.html", form=form)


@bp.get("/account")
@login_required
def orders():
    return render_template("accounts/orders.html", orders=orders_for_user(db.session, user_id=current_user.id))


@bp.get("/account/orders/<number>")
@login_required
def order_detail(number: str):
    order = find_order(db.session, number=number)
    if order is None or order.user_id != current_user.id:
        abort(404)
    return render_template("accounts/order.html", order=order)


@bp.get("/orders/<number>/status/<token>")
def order_status(number: str, token: str):
    """The order's page from the link in its emails, without signing in: read-only, and only what
    the account's order page shows."""
    try:
        opens = signed_number(token) == number
    except StatusLinkExpired:
        return render_template("errors/error.html", code=410, title="This link has expired",
                               message="Order links in our emails work for a few months. Sign in to see the "
                                       "order in your account, or reply to any of our emails and we'll help."), 410
    order = find_order(db.session, number=number) if opens else None
    if order is None:
        abort(404)
    return render_template("accounts/order.html", order=order, from_email_link=True,
                           account_offer=account_offer(order))
