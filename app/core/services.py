"""What the home page shows, read in one query."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.catalog.services import FEATURED_PRODUCT_CARDS, ProductCard, product_cards_from_json
from app.content.cards import ArticleLink, article_links_from_json
from app.content.services import HOME_ARTICLES
from app.core.models import HOME_PAGE_ID, HomePage
from app.db import Reader, json_list, read_rows

# Both lists as JSON columns of one row, and the hero's copy beside them: one round trip.
_hero = select(HomePage).where(HomePage.id == HOME_PAGE_ID).subquery()
_HOME_PAGE = select(
    json_list(FEATURED_PRODUCT_CARDS).label("products"),
    json_list(HOME_ARTICLES).label("articles"),
    select(_hero.c.eyebrow).scalar_subquery().label("eyebrow"),
    select(_hero.c.title).scalar_subquery().label("title"),
    select(_hero.c.lead).scalar_subquery().label("lead"),
)


@dataclass(slots=True)
class Hero:
    eyebrow: str
    title: str
    lead: str


def home_page(reader: Reader) -> tuple[Hero, list[ProductCard], list[ArticleLink]]:
    """The hero's copy, the featured products' cards and the first three Learn articles in reading order."""
    row = read_rows(reader, _HOME_PAGE)[0]
    hero = Hero(row.eyebrow or "", row.title or "", row.lead or "")
    return hero, product_cards_from_json(row.products), article_links_from_json(row.articles)
