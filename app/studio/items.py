"""What the studio edits: for each kind of item, its fields, its public text now, and how a
revision's fields become public (through the owning package's own save)."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from app.catalog import services as catalog
from app.catalog.models import Product
from app.content import services as content
from app.content.models import Article, Page, article_products
from app.core.models import HomePage

# Field name -> label, in the order the editor shows them. Lists (sources, related items) are
# kept as lists; everything else is text.
PRODUCT_FIELDS = {
    "name": "Name", "slug": "Web address (slug)", "summary": "Summary", "description": "Description",
    "ingredients": "Ingredients (INCI)", "directions": "How to use", "warnings": "Warnings",
    "seo_title": "SEO title", "seo_description": "SEO description", "articles": "Related Learn articles",
}
ARTICLE_FIELDS = {
    "title": "Title", "slug": "Web address (slug)", "summary": "Summary", "body": "Body",
    "sources": "Sources", "reviewed_on": "Last reviewed", "reviewed_by": "Reviewed by",
    "products": "Related products",
}
HOME_FIELDS = {"eyebrow": "Line above the heading", "title": "Heading", "lead": "Introduction",
               "featured": "Featured products"}
PAGE_FIELDS = {"title": "Title", "slug": "Web address (slug)", "summary": "Summary", "body": "Body",
               "effective_on": "Effective from"}


@dataclass(frozen=True)
class Kind:
    name: str  # "product", "article", "page"
    model: type
    fields: dict[str, str]
    live: Callable[[Session, object], dict]  # the public text, as revision fields
    apply: Callable[[Session, object, dict], None]  # make a revision's fields the public text
    check_slug: Callable[[Session, int, str], None] | None
    long_text: tuple[str, ...] = ()  # fields the claims check reads as articles
    product_copy: tuple[str, ...] = ()  # fields held to the product rules (a drug claim is refused)


def _product_live(session: Session, product: Product) -> dict:
    linked = select(Article.slug).join(article_products).where(article_products.c.product_id == product.id)
    return {"name": product.name, "slug": product.slug, "summary": product.summary,
            "description": product.description_markdown, "ingredients": product.ingredients,
            "directions": product.directions_markdown, "warnings": product.warnings_markdown,
            "seo_title": product.seo_title, "seo_description": product.seo_description,
            "articles": sorted(session.scalars(linked))}


def _product_apply(session: Session, product: Product, fields: dict) -> None:
    copy = {name: fields[name] for name in PRODUCT_FIELDS if name not in ("slug", "articles")}
    catalog.save_product(session, slug=fields["slug"], product_id=product.id, **copy)
    session.execute(delete(article_products).where(article_products.c.product_id == product.id))
    article_ids = list(session.scalars(select(Article.id).where(Article.slug.in_(fields["articles"]))))
    if article_ids:
        session.execute(insert(article_products), [{"article_id": article_id, "product_id": product.id}
                                                   for article_id in article_ids])
    session.flush()


def _article_live(session: Session, article: Article) -> dict:
    return {"title": article.title, "slug": article.slug, "summary": article.summary, "body": article.body_markdown,
            "sources": [dict(source) for source in article.sources or []],
            "reviewed_on": article.reviewed_on.isoformat(), "reviewed_by": article.reviewed_by,
            "products": sorted(product.slug for product in article.products)}


def _page_live(session: Session, page: Page) -> dict:
    return {"title": page.title, "slug": page.slug, "summary": page.summary, "body": page.body_markdown,
            "effective_on": page.effective_on.isoformat() if page.effective_on else ""}


def _home_live(session: Session, home: HomePage) -> dict:
    featured = select(Product.slug).where(Product.is_featured.is_(True)).order_by(Product.slug)
    return {"eyebrow": home.eyebrow, "title": home.title, "lead": home.lead, "featured": list(session.scalars(featured))}


def _home_apply(session: Session, home: HomePage, fields: dict) -> None:
    home.eyebrow, home.title, home.lead = fields["eyebrow"], fields["title"], fields["lead"]
    session.execute(update(Product).values(is_featured=Product.slug.in_(fields["featured"])))
    session.flush()


KINDS = {
    "product": Kind("product", Product, PRODUCT_FIELDS, _product_live, _product_apply,
                    lambda session, object_id, slug: catalog.check_slug_free(session, slug=slug, product_id=object_id),
                    product_copy=catalog.PRODUCT_COPY),
    "article": Kind("article", Article, ARTICLE_FIELDS, _article_live,
                    lambda session, article, fields: content.publish_article(session, article=article, fields=fields),
                    lambda session, object_id, slug: content.check_slug_free(
                        session, kind="article", slug=slug, object_id=object_id),
                    long_text=("summary", "body")),
    "page": Kind("page", Page, PAGE_FIELDS, _page_live,
                 lambda session, page, fields: content.publish_page(session, page=page, fields=fields),
                 lambda session, object_id, slug: content.check_slug_free(
                     session, kind="page", slug=slug, object_id=object_id),
                 long_text=("summary", "body")),
    # The hero sits above the featured products, so it is held to what product copy may say.
    "home": Kind("home", HomePage, HOME_FIELDS, _home_live, _home_apply, None,
                 product_copy=("eyebrow", "title", "lead")),
}


def readable(kind: str, fields: dict | None) -> dict | None:
    """Fields as the audit log shows them: each under its label, as text."""
    if fields is None:
        return None
    labels = KINDS[kind].fields
    return {labels.get(name, name): text_of(value) for name, value in fields.items()}


def text_of(value) -> str:
    """A field's value as the text a diff or the audit log shows."""
    if isinstance(value, list):
        return "\n".join(_source_line(item) if isinstance(item, dict) else str(item) for item in value)
    return "" if value is None else str(value)


def _source_line(source: dict) -> str:
    parts = [source.get("authors"), source.get("title"), source.get("publisher"), source.get("year"),
             source.get("url"), f"doi:{source['doi']}" if source.get("doi") else None]
    return ". ".join(str(part) for part in parts if part)
