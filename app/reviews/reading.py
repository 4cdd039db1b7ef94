"""Published reviews as a product's page shows them, read inside the page's own query."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from operator import attrgetter

from sqlalchemy import ColumnElement, ScalarSelect, select
from sqlalchemy.orm import aliased

from app.db import json_rows
from app.reviews.models import Review, ReviewStatus

PAGE_REVIEWS = 10  # the newest; the count and average cover them all


def newest_reviews(product_id: ColumnElement[int]) -> ScalarSelect:
    """A product's newest published reviews as a JSON array, a column of the product page's row."""
    shown = aliased(Review)  # its own name, so the inner query is not correlated to the outer reviews
    # Correlated two levels up, to the product's row: by default only to the level just above.
    newest = (select(shown.id).where(shown.product_id == product_id, shown.status == ReviewStatus.published)
              .order_by(shown.published_on.desc(), shown.id.desc()).limit(PAGE_REVIEWS).correlate_except(shown))
    return select(json_rows(
        Review.id, Review.rating, Review.title, Review.body, Review.first_name, Review.city, Review.variant_label,
        Review.published_on, Review.reply, Review.replied_on,
    )).where(Review.product_id == product_id, Review.id.in_(newest)).scalar_subquery()


@dataclass(slots=True)
class ShownReview:
    id: int
    rating: int
    title: str
    body: str
    first_name: str
    city: str
    variant_label: str
    published_on: date
    reply: str
    replied_on: date | None

    @property
    def author(self) -> str:
        """How the reviewer is named: what they chose to give, else as what they are."""
        if self.first_name and self.city:
            return f"{self.first_name}, {self.city}"
        return self.first_name or (f"A buyer in {self.city}" if self.city else "A verified buyer")


@dataclass(slots=True)
class ProductReviews:
    count: int
    total: int
    newest: list[ShownReview]

    @property
    def average(self) -> float:
        return round(self.total / self.count, 1) if self.count else 0.0


def product_reviews(*, count: int, total: int, rows: list[dict] | None) -> ProductReviews:
    """From the page's row: the counts kept on the product, and the newest reviews' JSON."""
    newest = [ShownReview(**{**row, "published_on": date.fromisoformat(row["published_on"]),
                             "replied_on": date.fromisoformat(row["replied_on"]) if row["replied_on"] else None})
              for row in rows or []]
    newest.sort(key=attrgetter("published_on", "id"), reverse=True)
    return ProductReviews(count=count, total=total, newest=newest)
