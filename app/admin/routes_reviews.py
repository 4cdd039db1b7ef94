"""Moderating reviews and replying to them (marketing and admin), by the published review policy."""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin import bp, services
from app.extensions import db
from app.forms import flash_form_errors
from app.inputs import page_number
from app.mail.services import commit_then_send
from app.reviews import services as reviews
from app.reviews.forms import ModerationForm, ReplyForm
from app.reviews.models import HoldReason, Review, ReviewStatus
from app.security import role_required

PAGE_SIZE = 50


@bp.get("/reviews")
@role_required("marketing")
def review_list():
    # Held reviews first: they wait on someone. ?status= shows another list; anything unknown shows all.
    status = request.args.get("status", ReviewStatus.held.value)
    chosen = next((choice for choice in ReviewStatus if choice.value == status), None)
    page = db.paginate(reviews.reviews_for_staff(status=chosen), page=request.args.get("page", 1, type=page_number),
                       per_page=PAGE_SIZE, error_out=False)
    return render_template("admin/reviews.html", page=page, chosen=chosen, statuses=list(ReviewStatus))


@bp.get("/reviews/<int:review_id>")
@role_required("marketing")
def review_detail(review_id: int):
    review = db.get_or_404(Review, review_id)
    decision = ModerationForm(status=review.status.value, note=review.hold_detail,
                              reason=review.hold_reason.value if review.hold_reason else None)
    return render_template("admin/review.html", review=review, form=decision,
                           reply_form=ReplyForm(reply=review.reply))


@bp.post("/reviews/<int:review_id>/moderate")
@role_required("marketing")
def review_moderate(review_id: int):
    review = db.get_or_404(Review, review_id)
    form = ModerationForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.review_detail", review_id=review_id), code=303)
    before = services.snapshot(review, "status", "hold_reason", "hold_detail")
    try:
        reviews.moderate(db.session, review_id=review_id, status=ReviewStatus(form.status.data),
                         reason=HoldReason(form.reason.data) if form.reason.data else None,
                         note=form.note.data or "", actor=current_user.email)
    except reviews.ReviewError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        services.audit(db.session, actor=current_user, action="review.moderate", obj_type="review", obj_id=review_id,
                       before=before, after=services.snapshot(review, "status", "hold_reason", "hold_detail"))
        commit_then_send(db.session)
        flash(f"Review {review.status.value}; the reviewer has been emailed.", "success")
    return redirect(url_for("admin.review_detail", review_id=review_id), code=303)


@bp.post("/reviews/<int:review_id>/reply")
@role_required("marketing")
def review_reply(review_id: int):
    review = db.get_or_404(Review, review_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(url_for("admin.review_detail", review_id=review_id), code=303)
    before = services.snapshot(review, "reply")
    reviews.reply(db.session, review_id=review_id, text=form.reply.data or "")
    services.audit(db.session, actor=current_user, action="review.reply", obj_type="review", obj_id=review_id,
                   before=before, after=services.snapshot(review, "reply"))
    db.session.commit()
    flash("Reply saved." if review.reply else "Reply removed.", "success")
    return redirect(url_for("admin.review_detail", review_id=review_id), code=303)
