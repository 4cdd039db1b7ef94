"""Reading and saving Learn articles and information pages."""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from urllib.parse import urlsplit

from sqlalchemy import Executable, Row, bindparam, delete, select
from sqlalchemy.orm import Session, aliased

from app.catalog.models import Product
from app.catalog.services import ALL_PRODUCT_CARDS, ProductCard, product_cards_from_json
from app.content.models import Article, ContentRedirect, Page, article_products
from app.db import Reader, json_list, read_rows
from app.markup import render_markdown


class ContentError(Exception):
    """Content that cannot be saved as it is; the message is written for staff."""


class ContentNotFound(ContentError):
    pass


def checked_sources(sources: list[dict]) -> list[dict]:
    """Sources become links on the page, so only web addresses are accepted (a DOI becomes one)."""
    checked = []
    for source in sources:
        if not source.get("title"):
            raise ContentError("Every source needs a title.")
        url = source.get("url", "")
        if url and urlsplit(url).scheme not in ("http", "https"):
            raise ContentError(f"Source links must start with http:// or https:// ({url!r}).")
        doi = str(source.get("doi") or "").strip()
        if doi and not DOI.match(doi):
            raise ContentError(f"A DOI starts with 10. and has a slash, as in 10.1000/xyz123 ({doi!r}).")
        checked.append({key: value for key, value in source.items() if value not in ("", None)})
    return checked


DOI = re.compile(r"^10\.\d{4,9}/\S+$")


# Built once, as storefront pages run them on every request (see catalog/services.py).
# Lists show a title and a summary, so they read plain rows rather than whole articles.
_SUMMARY_COLUMNS = (Article.slug, Article.title, Article.summary, Article.reviewed_on, Article.reviewed_by)
_PUBLISHED_ARTICLES = (
    select(*_SUMMARY_COLUMNS).where(Article.is_published.is_(True)).order_by(Article.position, Article.title)
)
# The first three in reading order, as home shows them (read as JSON: no date column, see json_rows).
HOME_ARTICLES = _PUBLISHED_ARTICLES.with_only_columns(
    Article.slug, Article.title, Article.summary, Article.position
).limit(3)
_linked = aliased(Article)  # the article whose products are shown, found again by its slug
# Pages show the cached HTML, never the Markdown it was made from. The article's product cards
# come in its row (app.db.json_list), saving PostgreSQL a round trip.
_ARTICLE_BY_SLUG = select(
    Article.id, *_SUMMARY_COLUMNS, Article.body_html, Article.sources,
    json_list(ALL_PRODUCT_CARDS.where(Product.id.in_(
        select(article_products.c.product_id)
        .join(_linked, _linked.id == article_products.c.article_id)
        .where(_linked.slug == bindparam("slug"))
    ))).label("products"),
).where(Article.slug == bindparam("slug"), Article.is_published.is_(True))
_PAGES = select(Page.slug, Page.title).order_by(Page.title)
_PAGE_BY_SLUG = select(Page.slug, Page.title, Page.summary, Page.body_html, Page.updated_at, Page.effective_on).where(
    Page.slug == bindparam("slug")
)


def list_articles(reader: Reader) -> Sequence[Row]:
    """Published articles as rows of slug, title, summary and reviewed_on."""
    return read_rows(reader, _PUBLISHED_ARTICLES)


def _one_by_slug(reader: Reader, statement: Executable, slug: str) -> Row:
    rows = read_rows(reader, statement, {"slug": slug})
    if not rows:
        raise ContentNotFound(slug)
    return rows[0]


def get_article(reader: Reader, *, slug: str) -> tuple[Row, list[ProductCard]]:
    """A published article as its page shows it, and cards for the products it links to."""
    article = _one_by_slug(reader, _ARTICLE_BY_SLUG, slug)
    return article, product_cards_from_json(article.products)


def list_pages(reader: Reader) -> Sequence[Row]:
    """Information pages as rows of slug and title."""
    return read_rows(reader, _PAGES)


def get_page(reader: Reader, *, slug: str) -> Row:
    """An information page (shipping, returns...) as it is shown."""
    return _one_by_slug(reader, _PAGE_BY_SLUG, slug)


def _by_slug(session: Session, model, slug: str):
    """The row with this slug, or a new one added to the session."""
    row = session.scalars(select(model).where(model.slug == slug)).first()
    if row is None:
        row = model(slug=slug)
        session.add(row)
    return row


