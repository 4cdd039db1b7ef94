"""Messages and reaction reports from the public. Kept for good: never deleted, only closed."""
from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampMixin


class ReportKind(enum.Enum):
    question = "question"
    reaction = "reaction"  # an adverse reaction to a product: may need to go to the regulator


class ReportStatus(enum.Enum):
    new = "new"
    assigned = "assigned"
    closed = "closed"


class ContactReport(TimestampMixin, Base):
    __tablename__ = "contact_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ReportKind] = mapped_column(Enum(ReportKind, native_enum=False, length=20), index=True)
    status: Mapped[ReportStatus] = mapped_column(Enum(ReportStatus, native_enum=False, length=20),
                                                 default=ReportStatus.new, index=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(255))
    phone: Mapped[str] = mapped_column(String(40), default="")
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(String(160), default="")  # as chosen at the time
    batch_number: Mapped[str] = mapped_column(String(60), default="")
    message: Mapped[str] = mapped_column(Text)
    consent_to_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assigned_to_email: Mapped[str] = mapped_column(String(255), default="")
    resolution: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column()
    closed_by_email: Mapped[str] = mapped_column(String(255), default="")
    source_ip: Mapped[str] = mapped_column(String(64), default="")

    @property
    def reference(self) -> str:
        """What the sender and staff quote: R-00042."""
        return f"R-{self.id:05d}"
