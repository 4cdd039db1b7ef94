"""Writing reviews: from the emailed link (no sign-in) or from a signed-in buyer's order page."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from app.extensions import db
from app.mail.services import commit_then_send
from app.orders.models import Order
from app.orders.services import find_order
from app.reviews import bp, services
from app.reviews.forms import ReviewForm


def _by_link(token: str) -> tuple[Order, dict]:
    return services.order_for_token(db.session, token=token), {"token": token}


def _own_order(number: str) -> tuple[Order, dict]:
    order = find_order(db.session, number=number)
    if order is None or order.user_id != current_user.id:
        abort(404)
    return order, {"number": number}


@bp.get("/reviews/<token>")
def write(token: str):
    try:
        return _overview(*_by_link(token), "reviews.write_line")
    except services.ReviewLinkInvalid as error:
        return _link_refused(error)


@bp.route("/reviews/<token>/items/<int:line_id>", methods=["GET", "POST"])
def write_line(token: str, line_id: int):
    try:
        return _review_form(*_by_link(token), line_id, "reviews.write")
    except services.ReviewLinkInvalid as error:
        return _link_refused(error)


@bp.get("/account/orders/<number>/reviews")
@login_required
def order_reviews(number: str):
    return _overview(*_own_order(number), "reviews.order_review_line")


@bp.route("/account/orders/<number>/reviews/items/<int:line_id>", methods=["GET", "POST"])
@login_required
def order_review_line(number: str, line_id: int):
    return _review_form(*_own_order(number), line_id, "reviews.order_reviews")


def _overview(order: Order, address: dict, line_endpoint: str):
    return render_template("reviews/order.html", order=order, open=services.can_review(order),
                           items=services.reviewable_lines(db.session, order=order),
                           address=address, line_endpoint=line_endpoint)


def _review_form(order: Order, address: dict, line_id: int, overview_endpoint: str):
    try:
        item = services.line_to_review(db.session, order=order, line_id=line_id)
    except services.ReviewError as error:
        flash(str(error), "error")
        return redirect(url_for(overview_endpoint, **address), code=303)
    if request.method == "POST" and item.review is not None:  # a second tab, or a double click that lost the race
        flash(services.ALREADY_REVIEWED, "error")
        return redirect(url_for(overview_endpoint, **address), code=303)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            review = services.submit_review(
                db.session, order=order, line_id=line_id, rating=form.rating.data, title=form.title.data,
                body=form.body.data, first_name=form.first_name.data or "", city=form.city.data or "")
        except services.ReviewError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            held = not review.is_published
            commit_then_send(db.session)
            flash("Thank you. Your review is on hold: we have emailed you why." if held
                  else "Thank you. Your review is published.", "success")
        return redirect(url_for(overview_endpoint, **address), code=303)
    return render_template("reviews/form.html", form=form, order=order, item=item,
                           back=url_for(overview_endpoint, **address))


def _link_refused(error: services.ReviewError):
    return render_template("errors/error.html", code=400, title="This review link can't be used",
                           message=str(error)), 400