def save_article(
    session: Session,
    *,
    slug: str,
    title: str,
    summary: str,
    body_markdown: str,
    sources: list[dict],
    reviewed_on: date,
    position: int = 0,
    product_slugs: list[str] = (),
) -> Article:
    """Create or update an article by slug, caching its sanitised HTML."""
    article = _by_slug(session, Article, slug)
    article.title = title
    article.summary = summary
    article.body_markdown = body_markdown
    article.body_html = render_markdown(body_markdown)
    article.sources = checked_sources(sources)
    article.reviewed_on = reviewed_on
    article.position = position
    article.products = list(
        session.scalars(select(Product).where(Product.slug.in_(product_slugs)))
    )
    session.flush()
    return article


def save_page(session: Session, *, slug: str, title: str, summary: str, body_markdown: str) -> Page:
    page = _by_slug(session, Page, slug)
    page.title = title
    page.summary = summary
    page.body_markdown = body_markdown
    page.body_html = render_markdown(body_markdown)
    session.flush()
    return page


# Articles and pages keep their old slugs, as products do (app.catalog.services.check_slug_free).
MODELS = {"article": Article, "page": Page}
PATHS = {"article": "/learn/", "page": "/pages/"}


def check_slug_free(session: Session, *, kind: str, slug: str, object_id: int | None) -> None:
    """Refuse a slug another article (or page) uses, or one that still forwards to another."""
    model = MODELS[kind]
    owner = session.scalars(select(model.id).where(model.slug == slug)).first()
    moved = session.scalars(select(ContentRedirect.object_id).where(
        ContentRedirect.kind == kind, ContentRedirect.old_slug == slug)).first()
    if owner is not None and owner != object_id:
        raise ContentError(f"Another {kind} already uses the address {PATHS[kind]}{slug}.")
    if moved is not None and moved != object_id:
        raise ContentError(f"The address {PATHS[kind]}{slug} was another {kind}'s and still forwards there, "
                           "so links to it keep working. Choose another address.")


def move_slug(session: Session, *, kind: str, row: Article | Page, slug: str) -> None:
    """Give an article or page a new slug, its current one kept as a redirect to it."""
    if row.slug == slug:
        return
    check_slug_free(session, kind=kind, slug=slug, object_id=row.id)
    session.execute(delete(ContentRedirect).where(ContentRedirect.kind == kind, ContentRedirect.old_slug == slug))
    if row.slug:
        session.add(ContentRedirect(kind=kind, old_slug=row.slug, object_id=row.id))
    row.slug = slug


_MOVED = {
    kind: select(model.slug).join(ContentRedirect, ContentRedirect.object_id == model.id)
    .where(ContentRedirect.kind == kind, ContentRedirect.old_slug == bindparam("slug"))
    for kind, model in MODELS.items()
}
_MOVED["article"] = _MOVED["article"].where(Article.is_published.is_(True))  # else its old address is a 404 too


def moved_slug(reader: Reader, *, kind: str, slug: str) -> str | None:
    """The current slug of the article or page that had this one, asked only after a miss."""
    rows = read_rows(reader, _MOVED[kind], {"slug": slug})
    return rows[0].slug if rows else None


def publish_article(session: Session, *, article: Article, fields: dict) -> None:
    """Make these fields (a studio revision's) the article's public text, and publish it."""
    move_slug(session, kind="article", row=article, slug=fields["slug"])
    article.title, article.summary = fields["title"], fields["summary"]
    article.body_markdown = fields["body"]
    article.body_html = render_markdown(fields["body"])
    article.sources = checked_sources(fields["sources"])
    article.reviewed_on = date.fromisoformat(fields["reviewed_on"])
    article.reviewed_by = fields["reviewed_by"]
    article.products = list(session.scalars(select(Product).where(Product.slug.in_(fields["products"]))))
    article.is_published = True
    session.flush()


def publish_page(session: Session, *, page: Page, fields: dict) -> None:
    """Make these fields (a studio revision's) the page's public text."""
    move_slug(session, kind="page", row=page, slug=fields["slug"])
    page.title, page.summary = fields["title"], fields["summary"]
    page.body_markdown = fields["body"]
    page.body_html = render_markdown(fields["body"])
    page.effective_on = date.fromisoformat(fields["effective_on"]) if fields.get("effective_on") else None
    session.flush()
