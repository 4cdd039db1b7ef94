"""What staff screens read (dashboard figures, order search, exports) and the audit trail."""
from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.admin.models import AuditEntry
from app.admin.spreadsheets import SpreadsheetWriter
from app.catalog.models import Product, StockMovement, Variant
from app.dates import shop_zone
from app.db import utcnow
from app.money import to_major
from app.orders.models import Order, OrderStatus

def audit(session: Session, *, actor, action: str, obj_type: str, obj_id, before: dict | None = None,
          after: dict | None = None) -> None:
    """Record a staff action; for an edit, only the fields it changed, before and after."""
    if before is not None and after is not None:
        changed = [key for key in after if before.get(key) != after[key]]
        before, after = {key: before.get(key) for key in changed}, {key: after[key] for key in changed}
    session.add(AuditEntry(actor_id=actor.id, actor_email=actor.email, action=action, object_type=obj_type,
                           object_id=str(obj_id), before=before, after=after))


def snapshot(obj, *fields: str) -> dict:
    """The named fields of a row as JSON-safe values, for the audit log's before and after."""
    values = {}
    for field in fields:
        value = getattr(obj, field)
        values[field] = value.value if hasattr(value, "value") else value.isoformat() if isinstance(value, datetime) else value
    return values


def day_start(day: date) -> datetime:
    """Midnight starting the day in the shop's time zone: staff count days as the shop lives them."""
    return datetime.combine(day, time.min, tzinfo=shop_zone())


@dataclass(frozen=True)
class Dashboard:
    orders_today: int
    orders_this_week: int
    revenue_by_day: list[tuple[date, int]]
    needing_action: list[Order]
    needing_attention: list[Order]
    low_stock: list[Variant]

    @property
    def revenue_total(self) -> int:
        return sum(amount for _, amount in self.revenue_by_day)


def dashboard(session: Session, *, today: date | None = None) -> Dashboard:
    zone = shop_zone()
    today = today or utcnow().astimezone(zone).date()
    week_start = today - timedelta(days=today.weekday())
    placed = select(func.count(Order.id)).where(Order.status != OrderStatus.cancelled)
    first_day = today - timedelta(days=29)
    paid_rows = session.execute(
        select(Order.paid_at, Order.amount_paid_minor - Order.amount_refunded_minor)
        .where(Order.paid_at >= day_start(first_day), Order.status != OrderStatus.payment_review)  # not ours yet
    ).all()
    revenue = {first_day + timedelta(days=offset): 0 for offset in range(30)}
    for paid_at, amount in paid_rows:
        day = paid_at.astimezone(zone).date()
        revenue[day] = revenue.get(day, 0) + amount
    return Dashboard(
        orders_today=session.scalar(placed.where(Order.created_at >= day_start(today))) or 0,
        orders_this_week=session.scalar(placed.where(Order.created_at >= day_start(week_start))) or 0,
        revenue_by_day=sorted(revenue.items()),
        needing_action=list(session.scalars(select(Order).where(Order.can_ship).order_by(Order.paid_at).limit(20))),
        needing_attention=list(session.scalars(
            select(Order).where(Order.needs_attention).order_by(Order.updated_at.desc()).limit(20))),
        low_stock=low_stock_variants(session),
    )


def low_stock_variants(session: Session) -> list[Variant]:
    available = Variant.stock_available  # a set's from its components
    return list(session.scalars(
        select(Variant).join(Variant.product)
        .where(Variant.is_active.is_(True), available <= Variant.low_stock_threshold)
        .options(selectinload(Variant.product)).order_by(available, Variant.sku)
    ))


def order_query(*, status: str = "", date_from: date | None = None, date_to: date | None = None,
                search: str = "", abandoned: bool = True) -> Select:
    """Orders matching the admin list's filters, newest first; without abandoned checkouts if not abandoned."""
    query = select(Order).order_by(Order.created_at.desc(), Order.id.desc())
    if not abandoned:
        query = query.where(~Order.abandoned)
    if status == "needs_review":
        query = query.where(Order.needs_review.is_(True))
    elif status:
        query = query.where(Order.status == OrderStatus(status))
    if date_from:
        query = query.where(Order.created_at >= day_start(date_from))
    if date_to:
        query = query.where(Order.created_at < day_start(date_to + timedelta(days=1)))
    if search.strip():
        term = search.strip()
        query = query.where(or_(Order.number == term.upper(), Order.email.ilike(f"%{term.lower()}%")))
    return query


@dataclass(frozen=True)
class CappedPage:
    """A page of a list whose count stops a little past it (`total` is then a floor): counting every
    match of a broad filter reads most of the orders table, on every page view."""
    items: list
    page: int
    per_page: int
    total: int
    capped: bool

    @property
    def pages(self) -> int:
        return -(-self.total // self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def capped_page(session: Session, query: Select, *, page: int, per_page: int, count_past: int = 1000) -> CappedPage:
    """Rows of one page, and how many match, counted no further than `count_past` past its start:
    the count walks the query's order (an index) and stops there."""
    start = (page - 1) * per_page
    limit = start + count_past + 1
    total = session.scalar(select(func.count()).select_from(query.limit(limit).subquery())) or 0
    items = list(session.scalars(query.limit(per_page).offset(start)))
    return CappedPage(items=items, page=page, per_page=per_page, total=min(total, limit - 1), capped=total == limit)


CSV_HEADER = ["number", "created_at", "status", "email", "items", "subtotal", "shipping", "discount",
              "discount_code", "total", "paid", "refunded", "currency", "shipping_method", "country", "carrier", "tracking_number"]


def orders_csv(session: Session, *, date_from: date | None, date_to: date | None) -> Iterator[str]:
    """CSV text, a row at a time, so a year of orders streams without filling memory."""
    buffer = io.StringIO()
    writer = SpreadsheetWriter(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_HEADER)
    yield flush()
    query = order_query(date_from=date_from, date_to=date_to).options(selectinload(Order.lines))
    for order in session.scalars(query.execution_options(yield_per=200)):
        address = order.shipping_address or {}
        writer.writerow([
            order.number, order.created_at.isoformat(), order.status.value, order.email,
            "; ".join(f"{line.quantity} x {line.sku}" for line in order.lines),
            *(str(to_major(amount, order.currency)) for amount in (
                order.subtotal_minor, order.shipping_minor, order.discount_minor)),
            order.discount_code,
            *(str(to_major(amount, order.currency)) for amount in (
                order.total_minor, order.amount_paid_minor, order.amount_refunded_minor)),
            order.currency,
            order.shipping_method, address.get("country", ""), order.carrier, order.tracking_number,
        ])
        yield flush()


def stock_history(session: Session, *, variant_id: int, limit: int = 100) -> list[tuple[StockMovement, str | None]]:
    """The variant's latest movements, each with the number of the order behind it, if any."""
    return list(session.execute(
        select(StockMovement, Order.number).outerjoin(Order, Order.id == StockMovement.order_id)
        .where(StockMovement.variant_id == variant_id)
        .order_by(StockMovement.id.desc()).limit(limit)
    ))


def all_variants(session: Session) -> list[Variant]:
    return list(session.scalars(
        select(Variant).join(Variant.product)
        .options(selectinload(Variant.product), selectinload(Variant.components))
        .order_by(Product.position, Variant.position)
    ))


def audit_entries(session: Session) -> Select:
    return select(AuditEntry).order_by(AuditEntry.id.desc())
