"""schema.org AggregateRating and Review for a product's JSON-LD: only when it has published reviews."""
from __future__ import annotations

from app.reviews.reading import ProductReviews


def review_json_ld(reviews: ProductReviews) -> dict:
    """The Product's aggregateRating and review properties; nothing without a published review
    (an empty rating is an error to search engines)."""
    if not reviews.count:
        return {}
    return {
        "aggregateRating": {
            "@type": "AggregateRating", "ratingValue": reviews.average, "reviewCount": reviews.count,
            "bestRating": 5, "worstRating": 1,
        },
        "review": [
            {
                "@type": "Review",
                "name": review.title,
                "reviewBody": review.body,
                "datePublished": review.published_on.isoformat(),
                "author": {"@type": "Person", "name": review.first_name or "Verified buyer"},
                "reviewRating": {"@type": "Rating", "ratingValue": review.rating, "bestRating": 5, "worstRating": 1},
            }
            for review in reviews.newest
        ],
    }
