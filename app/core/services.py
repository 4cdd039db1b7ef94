"""What the home page shows, read in one query."""
from __future__ import annotations

from sqlalchemy import select

from app.catalog.services import FEATURED_PRODUCT_CARDS, ProductCard, product_cards_from_json
from app.content.cards import ArticleLink, article_links_from_json
from app.content.services import HOME_ARTICLES
from app.db import Reader, json_list, read_rows

# Both lists as JSON columns of one row: one round trip instead of two.
_HOME_PAGE = select(
    json_list(FEATURED_PRODUCT_CARDS).label("products"),
    json_list(HOME_ARTICLES).label("articles"),
)


def home_page(reader: Reader) -> tuple[list[ProductCard], list[ArticleLink]]:
    """The featured products' cards and the first three Learn articles in reading order."""
    row = read_rows(reader, _HOME_PAGE)[0]
    return product_cards_from_json(row.products), article_links_from_json(row.articles)
