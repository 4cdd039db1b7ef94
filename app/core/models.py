"""The home page's hero copy: one row, edited as drafts in the marketing studio."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base

HOME_PAGE_ID = 1


class HomePage(Base):
    __tablename__ = "home_page"

    id: Mapped[int] = mapped_column(primary_key=True)  # always HOME_PAGE_ID
    eyebrow: Mapped[str] = mapped_column(String(120), default="")
    title: Mapped[str] = mapped_column(String(200))
    lead: Mapped[str] = mapped_column(String(400), default="")
