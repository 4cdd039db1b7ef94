"""Discount codes, the products a code is limited to, and each order's use of a code."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (Boolean, CheckConstraint, Column, Enum, ForeignKey, Integer, String, Table,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Product
from app.db import Base, TimestampMixin, utcnow

CODE_LENGTH = 40  # Stripe shows a coupon's name up to 40 characters


class DiscountKind(enum.Enum):
    percent = "percent"
    fixed = "fixed"
    free_shipping = "free_shipping"

    @property
    def label(self) -> str:
        return {"percent": "Percentage off", "fixed": "Amount off", "free_shipping": "Free shipping"}[self.value]


class UseState(enum.Enum):
    held = "held"  # a checkout is open with the code: counted, like stock held for it
    used = "used"  # the order was paid: counted for good
    released = "released"  # the checkout closed unpaid: no longer counted


COUNTED = (UseState.held, UseState.used)

discount_code_products = Table(
    "discount_code_products",
    Base.metadata,
    Column("discount_code_id", ForeignKey("discount_codes.id", ondelete="CASCADE"), primary_key=True),
    Column("product_id", ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class DiscountCode(TimestampMixin, Base):
    __tablename__ = "discount_codes"
    __table_args__ = (
        CheckConstraint("percent_off IS NULL OR (percent_off BETWEEN 1 AND 100)", name="percent_in_range"),
        CheckConstraint("amount_off_minor IS NULL OR amount_off_minor > 0", name="amount_positive"),
        CheckConstraint("min_subtotal_minor >= 0", name="minimum_not_negative"),
        CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name="usage_limit_positive"),
        CheckConstraint("per_customer_limit IS NULL OR per_customer_limit > 0", name="per_customer_limit_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored upper-case: codes are matched without regard to case, and unique so.
    code: Mapped[str] = mapped_column(String(CODE_LENGTH), unique=True)
    kind: Mapped[DiscountKind] = mapped_column(Enum(DiscountKind, native_enum=False, length=20))
    percent_off: Mapped[int | None] = mapped_column(Integer)
    amount_off_minor: Mapped[int | None] = mapped_column(Integer)
    min_subtotal_minor: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime | None] = mapped_column()
    ends_at: Mapped[datetime | None] = mapped_column()
    usage_limit: Mapped[int | None] = mapped_column(Integer)
    per_customer_limit: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(255), default="")  # for staff: what the code is for

    # None: every product. Otherwise the code takes off only from these products' lines.
    products: Mapped[list[Product]] = relationship(secondary=discount_code_products, order_by=Product.name)

    def running(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.active and (self.starts_at is None or self.starts_at <= now) and (
            self.ends_at is None or now < self.ends_at)


class DiscountUse(Base):
    """One order's use of a code: held while its checkout is open, used once paid, released if not."""

    __tablename__ = "discount_uses"
    __table_args__ = (UniqueConstraint("order_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    discount_code_id: Mapped[int] = mapped_column(ForeignKey("discount_codes.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(255), default="", index=True)  # lower-case: per customer
    state: Mapped[UseState] = mapped_column(Enum(UseState, native_enum=False, length=10), default=UseState.held)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
