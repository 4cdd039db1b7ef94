"""Orders, their lines (a snapshot of what was bought), and the timeline of what happened."""
from __future__ import annotations

import enum
from datetime import datetime

from dataclasses import dataclass

from sqlalchemy import (JSON, Boolean, CheckConstraint, ColumnElement, Enum, ForeignKey, Index, Integer, String, Text, and_,
                        false, func, or_, text)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin, utcnow
from app.orders.carriers import tracking_url
from app.orders.shipping import delivery_estimate


class OrderStatus(enum.Enum):
    pending_payment = "pending_payment"  # stock held; the provider's checkout page is open
    payment_processing = "payment_processing"  # checkout finished; a delayed payment is settling
    payment_review = "payment_review"  # money arrived that the order can't take as it is: staff resolve it
    paid = "paid"
    shipped = "shipped"
    partially_refunded = "partially_refunded"
    refunded = "refunded"  # refunded in full after shipping (before shipping, a full refund cancels)
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return STATUS_LABELS.get(self, self.value.replace("_", " ").capitalize())


STATUS_LABELS = {OrderStatus.payment_review: "Payment received, being checked"}


@dataclass(frozen=True)
class Move:
    """One declared status change. `shipped` guards moves that depend on the parcel: True only
    after shipping, False only before, None either way."""

    sources: frozenset[OrderStatus]
    target: OrderStatus
    shipped: bool | None = None


S = OrderStatus
# The transition table: the only status changes an order may make, named for the action that makes
# them. The services move orders only through these (app.orders.transitions), and Order.can_*
# below read the same table, so the admin offers exactly what the services accept.
MOVES: dict[str, Move] = {
    "start_processing": Move(frozenset({S.pending_payment}), S.payment_processing),
    "pay": Move(frozenset({S.pending_payment, S.payment_processing}), S.paid),
    "hold_payment": Move(frozenset({S.pending_payment, S.payment_processing, S.cancelled}), S.payment_review),
    "accept_payment": Move(frozenset({S.payment_review}), S.paid),
    "accept_partly_refunded_payment": Move(frozenset({S.payment_review}), S.partially_refunded),
    "refund_held_payment": Move(frozenset({S.payment_review}), S.cancelled),
    "cancel_unpaid": Move(frozenset({S.pending_payment, S.payment_processing}), S.cancelled),
    "ship": Move(frozenset({S.paid, S.partially_refunded}), S.shipped, shipped=False),
    "refund_part": Move(frozenset({S.paid, S.shipped, S.partially_refunded}), S.partially_refunded),
    "refund_rest_unshipped": Move(frozenset({S.paid, S.partially_refunded}), S.cancelled, shipped=False),
    "refund_rest_shipped": Move(frozenset({S.shipped, S.partially_refunded}), S.refunded, shipped=True),
}
del S

# Orders that sold something: the money was kept (refunds after shipping still count as a sale).
SOLD = frozenset({OrderStatus.paid, OrderStatus.shipped, OrderStatus.partially_refunded, OrderStatus.refunded})
# Money is expected and not yet confirmed by the provider.
AWAITING_MONEY = MOVES["pay"].sources
# Stripe's checkout can still be paid: the shopper may be on the payment page.
OPEN_CHECKOUT = AWAITING_MONEY - {OrderStatus.payment_processing}


