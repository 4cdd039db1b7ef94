"""Stripe's webhook endpoint, and the built-in test gateway's payment page."""
from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for

from babel import Locale
from wtforms import SelectChoice

from app.extensions import csrf, db
from app.mail.services import commit_then_send
from app.metrics import WEBHOOK_EVENTS
from app.orders.shipping import COUNTRIES as SHIPPING_COUNTRIES
from app.orders.models import OrderStatus
from app.payments import bp, test_gateway
from app.payments.forms import TestPaymentForm
from app.payments.gateway import InvalidWebhook, get_gateway
from app.payments.services import handle_event


@bp.post("/webhooks/stripe")
@csrf.exempt  # Stripe signs its requests instead; the signature is checked below
def stripe_webhook():
    gateway = get_gateway()
    try:
        event = gateway.parse_webhook(request.get_data(), request.headers.get("Stripe-Signature", ""))
    except InvalidWebhook as error:
        current_app.logger.warning("Rejected webhook: %s", error)
        WEBHOOK_EVENTS.labels("unknown", "rejected").inc()
        return jsonify(error="invalid webhook"), 400
    outcome = handle_event(db.session, provider=gateway.name, event=event)
    commit_then_send(db.session)
    # The outcome's words before any colon ("duplicate", "order paid", "ignored"): a few known values.
    WEBHOOK_EVENTS.labels(str(event.get("type", "unknown")), outcome.split(":")[0]).inc()
    return jsonify(received=True, outcome=outcome)


def _test_order(session_id: str):
    if get_gateway().name != test_gateway.PROVIDER:
        abort(404)  # with Stripe configured there is no fake payment page
    try:
        return test_gateway.order_for_session(session_id)
    except LookupError:
        abort(404)


@bp.route("/test-payments/<session_id>", methods=["GET", "POST"])
def test_checkout(session_id: str):
    order = _test_order(session_id)
    form = TestPaymentForm(email=order.email, country=next(iter(SHIPPING_COUNTRIES)))
    territories = Locale.parse(current_app.config["SHOP_LOCALE"]).territories
    form.country.choices = [SelectChoice(code, territories[code]) for code in SHIPPING_COUNTRIES]
    awaiting = order.status is OrderStatus.payment_processing
    if request.method == "POST" and (awaiting or order.status is OrderStatus.pending_payment):
        action = request.form.get("action")
        if action in ("settle", "fail") and awaiting:
            kind = "succeeded" if action == "settle" else "failed"
            _apply(f"checkout.session.async_payment_{kind}", test_gateway.session_object(
                order, status="complete", payment_status="paid" if action == "settle" else "unpaid"))
            return redirect(url_for("checkout.success", session_id=session_id), code=303)
        if not awaiting and form.validate_on_submit():
            if form.action.data == "decline":  # shown on the same page, so the address stays filled in
                flash("Test card declined: nothing was charged. Try again, or cancel.", "error")
                return render_template("checkout/test_gateway.html", order=order, form=form, awaiting=awaiting)
            shipping = {field: getattr(form, field).data or "" for field in
                        ("name", "line1", "line2", "city", "state", "postal_code", "country")}
            paid = form.action.data == "pay"
            _apply("checkout.session.completed", test_gateway.session_object(
                order, status="complete", payment_status="paid" if paid else "unpaid",
                email=form.email.data, shipping=shipping))
            return redirect(url_for("checkout.success", session_id=session_id), code=303)
    return render_template("checkout/test_gateway.html", order=order, form=form, awaiting=awaiting)


def _apply(event_type: str, session_object: dict) -> None:
    handle_event(db.session, provider=test_gateway.PROVIDER,
                 event=test_gateway.make_event(event_type, session_object))
    commit_then_send(db.session)
