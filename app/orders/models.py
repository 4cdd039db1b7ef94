"""Orders, their lines (a snapshot of what was bought), and the timeline of what happened."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, TimestampMixin, utcnow
from app.orders.shipping import delivery_estimate


class OrderStatus(enum.Enum):
    pending_payment = "pending_payment"
    paid = "paid"
    shipped = "shipped"
    partially_refunded = "partially_refunded"
    refunded = "refunded"
    cancelled = "cancelled"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# Paid, and maybe partly refunded, but not yet shipped: `ship` takes these (with shipped_at unset).
AWAITING_SHIPMENT = (OrderStatus.paid, OrderStatus.partially_refunded)


class Order(TimestampMixin, Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint("total_minor = subtotal_minor + shipping_minor", name="total_adds_up"),
        CheckConstraint("amount_refunded_minor >= 0", name="refund_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[OrderStatus] = mapped_column(
        Enum(OrderStatus, native_enum=False, length=30), default=OrderStatus.pending_payment, index=True
    )
    # Set by a dispute, a paid amount that differs from the total, or a payment after cancelling.
    needs_review: Mapped[bool] = mapped_column(Boolean, default=False)
    review_reason: Mapped[str] = mapped_column(String(255), default="")
    email: Mapped[str] = mapped_column(String(255), default="", index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    cart_token: Mapped[str] = mapped_column(String(64), default="", index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(Integer)
    shipping_minor: Mapped[int] = mapped_column(Integer)
    total_minor: Mapped[int] = mapped_column(Integer)
    discount_minor: Mapped[int] = mapped_column(Integer, default=0)
    amount_paid_minor: Mapped[int] = mapped_column(Integer, default=0)
    amount_refunded_minor: Mapped[int] = mapped_column(Integer, default=0)
    shipping_method: Mapped[str] = mapped_column(String(30))
    shipping_method_name: Mapped[str] = mapped_column(String(100))
    # {"name", "line1", "line2", "city", "state", "postal_code", "country"} once paid.
    shipping_address: Mapped[dict | None] = mapped_column(JSON)
    payment_provider: Mapped[str] = mapped_column(String(20), default="")
    checkout_session_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    checkout_expires_at: Mapped[datetime | None] = mapped_column()
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

    @property
    def awaiting_shipment(self) -> bool:
        """Paid and not yet handed to the carrier, so the delivery estimate still lies ahead."""
        return self.status in AWAITING_SHIPMENT and self.shipped_at is None

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
