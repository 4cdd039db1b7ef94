"""The customers page's figures: who bought, how often, how much, and when last, from the orders."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.admin.services import CappedPage
from app.orders.models import SOLD, Order
from app.reviews.models import Review

PAGE_SIZE = 50


@dataclass(frozen=True)
class Customer:
    email: str
    currency: str
    orders: int
    spent_minor: int  # paid less refunded, in the currency's minor units
    last_order_at: datetime
    has_account: bool
    reviews: int = 0  # reviews written from this email's orders, whatever their moderation


EMAIL = func.lower(Order.email)
LAST_ORDER = func.max(Order.created_at)


def customer_query(*, search: str = "") -> Select:
    """One row per customer email and currency (amounts are never added across currencies). Grouped
    on lower(email), which migration 0015 indexes: a whole email is looked up by equality, part of
    one by its start (LIKE 'jo%'), both through that index."""
    query = (select(EMAIL.label("email"), Order.currency, func.count(Order.id),
                    func.sum(Order.amount_paid_minor - Order.amount_refunded_minor), LAST_ORDER,
                    func.max(Order.user_id))
             .where(Order.status.in_(SOLD), Order.email != "")
             .group_by(EMAIL, Order.currency))
    term = search.strip().lower()
    if term:
        query = query.where(EMAIL == term if "@" in term else EMAIL.startswith(term, autoescape=True))
    return query


def customers(session: Session, *, search: str = "", page: int = 1) -> CappedPage:
    """A page of customers, the most recent buyer first."""
    query = customer_query(search=search)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(LAST_ORDER.desc(), EMAIL).limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    reviews = _reviews_by_email(session, {row[0] for row in rows})
    return CappedPage(items=[Customer(email=row[0], currency=row[1], orders=row[2], spent_minor=row[3] or 0,
                                      last_order_at=row[4], has_account=row[5] is not None,
                                      reviews=reviews.get(row[0], 0)) for row in rows],
                      page=page, per_page=PAGE_SIZE, total=total, capped=False)


def _reviews_by_email(session: Session, emails: set[str]) -> dict[str, int]:
    """How many reviews each of these (lower-cased) emails wrote: one query for the page."""
    if not emails:
        return {}
    writer = func.lower(Review.email)
    counted = session.execute(select(writer, func.count(Review.id)).where(writer.in_(emails)).group_by(writer))
    return {email: count for email, count in counted}
