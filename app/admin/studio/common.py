"""What the studio's routes share: their URLs (one rule per kind of item), forms and audit."""
from __future__ import annotations

from flask import url_for
from flask_login import current_user
from sqlalchemy import select

from app.admin import bp
from app.admin.services import audit
from app.admin.studio.forms import ArticleForm, HomeForm, PageForm, ProductCopyForm, VersionedForm
from app.catalog.models import Product
from app.claims import Finding
from app.content.models import Article
from app.extensions import db
from app.studio.items import readable

PLURALS = {"product": "products", "article": "articles", "page": "pages", "home": "home"}
FORMS: dict[str, type[VersionedForm]] = {"product": ProductCopyForm, "article": ArticleForm, "page": PageForm,
                                         "home": HomeForm}


def studio_route(path: str, kinds: tuple[str, ...] = tuple(PLURALS), **options):
    """Register the view at /admin/content/<kind plural>/<id><path> for each kind of item."""

    def decorate(view):
        for kind in kinds:
            plural = PLURALS[kind]
            bp.add_url_rule(f"/content/{plural}/<int:object_id>{path}", view_func=view, defaults={"kind": kind},
                            **options)
        return view

    return decorate


def editor_url(kind: str, object_id: int) -> str:
    return url_for("admin.studio_edit", kind=kind, object_id=object_id)


def editor_form(kind: str) -> VersionedForm:
    """The kind's form, its checkbox lists filled with what may be linked."""
    form = FORMS[kind]()
    if kind == "product":
        form.articles.choices = [tuple(row) for row in db.session.execute(
            select(Article.slug, Article.title).order_by(Article.position, Article.title))]
    elif kind in ("article", "home"):
        (form.products if kind == "article" else form.featured).choices = [tuple(row) for row in db.session.execute(
            select(Product.slug, Product.name).order_by(Product.position, Product.name))]
    return form


def audit_copy(action: str, kind: str, object_id: int, before: dict | None, after: dict | None) -> None:
    """An audit entry whose before and after are the changed fields as readable text."""
    audit(db.session, actor=current_user, action=action, obj_type=kind, obj_id=object_id,
          before=readable(kind, before), after=readable(kind, after))


def show_findings(form: VersionedForm, findings: dict[str, list[Finding]]) -> None:
    """Each refused field's claims, its reason and a safer wording, as that field's error."""
    for name, found in findings.items():
        form[name].errors = [*form[name].errors, *(
            f"\u201c{', '.join(finding.words)}\u201d: {finding.rule.reason} Safer: {finding.rule.safer}"
            for finding in found)]
