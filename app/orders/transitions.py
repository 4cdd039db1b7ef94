"""The one way an order's status changes: a compare-and-set UPDATE checked against the transition table.

`UPDATE orders SET status=:target WHERE id=:id AND status IN (:sources)`: its row count says
whether this call made the change, so duplicate or concurrent events have one effect, on SQLite
and PostgreSQL alike. A move the table (app.orders.models.MOVES) does not declare raises.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.orders.models import MOVES, Move, Order, OrderStatus


class IllegalTransition(Exception):
    """A status change the transition table does not declare: a bug in the caller, never data."""


def move_for(source: OrderStatus, target: OrderStatus) -> Move:
    for move in MOVES.values():
        if source in move.sources and move.target is target:
            return move
    raise IllegalTransition(f"An order can't go from {source.value} to {target.value}.")


def change_status(session: Session, *, order_id: int, source: OrderStatus | Iterable[OrderStatus],
                  target: OrderStatus, condition=None, **values) -> bool:
    """Move the order from one of `source` to `target` if it is still there; True if this call did."""
    sources = (source,) if isinstance(source, OrderStatus) else tuple(source)
    guards = []
    for status in sources:
        shipped = move_for(status, target).shipped
        parcel = () if shipped is None else (Order.shipped_at.is_not(None) if shipped else Order.shipped_at.is_(None),)
        guards.append(and_(Order.status == status, *parcel))
    result = session.execute(
        update(Order)
        .where(Order.id == order_id, or_(*guards), *(() if condition is None else (condition,)))
        .values(status=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    forget_loaded(session, order_id)
    return result.rowcount == 1


def forget_loaded(session: Session, order_id: int) -> None:
    """Expire the order if this session had it loaded, so the next read sees the database."""
    order = session.identity_map.get(session.identity_key(Order, order_id))
    if order is not None:
        session.expire(order)
