"""Article cards read as JSON inside another page's query (`app.db.json_list`).

Apart from app.content.services so that the product page can use them: the services import the
catalogue, whose pages import this.
"""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter


@dataclass(slots=True)
class ArticleLink:
    """An article card read inside another page's query (`app.db.json_list`)."""

    slug: str
    title: str
    summary: str


def article_links_from_json(articles: list[dict]) -> list[ArticleLink]:
    """Cards from a JSON list of articles with their slug, title, summary and position, in list order."""
    ordered = sorted(articles, key=itemgetter("position", "title"))
    return [ArticleLink(article["slug"], article["title"], article["summary"]) for article in ordered]
