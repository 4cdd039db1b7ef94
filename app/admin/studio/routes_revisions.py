"""Revisions: the list, a diff of any two, restoring one as a new draft, previews and share links."""
from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from app.admin.studio.common import audit_copy, editor_url, studio_route
from app.admin.studio.forms import ActionForm
from app.admin.studio.preview import NothingToPreview, render_preview
from app.extensions import db
from app.inputs import page_number
from app.security import role_required
from app.studio import revisions
from app.studio.diff import compare
from app.studio.items import KINDS
from app.studio.share import SHARE_DAYS, share_token


def _item_or_404(kind: str, object_id: int):
    return db.get_or_404(KINDS[kind].model, object_id)


def _revision_or_404(kind: str, object_id: int, number: int):
    try:
        return revisions.get_revision(db.session, kind=kind, object_id=object_id, number=number)
    except revisions.StudioError:
        abort(404)


@studio_route("/revisions", endpoint="studio_revisions")
@role_required("marketing")
def studio_revisions(kind: str, object_id: int):
    item = _item_or_404(kind, object_id)
    history = revisions.history(db.session, kind=kind, object_id=object_id)
    return render_template("admin/studio/revisions.html", kind=kind, item=item, history=history,
                           action_form=ActionForm())


@studio_route("/revisions/diff", endpoint="studio_diff")
@role_required("marketing")
def studio_diff(kind: str, object_id: int):
    item = _item_or_404(kind, object_id)
    first = _revision_or_404(kind, object_id, request.args.get("first", 0, type=page_number))
    second = _revision_or_404(kind, object_id, request.args.get("second", 0, type=page_number))
    return render_template("admin/studio/diff.html", kind=kind, item=item, first=first, second=second,
                           fields=compare(kind, first.fields, second.fields))


@studio_route("/revisions/<int:revision>/restore", methods=["POST"], endpoint="studio_restore")
@role_required("marketing")
def studio_restore(kind: str, object_id: int, revision: int):
    _item_or_404(kind, object_id)
    if ActionForm().validate_on_submit():
        try:
            before = revisions.current_draft(db.session, kind=kind, object_id=object_id).fields
            restored = revisions.restore(db.session, kind=kind, object_id=object_id, number=revision,
                                         author=current_user)
            audit_copy(f"{kind}.restore", kind, object_id, before, restored.fields)
            db.session.commit()
            flash(f"Revision {revision} restored as the new draft (revision {restored.number}). Nothing is published "
                  "until you publish it.", "success")
        except revisions.StudioError as error:
            db.session.rollback()
            flash(str(error), "error")
    return redirect(editor_url(kind, object_id), code=303)


@studio_route("/revisions/<int:revision>/preview", endpoint="studio_preview")
@role_required("marketing")
def studio_preview(kind: str, object_id: int, revision: int):
    _item_or_404(kind, object_id)
    shown = _revision_or_404(kind, object_id, revision)
    try:
        html = render_preview(shown, label=f"Preview of revision {shown.number}: not public until published.")
    except NothingToPreview as error:
        flash(str(error), "error")
        return redirect(editor_url(kind, object_id), code=303)
    return html


@studio_route("/revisions/<int:revision>/share", methods=["POST"], endpoint="studio_share")
@role_required("marketing")
def studio_share(kind: str, object_id: int, revision: int):
    item = _item_or_404(kind, object_id)
    shared = _revision_or_404(kind, object_id, revision)
    if not ActionForm().validate_on_submit():
        abort(400)
    link = url_for("preview.shared", token=share_token(current_app.config["SECRET_KEY"], revision_id=shared.id),
                   _external=True)
    return render_template("admin/studio/share.html", kind=kind, item=item, revision=shared, link=link,
                           days=SHARE_DAYS)
