"""A revision rendered by the public templates exactly, with its draft text, marked as a preview."""
from __future__ import annotations

import dataclasses
from datetime import date
from types import SimpleNamespace

from flask import render_template
from sqlalchemy import select

from app.catalog.models import Product, render_ingredients
from app.catalog.services import product_cards
from app.content.cards import ArticleLink
from app.content.models import Article
from app.core.services import Hero, home_page
from app.db import utcnow
from app.extensions import db
from app.markup import render_markdown
from app.pages.product import ProductNotFound, choose_variant, get_product_page, render_product_page
from app.studio.models import Revision


class NothingToPreview(Exception):
    pass


def render_preview(revision: Revision, *, label: str) -> str:
    """The page as the public will see it once this revision is published."""
    return _RENDERERS[revision.kind](revision.object_id, revision.fields, label)


def _product(object_id: int, fields: dict, label: str) -> str:
    product = db.session.get(Product, object_id)
    try:
        live = get_product_page(db.session, slug=product.slug)
    except ProductNotFound:
        raise NothingToPreview("This product is not active in the shop, so it has no page to preview.") from None
    linked = db.session.execute(select(Article.slug, Article.title, Article.summary)
                                .where(Article.slug.in_(fields["articles"])).order_by(Article.position, Article.title))
    page = dataclasses.replace(
        live, slug=fields["slug"], name=fields["name"], summary=fields["summary"],
        description_html=render_markdown(fields["description"]), directions_html=render_markdown(fields["directions"]),
        warnings_html=render_markdown(fields["warnings"]), ingredients_html=render_ingredients(fields["ingredients"]),
        seo_title=fields["seo_title"], seo_description=fields["seo_description"],
        articles=[ArticleLink(row.slug, row.title, row.summary) for row in linked],
    )
    return render_product_page(page, selected=choose_variant(page), preview=label)


def _article(object_id: int, fields: dict, label: str) -> str:
    article = SimpleNamespace(
        slug=db.session.get(Article, object_id).slug, title=fields["title"], summary=fields["summary"],
        body_html=render_markdown(fields["body"]), sources=fields["sources"],
        reviewed_on=date.fromisoformat(fields["reviewed_on"]), reviewed_by=fields["reviewed_by"],
    )
    products = [card for card in product_cards(db.session) if card.slug in fields["products"]]
    return render_template("content/article.html", article=article, products=products, preview=label)


def _page(object_id: int, fields: dict, label: str) -> str:
    page = SimpleNamespace(
        slug=fields["slug"], title=fields["title"], summary=fields["summary"], body_html=render_markdown(fields["body"]),
        updated_at=utcnow(), effective_on=date.fromisoformat(fields["effective_on"]) if fields["effective_on"] else None,
    )
    return render_template("content/page.html", page=page, preview=label)


def _home(object_id: int, fields: dict, label: str) -> str:
    _, _, articles = home_page(db.session)
    hero = Hero(fields["eyebrow"], fields["title"], fields["lead"])
    products = [card for card in product_cards(db.session) if card.slug in fields["featured"]]
    return render_template("core/home.html", hero=hero, products=products, articles=articles, preview=label)


_RENDERERS = {"product": _product, "article": _article, "page": _page, "home": _home}
