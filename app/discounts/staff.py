"""What staff do with discount codes: create and edit them, and see how each is being used."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.catalog.models import Product
from app.discounts.models import DiscountCode, DiscountKind, DiscountUse, UseState
from app.discounts.services import DiscountError, normalise
from app.inputs import DATABASE_INT_MAX


@dataclass(frozen=True)
class CodeTerms:
    """A code as a staff form gives it; amounts in minor units, times in UTC."""

    code: str
    kind: DiscountKind
    percent_off: int | None
    amount_off_minor: int | None
    min_subtotal_minor: int
    starts_at: datetime | None
    ends_at: datetime | None
    usage_limit: int | None
    per_customer_limit: int | None
    product_ids: list[int]
    active: bool
    note: str


@dataclass(frozen=True)
class CodeRow:
    code: DiscountCode
    used: int  # paid orders
    held: int  # open checkouts


def list_codes(session: Session) -> list[CodeRow]:
    """Every code, newest first, with its paid uses and the uses open checkouts hold."""
    counts = (select(DiscountUse.discount_code_id,
                     func.count(case((DiscountUse.state == UseState.used, 1))).label("used"),
                     func.count(case((DiscountUse.state == UseState.held, 1))).label("held"))
              .group_by(DiscountUse.discount_code_id).subquery())
    rows = session.execute(
        select(DiscountCode, func.coalesce(counts.c.used, 0), func.coalesce(counts.c.held, 0))
        .outerjoin(counts, counts.c.discount_code_id == DiscountCode.id)
        .options(selectinload(DiscountCode.products)).order_by(DiscountCode.id.desc()))
    return [CodeRow(code, used, held) for code, used, held in rows]


def save_code(session: Session, *, code: DiscountCode | None, terms: CodeTerms) -> DiscountCode:
    """Create a code (code=None) or change one; DiscountError says what is wrong with the terms."""
    text = normalise(terms.code)
    taken = session.scalar(select(DiscountCode.id).where(DiscountCode.code == text))
    if taken is not None and (code is None or taken != code.id):
        raise DiscountError(f"There is already a code {text}: codes are unique, whatever their case.")
    if terms.kind is DiscountKind.percent and not (terms.percent_off and 1 <= terms.percent_off <= 100):
        raise DiscountError("Enter the percentage off, from 1 to 100.")
    if terms.kind is DiscountKind.fixed and not (terms.amount_off_minor and terms.amount_off_minor > 0):
        raise DiscountError("Enter the amount off, more than zero.")
    if terms.starts_at and terms.ends_at and terms.ends_at <= terms.starts_at:
        raise DiscountError("The end must come after the start.")
    if terms.min_subtotal_minor < 0:
        raise DiscountError("The minimum subtotal must be zero or more.")
    if any(not 1 <= product_id <= DATABASE_INT_MAX for product_id in terms.product_ids):
        raise DiscountError("One of the chosen products no longer exists; reload the page.")
    products = list(session.scalars(select(Product).where(Product.id.in_(terms.product_ids)))) \
        if terms.product_ids else []
    if len(products) != len(set(terms.product_ids)):
        raise DiscountError("One of the chosen products no longer exists; reload the page.")
    if code is None:
        code = DiscountCode()
        session.add(code)
    code.code, code.kind, code.note, code.active = text, terms.kind, terms.note.strip(), terms.active
    code.percent_off = terms.percent_off if terms.kind is DiscountKind.percent else None
    code.amount_off_minor = terms.amount_off_minor if terms.kind is DiscountKind.fixed else None
    code.min_subtotal_minor = terms.min_subtotal_minor
    code.starts_at, code.ends_at = terms.starts_at, terms.ends_at
    code.usage_limit, code.per_customer_limit = terms.usage_limit, terms.per_customer_limit
    code.products = products
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same code saved by someone else at this moment
        raise DiscountError(f"There is already a code {text}: codes are unique, whatever their case.") from None
    return code
