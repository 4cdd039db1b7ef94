"""The studio's editor: open an item's newest draft, save it as a revision, create an article."""
from __future__ import annotations

from flask import flash, redirect, render_template, request
from flask_login import current_user

from app.admin import bp
from app.admin.studio.common import audit_copy, editor_form, editor_url, show_findings, studio_route
from app.admin.studio.forms import ActionForm, NewArticleForm, PublishForm
from app.claims import rules
from app.db import utcnow
from app.extensions import db
from app.forms import flash_form_errors
from app.reviews.services import review_counts
from app.security import role_required
from app.studio import dashboard as studio_dashboard
from app.studio import publishing, revisions
from app.studio.diff import compare
from app.studio.items import KINDS


@bp.get("/content")
@role_required("marketing")
def content():
    return render_template("admin/studio/dashboard.html", board=studio_dashboard.board(db.session, today=utcnow().date()),
                           review_counts=review_counts(db.session))


@bp.get("/content/rules")
@role_required("marketing")
def studio_rules():
    return render_template("admin/studio/rules.html", rules=rules())


@studio_route("", methods=["GET", "POST"], endpoint="studio_edit")
@role_required("marketing")
def studio_edit(kind: str, object_id: int):
    item = db.get_or_404(KINDS[kind].model, object_id)
    draft = revisions.current_draft(db.session, kind=kind, object_id=object_id)
    form, theirs, conflict = editor_form(kind), None, []
    if request.method == "GET":
        form.fill(draft.fields)
        form.version.data = draft.version
    elif form.validate_on_submit():
        try:
            revision = revisions.save_draft(db.session, kind=kind, object_id=object_id, fields=form.copy_fields(),
                                            base_version=form.version.data, author=current_user, note=form.note.data)
            audit_copy(f"{kind}.draft", kind, object_id, draft.fields, revision.fields)
            db.session.commit()
        except revisions.EditConflict as error:
            db.session.rollback()
            theirs = error.theirs
            conflict = compare(kind, theirs.fields, form.copy_fields())
            form.version.data, form.version.raw_data = theirs.number, [str(theirs.number)]  # save on top of theirs next
            flash(str(error), "error")
        except revisions.CopyRefused as error:
            db.session.rollback()
            show_findings(form, error.findings)
            flash(str(error), "error")
        except revisions.StudioError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash(f"Draft saved as revision {revision.number}. The public page is unchanged until you publish.",
                  "success")
            return redirect(editor_url(kind, object_id), code=303)
    else:  # each message is shown beside its field (sources' too, which nest a form per source)
        flash("Nothing was saved: see the notes beside the fields.", "error")
    warnings = publishing.warnings_for(db.session, draft.revision) if draft.revision else []
    return render_template("admin/studio/edit.html", kind=kind, item=item, form=form, draft=draft, theirs=theirs,
                           conflict=conflict, warnings=warnings, publish_form=_publish_form(draft, warnings),
                           action_form=ActionForm())


def _publish_form(draft: revisions.Draft, warnings: list) -> PublishForm:
    """Publish or schedule the draft, with a box per claims warning (ticked once acknowledged)."""
    form = PublishForm(formdata=None, version=draft.version)
    form.acknowledge.choices = list(dict.fromkeys((finding.rule.id, finding.rule.id) for finding in warnings))
    if draft.revision is not None:
        form.acknowledge.data = sorted({entry["rule"] for entry in draft.revision.acknowledgements or []})
    return form


@bp.route("/content/articles/new", methods=["GET", "POST"])
@role_required("marketing")
def studio_new_article():
    form = NewArticleForm()
    if form.validate_on_submit():
        try:
            article = studio_dashboard.create_article(db.session, title=form.title.data, slug=form.slug.data,
                                                      author=current_user, today=utcnow().date())
            audit_copy("article.create", "article", article.id, None, {"title": article.title, "slug": article.slug})
            db.session.commit()
        except revisions.StudioError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            flash("Article created as an unpublished draft: write it, then publish.", "success")
            return redirect(editor_url("article", article.id), code=303)
    elif request.method == "POST":
        flash_form_errors(form)
    return render_template("admin/studio/new_article.html", form=form)


