"""The rules of discount codes: finding one as a shopper types it, whether it applies to a cart and
how much it takes off, holding a use while a checkout is open, and counting it once paid.

A use is held when the checkout opens, under the code's row lock (like stock), so a code limited
to N uses opens at most N checkouts at a time, and whoever reaches the payment page pays the price
they were shown. The journey (app.orders.payment_journey) counts the use when the order is paid and
releases it when the checkout closes unpaid.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from app.db import hold_row, utcnow
from app.discounts.models import CODE_LENGTH, COUNTED, DiscountCode, DiscountKind, DiscountUse, UseState
from app.money import format_money

CODE_PATTERN = re.compile(r"[A-Z0-9][A-Z0-9_-]*")


class DiscountError(Exception):
    """A code can't be used as asked; the message says why, for the shopper or staff."""


@dataclass(frozen=True)
class Line:
    """What a discount needs of a cart or order line."""

    product_id: int
    total_minor: int


@dataclass(frozen=True)
class Offer:
    """What a code takes off a cart: an amount from its goods, and/or standard shipping made free."""

    code_id: int
    code: str
    goods_minor: int
    free_shipping: bool
    per_customer_limit: int | None

    def describe(self, currency: str) -> str:
        if self.free_shipping:
            return f"Code {self.code}: free standard shipping"
        return f"Code {self.code}: {format_money(self.goods_minor, currency)} off"


def normalise(text: str) -> str:
    """The code as stored: upper-case, without the spaces people paste around it. Refuses text that
    can't be a code, with the reason."""
    code = (text or "").strip().upper()
    if not code:
        raise DiscountError("Enter a discount code.")
    if len(code) > CODE_LENGTH:
        raise DiscountError(f"That is too long for a discount code (at most {CODE_LENGTH} characters).")
    if not CODE_PATTERN.fullmatch(code):
        raise DiscountError("Discount codes are made of letters, digits, hyphens and underscores.")
    return code


def find_code(session: Session, *, text: str) -> DiscountCode:
    code = normalise(text)
    found = session.scalars(select(DiscountCode).where(DiscountCode.code == code)
                            .options(selectinload(DiscountCode.products))).first()
    if found is None:
        raise DiscountError(f"We don't recognise the code {code}. Check it and try again.")
    return found


def offer(code: DiscountCode, *, lines: Sequence[Line], currency: str, now: datetime | None = None) -> Offer:
    """What the code takes off these lines now, or DiscountError saying why it does not apply."""
    now = now or utcnow()
    if not code.active or (code.ends_at is not None and now >= code.ends_at):
        raise DiscountError(f"The code {code.code} has ended.")
    if code.starts_at is not None and now < code.starts_at:
        raise DiscountError(f"The code {code.code} can be used from {code.starts_at:%b %-d, %Y %H:%M} UTC.")
    subtotal = sum(line.total_minor for line in lines)
    if subtotal < code.min_subtotal_minor:
        raise DiscountError(f"The code {code.code} needs a subtotal of {format_money(code.min_subtotal_minor, currency)}: "
                            f"add {format_money(code.min_subtotal_minor - subtotal, currency)} more to use it.")
    eligible = subtotal
    if code.products:
        ids = {product.id for product in code.products}
        eligible = sum(line.total_minor for line in lines if line.product_id in ids)
        if not eligible:
            raise DiscountError(f"The code {code.code} applies only to "
                                f"{', '.join(product.name for product in code.products)}.")
    goods = 0
    if code.kind is DiscountKind.percent:
        goods = (eligible * (code.percent_off or 0) + 50) // 100  # to the nearest cent, half up
    elif code.kind is DiscountKind.fixed:
        goods = min(code.amount_off_minor or 0, eligible)
    return Offer(code_id=code.id, code=code.code, goods_minor=goods,
                 free_shipping=code.kind is DiscountKind.free_shipping, per_customer_limit=code.per_customer_limit)


def _uses(session: Session, code_id: int, email: str | None = None) -> int:
    query = select(func.count()).select_from(DiscountUse).where(DiscountUse.discount_code_id == code_id,
                                                                DiscountUse.state.in_(COUNTED))
    if email is not None:
        query = query.where(DiscountUse.email == email.strip().lower())
    return session.scalar(query) or 0


def check_uses(session: Session, *, code: DiscountCode, email: str) -> None:
    """DiscountError if the code has no use left, in all or for this email ('' when not known yet)."""
    if code.usage_limit is not None and _uses(session, code.id) >= code.usage_limit:
        raise DiscountError(f"The code {code.code} has been used as many times as it allows.")
    if code.per_customer_limit is not None and email and _uses(session, code.id, email) >= code.per_customer_limit:
        times = "once" if code.per_customer_limit == 1 else f"{code.per_customer_limit} times"
        raise DiscountError(f"The code {code.code} can be used {times} per customer, and it has been used with "
                            "this email address.")


def hold_use(session: Session, *, code_id: int, order_id: int, email: str) -> None:
    """Hold one use of the code for a checkout being opened, or DiscountError if none is left.
    Under the code's row lock, so checkouts racing for the last use open one at a time."""
    hold_row(session, DiscountCode, code_id)
    code = session.get(DiscountCode, code_id, populate_existing=True)
    if code is None or not code.running():
        raise DiscountError("That discount code has just ended.")
    if code.per_customer_limit is not None and not email:
        raise DiscountError(f"The code {code.code} is limited per customer: enter your email address to use it.")
    check_uses(session, code=code, email=email)
    session.add(DiscountUse(discount_code_id=code_id, order_id=order_id, email=email.strip().lower(),
                            state=UseState.held))
    session.flush()


def _move_use(session: Session, *, order_id: int, sources: Sequence[UseState], target: UseState) -> None:
    session.execute(update(DiscountUse).where(DiscountUse.order_id == order_id, DiscountUse.state.in_(sources))
                    .values(state=target, updated_at=utcnow()).execution_options(synchronize_session=False))


def count_use(session: Session, *, order_id: int) -> None:
    """The order is paid: its use of a code counts for good (once, however often this runs). A use
    released before the money came (a late payment staff accept) counts too: the shopper paid so."""
    _move_use(session, order_id=order_id, sources=(UseState.held, UseState.released), target=UseState.used)


def release_use(session: Session, *, order_id: int) -> None:
    """The order's checkout closed unpaid: its held use goes back to the code. A used one stays used."""
    _move_use(session, order_id=order_id, sources=(UseState.held,), target=UseState.released)
