"""The transition table: for every pair of statuses, only a declared move succeeds; any other raises
and leaves the row as it was. Runs on SQLite and on PostgreSQL."""
import itertools

import pytest
from sqlalchemy import select

from app.db import utcnow
from app.orders.models import MOVES, Order, OrderStatus, declared_moves
from app.orders.transitions import IllegalTransition, change_status, move_for

PAIRS = list(itertools.product(OrderStatus, repeat=2))


def test_only_declared_moves_succeed(session, place_order, set_order):
    order = place_order()
    wrong = []
    for source, target in PAIRS:
        declared = (source, target) in declared_moves()
        needs_parcel = declared and move_for(source, target).shipped
        set_order(order, status=source, shipped_at=utcnow() if needs_parcel else None)
        try:
            moved = change_status(session, order_id=order.id, source=source, target=target)
        except IllegalTransition:
            moved = None
        now = session.scalar(select(Order.status).where(Order.id == order.id))
        if (moved, now) != ((True, target) if declared else (None, source)):
            wrong.append(f"{source.value} -> {target.value}: declared={declared}, moved={moved}, now {now.value}")
    assert not wrong, wrong
    assert len(declared_moves()) < len(PAIRS)  # the table does refuse something


def test_a_declared_move_loses_when_the_row_has_moved_on(session, place_order, set_order):
    """The compare-and-set: the same move run a second time (a duplicate event) changes nothing."""
    order = place_order()
    assert change_status(session, order_id=order.id, source=OrderStatus.pending_payment, target=OrderStatus.paid)
    assert not change_status(session, order_id=order.id, source=OrderStatus.pending_payment,
                             target=OrderStatus.paid)
    assert not change_status(session, order_id=order.id, source=OrderStatus.pending_payment,
                             target=OrderStatus.cancelled)
    assert session.scalar(select(Order.status).where(Order.id == order.id)) is OrderStatus.paid


@pytest.mark.parametrize("shipped", [True, False])
def test_a_move_that_depends_on_the_parcel_checks_it(session, place_order, set_order, shipped):
    order = set_order(place_order(), status=OrderStatus.partially_refunded, shipped_at=utcnow() if shipped else None)
    assert change_status(session, order_id=order.id, source=OrderStatus.partially_refunded,
                         target=OrderStatus.shipped) is not shipped
    order = set_order(order, status=OrderStatus.partially_refunded)
    assert change_status(session, order_id=order.id, source=OrderStatus.partially_refunded,
                         target=OrderStatus.refunded) is shipped


def test_each_pair_is_declared_by_one_move():
    pairs = [(source, move.target) for move in MOVES.values() for source in move.sources]
    assert len(pairs) == len(set(pairs))
