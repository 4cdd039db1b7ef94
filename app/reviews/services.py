"""Reviews: who may write one (buyers of a shipped order), screening, moderation, replies, invitations.

A review is published as soon as it is written unless a stated reason holds it: the claims check
(app.claims) or a pattern of personal data. Staff may hold or reject one only for a reason
of the published policy (HoldReason), which is recorded and emailed to the reviewer; the rating is
never a reason. Each product keeps the count and total of its published ratings
(Product.review_count, rating_total), changed by the same compare-and-set that publishes or
unpublishes a review, so lists show averages without reading reviews.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.catalog.models import Product, Variant
from app.claims import product_findings
from app.db import utcnow
from app.mail.services import queue_email
from app.orders.models import Order, OrderLine, OrderStatus
from app.reviews.models import RATINGS, HoldReason, Review, ReviewInvitation, ReviewStatus

# Orders whose buyers may review: shipped, and not refunded or cancelled (a part refund keeps the rest).
REVIEWABLE = frozenset({OrderStatus.shipped, OrderStatus.partially_refunded})
AUTOMATIC_CHECK = "automatic check"
ALREADY_REVIEWED = "You have already reviewed this item. Thank you!"
INVITATION_BATCH = 200


class ReviewError(Exception):
    """A review rule was broken; the message is written for the reader."""


class ReviewLinkInvalid(ReviewError):
    pass


# Signed review links ------------------------------------------------------------------------------

def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="review-invitation")


def review_token(order: Order) -> str:
    """A link's token: the order and the email it went to, so it reviews nothing else."""
    return _serializer().dumps({"order": order.id, "email": order.email})


def order_for_token(session: Session, *, token: str) -> Order:
    """The order a review link was made for, while the link is fresh; ReviewLinkInvalid if not."""
    max_age = current_app.config["REVIEW_LINK_MAX_AGE_DAYS"] * 86400
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ReviewLinkInvalid("This review link has expired. If you still want to review your order, "
                                "sign in and open it from your orders, or contact us.") from None
    except BadSignature:
        raise ReviewLinkInvalid("This review link is not valid. Please use the link from your email as it is.") from None
    order = session.get(Order, data.get("order")) if isinstance(data, dict) else None
    if order is None or order.email != data.get("email"):
        raise ReviewLinkInvalid("This review link is not valid. Please use the link from your email as it is.")
    return order


# What a buyer may review -------------------------------------------------------------------------

@dataclass
class ReviewableLine:
    line: OrderLine
    product: Product | None  # None once the product is gone: nothing left to review
    review: Review | None


def can_review(order: Order) -> bool:
    return order.status in REVIEWABLE and order.shipped_at is not None


def reviewable_lines(session: Session, *, order: Order) -> list[ReviewableLine]:
    """The order's lines, one per product, each with its product and the review already written."""
    variants = {variant.id: variant for variant in session.scalars(
        select(Variant).options(selectinload(Variant.product))
        .where(Variant.id.in_([line.variant_id for line in order.lines if line.variant_id])))}
    reviews = {review.order_line_id: review for review in session.scalars(
        select(Review).where(Review.order_id == order.id))}
    lines, seen = [], set()
    for line in order.lines:
        variant = variants.get(line.variant_id) if line.variant_id else None
        product = variant.product if variant else None
        key = product.id if product else ("line", line.id)
        if key in seen:  # two scents of one product: one review of the product
            continue
        seen.add(key)
        lines.append(ReviewableLine(line, product, reviews.get(line.id)))
    return lines


def line_to_review(session: Session, *, order: Order, line_id: int) -> ReviewableLine:
    if not can_review(order):
        raise ReviewError("Reviews open once your order has shipped, and not for refunded or cancelled orders.")
    found = next((item for item in reviewable_lines(session, order=order) if item.line.id == line_id), None)
    if found is None or found.product is None:
        raise ReviewError("That item is not one you can review from this order.")
    return found


# Writing a review --------------------------------------------------------------------------------

def screen(*texts: str) -> tuple[HoldReason, str] | None:
    """A stated reason to hold a review of these texts, with the rule that matched; None to publish it.

    Screened as product warnings are (app.claims, the rules of app/claims/rules.toml): a review may name a condition ("it gave
    me a rash", "did nothing for my back pain") but not claim a drug-like effect or promise help
    with one. So a complaint or a reaction report is published like praise."""
    text = "\n".join(texts)
    findings = product_findings({"warnings": text}, ["warnings"])
    if findings:
        rule_ids = ", ".join(sorted({finding.rule.id for finding in findings}))
        found = sorted({word for finding in findings for word in finding.words})
        named = ", ".join(f"“{word}”" for word in found[:SHOWN_WORDS])
        more = f" and {len(found) - SHOWN_WORDS} more" if len(found) > SHOWN_WORDS else ""
        return (HoldReason.health_claim,
                f"Claims check ({rule_ids}): {named}{more} would make a health claim for the product.")
    if _EMAIL.search(text) or any(len(re.sub(r"\D", "", number)) >= 10 for number in _PHONE.findall(text)):
        return HoldReason.personal_data, "Personal data check: the text holds an email address or a phone number."
    return None


SHOWN_WORDS = 8  # of the claims found, so the recorded reason stays short
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ().-]{8,}\d(?!\w)")  # ten digits or more: a date or a lot number has fewer