def declared_moves() -> set[tuple[OrderStatus, OrderStatus]]:
    """Every (from, to) pair the table allows."""
    return {(source, move.target) for move in MOVES.values() for source in move.sources}


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total_minor = subtotal_minor + shipping_minor - discount_minor", name="total_adds_up"),
        CheckConstraint("shipping_discount_minor >= 0 AND shipping_discount_minor <= shipping_minor "
                        "AND shipping_discount_minor <= discount_minor", name="shipping_discount_within"),
        CheckConstraint("amount_refunded_minor >= 0", name="refund_not_negative"),
        # The staff screens' filters and lookups (migration 0010; tests/admin/test_index_plans.py):
        # the order list newest first, alone or by status or flag; the dashboard's money by day.
        Index("ix_orders_created_at", "created_at", "id"),
        Index("ix_orders_status_created_at", "status", "created_at", "id"),
        Index("ix_orders_needs_review_created_at", "needs_review", "created_at", "id"),
        Index("ix_orders_paid_at", "paid_at"),
        # Search by part of an email address (ILIKE '%...%'): trigrams on PostgreSQL.
        Index("ix_orders_email_search", "email", postgresql_using="gin", postgresql_ops={"email": "gin_trgm_ops"}),
        # Customers are grouped and searched by email whatever its case (migration 0015).
        Index("ix_orders_email_lower", func.lower(text("email")).label("email_lower"),
              postgresql_ops={"email_lower": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[OrderStatus] = mapped_column(
        Enum(OrderStatus, native_enum=False, length=30), default=OrderStatus.pending_payment
    )
    # Set by a dispute, a paid amount that differs from the total, or a payment after cancelling.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reason: Mapped[str] = mapped_column(String(255), default="")
    # Why money is held (payment_review): kept apart from the flag, which a dispute may add too.
    held_reason: Mapped[str] = mapped_column(String(255), default="", server_default="")
    email: Mapped[str] = mapped_column(String(255), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    cart_token: Mapped[str] = mapped_column(String(64), default="", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(Integer)
    shipping_minor: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    # What a discount code took off (goods and shipping together), and the code as the shopper typed
    # it; total_minor is after it. shipping_discount_minor is the part taken off shipping.
    discount_minor: Mapped[int] = mapped_column(Integer, default=0)
    shipping_discount_minor: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    discount_code: Mapped[str] = mapped_column(String(40), default="", server_default="")
    amount_paid_minor: Mapped[int] = mapped_column(Integer, default=0)
    amount_refunded_minor: Mapped[int] = mapped_column(Integer, default=0)
    shipping_method: Mapped[str] = mapped_column(String(30))
    shipping_method_name: Mapped[str] = mapped_column(String(100))
    # {"name", "line1", "line2", "city", "state", "postal_code", "country"} once paid.
    shipping_address: Mapped[dict | None] = mapped_column(JSON)
    payment_provider: Mapped[str] = mapped_column(String(20), default="")
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    checkout_url: Mapped[str] = mapped_column(Text, default="", server_default="")
    checkout_expires_at: Mapped[datetime | None] = mapped_column()
    # Units are reserved for this order (not yet sold, not released): set with the reservation,
    # cleared when they are sold or released. Says what to do with stock when held money is resolved.
    stock_held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    paid_at: Mapped[datetime | None] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    shipped_at: Mapped[datetime | None] = mapped_column()
    carrier: Mapped[str] = mapped_column(String(60), default="", server_default="")
    tracking_number: Mapped[str] = mapped_column(String(100), default="", server_default="")

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", order_by="OrderEvent.id", cascade="all, delete-orphan"
    )

    @property
    def refundable_minor(self) -> int:
        return self.amount_paid_minor - self.amount_refunded_minor

    def allows(self, action: str) -> bool:
        """May this order make the named move of the transition table now?"""
        move = MOVES[action]
        return self.status in move.sources and (move.shipped is None or move.shipped == (self.shipped_at is not None))

    @hybrid_property
    def can_ship(self) -> bool:
        return self.allows("ship") and not self.needs_review

    @can_ship.inplace.expression
    @classmethod
    def _can_ship_expression(cls) -> ColumnElement[bool]:
        return and_(cls.status.in_(MOVES["ship"].sources), cls.shipped_at.is_(None), cls.needs_review.is_(False))

    @property
    def awaiting_shipment(self) -> bool:
        """Paid and not yet handed to the carrier, so the delivery estimate still lies ahead."""
        return self.allows("ship")

    @property
    def checkout_expired(self) -> bool:
        """The provider's payment page has timed out (its webhook or cron will close the order)."""
        return self.checkout_expires_at is not None and self.checkout_expires_at < utcnow()

    @hybrid_property
    def abandoned(self) -> bool:
        """A checkout the shopper never paid: closed unpaid, or its payment page timed out. Staff lists
        hide these by default; they are most of the rows and need nothing done."""
        return self.amount_paid_minor == 0 and (
            self.status is OrderStatus.cancelled or (self.status in OPEN_CHECKOUT and self.checkout_expired))

    @abandoned.inplace.expression
    @classmethod
    def _abandoned_expression(cls) -> ColumnElement[bool]:
        return and_(cls.amount_paid_minor == 0, or_(
            cls.status == OrderStatus.cancelled,
            # "IS NOT NULL": without it an open checkout with no expiry would make the whole test NULL,
            # and "not abandoned" would drop it too.
            and_(cls.status.in_(OPEN_CHECKOUT), cls.checkout_expires_at.is_not(None),
                 cls.checkout_expires_at < utcnow())))

    @property
    def can_refund(self) -> bool:
        return self.allows("refund_part") and self.refundable_minor > 0

    @property
    def can_cancel(self) -> bool:
        """Staff may cancel: an open checkout (closed at the provider first), or a paid order that has not
        shipped (refunded in full). A delayed payment still settling can't be stopped from here."""
        return self.status in OPEN_CHECKOUT or self.allows("refund_rest_unshipped")

    @property
    def can_resolve_payment(self) -> bool:
        return self.allows("accept_payment")

    @hybrid_property
    def needs_attention(self) -> bool:
        return self.status is OrderStatus.payment_review or self.needs_review

    @needs_attention.inplace.expression
    @classmethod
    def _needs_attention_expression(cls) -> ColumnElement[bool]:
        return (cls.status == OrderStatus.payment_review) | cls.needs_review.is_(True)

    @property
    def tracking_url(self) -> str:
        """The carrier's page for this parcel; '' before shipping or for a carrier not in our list."""
        return tracking_url(self.carrier, self.tracking_number)

    @property
    def delivery_estimate(self) -> str:
        """When to expect the parcel, for this order's method and country ('' before the address)."""
        return delivery_estimate(self.shipping_method, (self.shipping_address or {}).get("country", ""))


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    # The variant may later be deleted; the snapshot below keeps what was sold.
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("variants.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(160))
    variant_label: Mapped[str] = mapped_column(String(120))
    sku: Mapped[str] = mapped_column(String(64))
    unit_price_minor: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    # The batch the shipped units came from, so a recall can find who received them.
    lot_number: Mapped[str] = mapped_column(String(60), default="", server_default="")

    order: Mapped[Order] = relationship(back_populates="lines")

    @property
    def total_minor(self) -> int:
        return self.unit_price_minor * self.quantity


class OrderEvent(Base):
    """One entry in an order's timeline: who did what, when, and why."""

    __tablename__ = "order_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(255))
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")
