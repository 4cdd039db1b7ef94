"""Order screens: list and search, detail with its timeline, the staff actions, CSV export."""
import secrets

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_login import current_user

from app.admin import bp, services
from app.admin.forms import (CancelForm, HeldPaymentForm, NoteForm, OrderFilterForm, RefundForm, ReviewForm,
                             ShipForm, lot_numbers)
from app.extensions import db
from app.forms import flash_form_errors
from app.inputs import page_number
from app.mail.services import commit_then_send
from app.money import parse_money
from app.orders import payment_journey as journey
from app.orders import services as orders
from app.orders.gateway import PaymentRefused, PaymentServiceUnavailable
from app.payments.gateway import get_gateway
from app.security import role_required

PAGE_SIZE = 25
ORDER_FIELDS = ("status", "amount_refunded_minor", "carrier", "tracking_number", "needs_review")


def _order_or_404(number: str):
    order = orders.find_order(db.session, number=number)
    if order is None:
        abort(404)
    return order


@bp.get("/orders")
@role_required("fulfilment")
def order_list():
    form = OrderFilterForm(request.args)
    if not form.validate():  # the form again with its messages, and no list it did not ask for
        return render_template("admin/orders.html", form=form, page=None)
    query = services.order_query(status=form.status.data or "", date_from=form.date_from.data,
                                 date_to=form.date_to.data, search=form.q.data or "", abandoned=form.abandoned.data)
    page = services.capped_page(db.session, query, page=request.args.get("page", 1, type=page_number),
                                per_page=PAGE_SIZE)
    return render_template("admin/orders.html", form=form, page=page)


@bp.get("/orders/export.csv")
@role_required("fulfilment")
def order_export():
    form = OrderFilterForm(request.args)
    if not form.validate():  # checked before the first row: a stream cannot turn into an error page
        abort(400)
    rows = services.orders_csv(db.session, date_from=form.date_from.data, date_to=form.date_to.data)
    return Response(stream_with_context(rows), mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=orders.csv"})


@bp.get("/orders/<number>")
@role_required("fulfilment")
def order_detail(number: str):
    order = _order_or_404(number)
    return render_template(
        "admin/order.html", order=order, ship_form=ShipForm(),
        refund_form=RefundForm(request_key=secrets.token_urlsafe(16)),
        cancel_form=CancelForm(), note_form=NoteForm(), review_form=ReviewForm(), held_form=HeldPaymentForm(),
    )


def _run_action(order, form, action: str, work):
    """Validate, do the work, audit it and commit; any refusal is shown and nothing changes."""
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.order_detail", number=order.number), code=303)
    before = services.snapshot(order, *ORDER_FIELDS)
    try:
        message = work()
    except (orders.OrderError, PaymentRefused, PaymentServiceUnavailable, ValueError) as error:
        db.session.rollback()
        prefix = "The payment service is unavailable: " if isinstance(error, PaymentServiceUnavailable) else ""
        flash(prefix + str(error), "error")
        return redirect(url_for("admin.order_detail", number=order.number), code=303)
    order = orders.get_order(db.session, order_id=order.id)
    services.audit(db.session, actor=current_user, action=action, obj_type="order", obj_id=order.number,
                   before=before, after=services.snapshot(order, *ORDER_FIELDS))
    commit_then_send(db.session)
    flash(message, "success")
    return redirect(url_for("admin.order_detail", number=order.number), code=303)


@bp.post("/orders/<number>/ship")
@role_required("fulfilment")
def order_ship(number: str):
    order = _order_or_404(number)
    form = ShipForm()

    def ship():
        lots = lot_numbers(request.form, order.lines)
        orders.ship(db.session, order_id=order.id, carrier=form.carrier_name(),
                    tracking_number=form.tracking_number.data, lot_numbers=lots, actor=current_user.email)
        return "Marked as shipped; the shopper has been emailed the tracking number."

    return _run_action(order, form, "order.ship", ship)


@bp.post("/orders/<number>/refund")
@role_required("fulfilment")
def order_refund(number: str):
    order = _order_or_404(number)
    form = RefundForm()

    def refund():
        amount = parse_money(form.amount.data, order.currency)
        journey.refund(db.session, gateway=get_gateway(), order_id=order.id, amount_minor=amount,
                       actor=current_user.email, request_key=form.request_key.data)
        return "Refund issued."

    return _run_action(order, form, "order.refund", refund)


@bp.post("/orders/<number>/cancel")
@role_required("fulfilment")
def order_cancel(number: str):
    order = _order_or_404(number)

    def cancel():
        return journey.cancel(db.session, gateway=get_gateway(), order_id=order.id, actor=current_user.email)

    return _run_action(order, CancelForm(), "order.cancel", cancel)


@bp.post("/orders/<number>/held-payment")
@role_required("fulfilment")
def order_held_payment(number: str):
    """Resolve money that arrived for an order that could not take it: accept it, or refund it in full."""
    order = _order_or_404(number)
    form = HeldPaymentForm()

    def resolve():
        if form.decision.data == "accept":
            journey.accept_held_payment(db.session, order_id=order.id, actor=current_user.email)
            return "Payment accepted: the order is paid and ready to ship; the shopper has been emailed."
        journey.refund_held_payment(db.session, gateway=get_gateway(), order_id=order.id, actor=current_user.email)
        return "Payment refunded in full and the order closed; the shopper has been emailed."

    return _run_action(order, form, f"order.held_payment.{form.decision.data or 'none'}", resolve)


@bp.post("/orders/<number>/review")
@role_required("fulfilment")
def order_review(number: str):
    order = _order_or_404(number)
    form = ReviewForm()

    def review():
        orders.clear_review(db.session, order_id=order.id, note=form.decision.data, actor=current_user.email)
        return "Marked as reviewed."

    return _run_action(order, form, "order.review", review)


@bp.post("/orders/<number>/notes")
@role_required("fulfilment")
def order_note(number: str):
    order = _order_or_404(number)
    form = NoteForm()

    def note():
        orders.add_note(db.session, order_id=order.id, text=form.text.data, actor=current_user.email)
        return "Note added."

    return _run_action(order, form, "order.note", note)
