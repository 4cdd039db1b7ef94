"""Shoppers and staff: one user table, a role for each person."""
from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Enum, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, TimestampMixin


class Role(enum.Enum):
    customer = "customer"
    admin = "admin"  # everything, including staff users and products
    fulfilment = "fulfilment"  # orders and stock
    marketing = "marketing"  # product copy and Learn pages

    @property
    def is_staff(self) -> bool:
        return self is not Role.customer


class User(UserMixin, TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20), default=Role.customer)
    is_active_account: Mapped[bool] = mapped_column(Boolean, default=True)
    # Bumped when the password changes, which signs the account out everywhere else.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_sign_in_at: Mapped[datetime | None] = mapped_column()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.is_active_account

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role.is_staff
