"""The search index: one row per listed product and published article, with its words as plain text.

The table (`search_documents`) is made by migration 0009 and differs by database: an FTS5 virtual
table on SQLite; on PostgreSQL a table with a weighted `tsvector` column and a trigram index, both
generated from the text columns. So it is not in the models' metadata (`migrations/env.py` leaves
it and FTS5's shadow tables out of autogenerate); both share the columns written here.

Rows are rewritten in the transaction that changes the copy: a flush that adds, changes or deletes
a product, variant or article rewrites its document (`_reindex_flushed_copy`), so every service
that saves copy keeps the index current without knowing search exists (the catalogue and content
packages sit below this one and may not import it).
"""
from __future__ import annotations

import html
import re
from collections.abc import Collection, Iterable

from sqlalchemy import Connection, Integer, Text, and_, column, delete, event, func, insert, select, table, true
from sqlalchemy import inspect as inspect_instance
from sqlalchemy.orm import Session

from app.catalog.models import Product, Variant
from app.content.models import Article

documents = table(
    "search_documents",
    column("kind", Text), column("ref_id", Integer), column("slug", Text), column("title", Text),
    column("keywords", Text), column("summary", Text), column("body", Text),
)

PRODUCT, ARTICLE = "product", "article"

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def plain_text(stored_html: str) -> str:
    """The words of HTML the shop rendered and sanitised itself (app.markup), for indexing only:
    what is shown is escaped again (app.search.highlight)."""
    return _SPACE.sub(" ", html.unescape(_TAG.sub(" ", stored_html))).strip()


def _product_rows(connection: Connection, ids: Collection[int] | None) -> list[dict]:
    scents = (
        select(func.group_concat(Variant.scent.distinct()) if connection.dialect.name == "sqlite"
               else func.string_agg(Variant.scent.distinct(), " "))
        .where(Variant.product_id == Product.id, Variant.is_active.is_(True))
        .scalar_subquery()
    )
    query = select(Product.id, Product.slug, Product.name, Product.summary, Product.description_html,
                   Product.ingredients, scents.label("scents")).where(Product.is_active.is_(True))
    if ids is not None:
        query = query.where(Product.id.in_(ids))
    return [
        {"kind": PRODUCT, "ref_id": row.id, "slug": row.slug, "title": row.name,
         "keywords": (row.scents or "").replace(",", " "), "summary": row.summary,
         "body": f"{plain_text(row.description_html)} {row.ingredients}".strip()}
        for row in connection.execute(query)
    ]


def _article_rows(connection: Connection, ids: Collection[int] | None) -> list[dict]:
    query = select(Article.id, Article.slug, Article.title, Article.summary, Article.body_html).where(
        Article.is_published.is_(True))
    if ids is not None:
        query = query.where(Article.id.in_(ids))
    return [
        {"kind": ARTICLE, "ref_id": row.id, "slug": row.slug, "title": row.title, "keywords": "",
         "summary": row.summary, "body": plain_text(row.body_html)}
        for row in connection.execute(query)
    ]


def reindex(connection: Connection, *, product_ids: Collection[int] | None = None,
            article_ids: Collection[int] | None = None) -> None:
    """Rewrite the documents of these products and articles (None: all of that kind). One that
    is inactive, unpublished or gone is left out, so search never finds it."""
    for kind, ids, rows in ((PRODUCT, product_ids, _product_rows), (ARTICLE, article_ids, _article_rows)):
        if ids is not None and not ids:
            continue
        selected = documents.c.ref_id.in_(ids) if ids is not None else true()
        connection.execute(delete(documents).where(and_(documents.c.kind == kind, selected)))
        fresh = rows(connection, ids)
        if fresh:
            connection.execute(insert(documents), fresh)


# The columns whose change alters what a document says or whether it is listed.
_PRODUCT_COPY = ("slug", "name", "summary", "description_html", "ingredients", "is_active")
_VARIANT_COPY = ("scent", "is_active", "product_id")
_ARTICLE_COPY = ("slug", "title", "summary", "body_html", "is_published")


def _changed(instance: object, names: Iterable[str]) -> bool:
    attrs = inspect_instance(instance).attrs
    return any(attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _reindex_flushed_copy(session: Session, _flush_context) -> None:
    # after_flush still sees the flush's new/dirty/deleted sets and attribute history (documented),
    # while the rows it reads back are already written.
    products: set[int] = set()
    articles: set[int] = set()
    for instance in (*session.new, *session.deleted):
        if isinstance(instance, Product):
            products.add(instance.id)
        elif isinstance(instance, Variant):
            products.add(instance.product_id)
        elif isinstance(instance, Article):
            articles.add(instance.id)
    for instance in session.dirty:
        if isinstance(instance, Product) and _changed(instance, _PRODUCT_COPY):
            products.add(instance.id)
        elif isinstance(instance, Variant) and _changed(instance, _VARIANT_COPY):
            products.add(instance.product_id)
            products.update(inspect_instance(instance).attrs["product_id"].history.deleted or ())
        elif isinstance(instance, Article) and _changed(instance, _ARTICLE_COPY):
            articles.add(instance.id)
    products.discard(None)  # type: ignore[arg-type]
    if products or articles:
        reindex(session.connection(), product_ids=products, article_ids=articles)


def outside_the_models(obj, name: str | None, type_: str, reflected: bool, compare_to) -> bool:
    """Alembic's include_object (migrations/env.py, tests/test_migrations.py): False for the search
    index, its indexes and FTS5's shadow tables (search_documents_data...), which the migration
    makes per database and the models do not describe, so autogenerate never proposes dropping them."""
    table_name = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", "")
    return not (reflected and compare_to is None and (table_name or "").startswith(documents.name))