def submit_review(session: Session, *, order: Order, line_id: int, rating: int, title: str, body: str,
                  first_name: str = "", city: str = "") -> Review:
    """Save the buyer's review of one line, published unless screening holds it (and then the buyer
    is told why). A second review of the line, even one racing this, is refused."""
    item = line_to_review(session, order=order, line_id=line_id)
    if item.review is not None:
        raise ReviewError(ALREADY_REVIEWED)
    if rating not in RATINGS:
        raise ReviewError("Choose a rating from 1 to 5 stars.")
    assert item.product is not None
    held = screen(title, body, first_name, city)
    review = Review(
        order_line_id=item.line.id, order_id=order.id, product_id=item.product.id,
        variant_label=item.line.variant_label, email=order.email, rating=rating, title=title.strip(),
        body=body.strip(), first_name=first_name.strip(), city=city.strip(),
        status=ReviewStatus.held if held else ReviewStatus.published,
    )
    if held:
        review.hold_reason, review.hold_detail = held
        review.moderated_by, review.moderated_at = AUTOMATIC_CHECK, utcnow()
    else:
        review.published_on = utcnow().date()
    try:
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:
        raise ReviewError(ALREADY_REVIEWED) from None
    if held:
        _tell_reviewer(session, review, "review_held")
    else:
        _count_rating(session, review, +1)
    return review


def _count_rating(session: Session, review: Review, sign: int) -> None:
    session.execute(update(Product).where(Product.id == review.product_id).values(
        review_count=Product.review_count + sign, rating_total=Product.rating_total + sign * review.rating))


def _tell_reviewer(session: Session, review: Review, template: str) -> None:
    subjects = {"review_held": "Your review is on hold", "review_rejected": "Your review was not published",
                "review_published": "Your review is published"}
    queue_email(session, recipient=review.email, subject=subjects[template], template=template,
                review=review, order_id=review.order_id,
                policy_url=url_for("content.page", slug="review-policy", _external=True))


# Moderation -------------------------------------------------------------------------------------

def get_review(session: Session, *, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise ReviewError("There is no such review.")
    return review


def moderate(session: Session, *, review_id: int, status: ReviewStatus, reason: HoldReason | None,
             note: str, actor: str) -> Review:
    """Publish, hold or reject a review. Holding and rejecting need a reason of the policy, which
    is recorded and emailed to the reviewer; publishing tells them too if it was held."""
    review = get_review(session, review_id=review_id)
    if status is not ReviewStatus.published and reason is None:
        raise ReviewError("Choose the reason from the review policy: a review is held or rejected only for one.")
    if status is review.status:
        raise ReviewError(f"This review is already {status.value}.")
    before = review.status
    values: dict = {"status": status, "moderated_by": actor, "moderated_at": utcnow()}
    if status is ReviewStatus.published:
        values.update(hold_reason=None, hold_detail="", published_on=review.published_on or utcnow().date())
    else:
        values.update(hold_reason=reason, hold_detail=note.strip())
    # Compare-and-set: two moderators at once change the counts once.
    changed = session.execute(update(Review).where(Review.id == review.id, Review.status == before)
                              .values(**values).execution_options(synchronize_session=False)).rowcount
    if not changed:
        raise ReviewError("Someone else moderated this review a moment ago; check it again.")
    session.refresh(review)
    if ReviewStatus.published in (before, status):
        _count_rating(session, review, +1 if status is ReviewStatus.published else -1)
    _tell_reviewer(session, review, f"review_{status.value}")
    return review


def reply(session: Session, *, review_id: int, text: str) -> Review:
    """The shop's public answer under a review (empty text takes it down)."""
    review = get_review(session, review_id=review_id)
    review.reply = text.strip()
    review.replied_on = utcnow().date() if review.reply else None
    session.flush()
    return review


def reviews_for_staff(*, status: ReviewStatus | None) -> Select:
    """Newest first, of one status or all: for the staff list's pages."""
    query = select(Review).order_by(Review.id.desc())
    return query.where(Review.status == status) if status else query


def review_counts(session: Session) -> dict[ReviewStatus, dict[int, int]]:
    """How many reviews each status holds, by star rating: if bad reviews were being kept back,
    the held and rejected rows would lean to one and two stars."""
    counts = {status: dict.fromkeys(RATINGS, 0) for status in ReviewStatus}
    for status, rating, count in session.execute(
            select(Review.status, Review.rating, func.count()).group_by(Review.status, Review.rating)):
        counts[status][rating] = count
    return counts


# Invitations ------------------------------------------------------------------------------------

def orders_to_invite(session: Session, *, now: datetime | None = None) -> list[Order]:
    days = current_app.config["REVIEW_INVITATION_DAYS"]
    shipped_before = (now or utcnow()) - timedelta(days=days)
    invited = select(ReviewInvitation.order_id)
    return list(session.scalars(
        select(Order).where(Order.status.in_(REVIEWABLE), Order.shipped_at.is_not(None),
                            Order.shipped_at <= shipped_before, Order.email != "", Order.id.not_in(invited))
        .order_by(Order.id).limit(INVITATION_BATCH)))


def send_review_invitations(session: Session, *, now: datetime | None = None) -> int:
    """Invite the buyer of each order shipped REVIEW_INVITATION_DAYS ago to review it: once per
    order (a row per invitation under a unique constraint, so two runs at once send one email),
    never for refunded or cancelled orders. The caller commits; returns how many were queued."""
    sent = 0
    for order in orders_to_invite(session, now=now):
        try:
            with session.begin_nested():
                session.add(ReviewInvitation(order_id=order.id))
                session.flush()
        except IntegrityError:
            continue  # another run invited this buyer a moment ago
        items = [item for item in reviewable_lines(session, order=order) if item.product and not item.review]
        if not items:
            continue
        queue_email(session, recipient=order.email, subject=f"How was your order {order.number}?",
                    template="review_invitation", order=order, items=items, order_id=order.id,
                    review_url=url_for("reviews.write", token=review_token(order), _external=True),
                    policy_url=url_for("content.page", slug="review-policy", _external=True))
        sent += 1
    return sent
