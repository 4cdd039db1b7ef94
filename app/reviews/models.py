"""Reviews of what a buyer bought (one per order line), their moderation, and the invitations to write them."""
from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Product
from app.db import Base, TimestampMixin, utcnow


class ReviewStatus(enum.Enum):
    published = "published"
    held = "held"  # hidden until staff publish or reject it; always with a reason
    rejected = "rejected"

    @property
    def label(self) -> str:
        return self.value.capitalize()


class HoldReason(enum.Enum):
    """The only reasons a review is kept off the page (the published review policy lists them)."""

    personal_data = "personal_data"
    abuse = "abuse"
    off_topic = "off_topic"
    health_claim = "health_claim"

    @property
    def label(self) -> str:
        return HOLD_REASON_LABELS[self]


HOLD_REASON_LABELS = {
    HoldReason.personal_data: "Personal data (a name, address, phone number or email of anyone)",
    HoldReason.abuse: "Abuse (insults, threats, hateful or obscene language)",
    HoldReason.off_topic: "Off topic (not about the product, or about something else we sell or do)",
    HoldReason.health_claim: "A health claim (treating a condition, or a drug-like effect)",
}

RATINGS = (1, 2, 3, 4, 5)
TITLE_LENGTH, BODY_LENGTH, NAME_LENGTH, CITY_LENGTH, REPLY_LENGTH = 120, 5000, 40, 60, 2000


class Review(TimestampMixin, Base):
    __tablename__ = "reviews"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_one_to_five"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # One review per line bought: the constraint makes a double submit or a race a no-op.
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    variant_label: Mapped[str] = mapped_column(String(120), default="")  # what was bought, as the line says
    email: Mapped[str] = mapped_column(String(255))  # the buyer's, for moderation notices; never shown
    rating: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    body: Mapped[str] = mapped_column(Text)
    first_name: Mapped[str] = mapped_column(String(NAME_LENGTH), default="")
    city: Mapped[str] = mapped_column(String(CITY_LENGTH), default="")
    status: Mapped[ReviewStatus] = mapped_column(Enum(ReviewStatus, native_enum=False, length=20), index=True)
    hold_reason: Mapped[HoldReason | None] = mapped_column(Enum(HoldReason, native_enum=False, length=20))
    # Why, in words: the claims rule that matched, or the moderator's note to the reviewer.
    hold_detail: Mapped[str] = mapped_column(String(500), default="")
    moderated_by: Mapped[str] = mapped_column(String(255), default="")  # "claims check" or a staff email
    moderated_at: Mapped[datetime | None] = mapped_column()
    # A date, not a time: shown as such, and read the same from both databases' JSON.
    published_on: Mapped[date | None] = mapped_column(Date)
    reply: Mapped[str] = mapped_column(Text, default="")
    replied_on: Mapped[date | None] = mapped_column(Date)

    product: Mapped[Product] = relationship(lazy="joined")  # staff screens name it

    @property
    def is_published(self) -> bool:
        return self.status is ReviewStatus.published


class ReviewInvitation(Base):
    """An order's buyer was invited to review it: one row per order, so the email goes once."""

    __tablename__ = "review_invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
