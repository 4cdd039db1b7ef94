"""Publishing the newest draft now or at a set time, cancelling a schedule, unpublishing an article."""
from __future__ import annotations

from flask import current_app, flash, redirect, request
from flask_login import current_user

from app.admin.studio.common import audit_copy, editor_url, studio_route
from app.admin.studio.forms import ActionForm, PublishForm
from app.dates import from_shop_time, to_shop_time
from app.db import utcnow
from app.extensions import db
from app.forms import flash_form_errors
from app.security import role_required
from app.studio import publishing, revisions
from app.studio.items import KINDS


@studio_route("/publish", methods=["POST"], endpoint="studio_publish")
@role_required("marketing")
def studio_publish(kind: str, object_id: int):
    """Publish (or schedule) the revision the editor was looking at, if it is still the newest."""
    db.get_or_404(KINDS[kind].model, object_id)
    form = PublishForm()
    form.acknowledge.choices = [(rule_id, rule_id) for rule_id in request.form.getlist("acknowledge")]
    if not form.validate_on_submit():
        flash_form_errors(form)
        return redirect(editor_url(kind, object_id), code=303)
    now = utcnow()
    try:
        revision = revisions.latest(db.session, kind=kind, object_id=object_id)
        if revision is None or revision.number != form.version.data:
            raise revisions.StudioError("The draft changed since you opened it: check the newest revision, then "
                                        "publish again.")
        publishing.acknowledge(db.session, revision=revision, rule_ids=form.acknowledge.data or [],
                               actor=current_user, now=now)
        if "schedule" in request.form:
            if form.publish_at.data is None:
                raise revisions.StudioError("Choose the date and time to publish at.")
            at = from_shop_time(form.publish_at.data)
            publishing.schedule(db.session, revision=revision, actor_email=current_user.email, at=at, now=now)
            audit_copy(f"{kind}.schedule", kind, object_id, None, {"revision": revision.number,
                                                                   "publish_at": at.isoformat()})
            message = (f"Revision {revision.number} will be published at {to_shop_time(at):%Y-%m-%d %H:%M} "
                       f"({current_app.config['SHOP_TIMEZONE']}).")
        else:
            published = publishing.publish(db.session, revision=revision, actor_email=current_user.email, now=now)
            audit_copy(f"{kind}.publish", kind, object_id, published.before, published.after)
            message = f"Revision {revision.number} is published."
        db.session.commit()
    except revisions.StudioError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        flash(message, "success")
    return redirect(editor_url(kind, object_id), code=303)


@studio_route("/schedule/cancel", methods=["POST"], endpoint="studio_cancel_schedule")
@role_required("marketing")
def studio_cancel_schedule(kind: str, object_id: int):
    db.get_or_404(KINDS[kind].model, object_id)
    revision = revisions.latest(db.session, kind=kind, object_id=object_id)
    if ActionForm().validate_on_submit() and revision is not None and revision.publish_at is not None:
        publishing.cancel_schedule(db.session, revision=revision)
        audit_copy(f"{kind}.unschedule", kind, object_id, {"revision": revision.number}, None)
        db.session.commit()
        flash("The scheduled publication is cancelled; the draft is kept.", "success")
    return redirect(editor_url(kind, object_id), code=303)


# Products are taken off sale by an admin (admin.product_edit); policy pages always exist.
@studio_route("/unpublish", kinds=("article",), methods=["POST"], endpoint="studio_unpublish")
@role_required("marketing")
def studio_unpublish(kind: str, object_id: int):
    db.get_or_404(KINDS[kind].model, object_id)
    if ActionForm().validate_on_submit():
        publishing.unpublish(db.session, article_id=object_id)
        audit_copy("article.unpublish", kind, object_id, {"status": "published"}, {"status": "unpublished"})
        db.session.commit()
        flash("The article is unpublished: its address is now a 404 for the public.", "success")
    return redirect(editor_url(kind, object_id), code=303)
