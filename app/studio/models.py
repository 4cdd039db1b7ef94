"""Revisions of shop copy: every save of a product's copy, an article, a page or the home page."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, utcnow


class Revision(Base):
    """One saved version of an item's copy. The newest is the draft; the newest with published_at
    set is what the public sees. (kind, object_id, number) is unique, so two editors saving on top
    of the same version cannot both succeed (app.studio.revisions.save_draft)."""

    __tablename__ = "studio_revisions"
    __table_args__ = (UniqueConstraint("kind", "object_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # product, article, page, home
    object_id: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... per item: the version the form carries
    fields: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(String(300), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    author_email: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Claims warnings the editor acknowledged for this text: [{"rule", "by", "at"}].
    acknowledgements: Mapped[list[dict]] = mapped_column(JSON, default=list)
    publish_at: Mapped[datetime | None] = mapped_column(index=True)  # scheduled, not yet published
    scheduled_by: Mapped[str] = mapped_column(String(255), default="")
    published_at: Mapped[datetime | None] = mapped_column()
    published_by: Mapped[str] = mapped_column(String(255), default="")
