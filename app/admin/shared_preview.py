"""The public end of a "share preview" link: a revision read without an account, for 7 days."""
from flask import Blueprint, abort, current_app

from app.admin.studio.preview import NothingToPreview, render_preview
from app.caching import keep_no_copies
from app.extensions import db
from app.studio.models import Revision
from app.studio.share import ShareLinkInvalid, revision_id_from

bp = Blueprint("preview", __name__)
keep_no_copies(bp)  # a draft: no shared cache may keep it


@bp.get("/preview/<token>")
def shared(token: str):
    try:
        revision = db.session.get(Revision, revision_id_from(current_app.config["SECRET_KEY"], token))
    except ShareLinkInvalid as error:
        abort(404, description=str(error))
    if revision is None:
        abort(404)
    try:
        html = render_preview(revision, label=f"Shared preview of a draft (revision {revision.number}): not public.")
    except NothingToPreview:
        abort(404)
    return html
