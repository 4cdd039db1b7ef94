"""Stock movements: each writes a movement row, and one the levels cannot take fails loudly."""
import pytest
from sqlalchemy import func, select

from app.catalog.models import StockMovement, StockReason, Variant
from app.catalog.services import (
    OutOfStock, StockError, release_stock, reserve_stock, restock_sold, sell_reserved_stock,
)
from app.orders.models import OrderStatus
from tests.conftest import ADDRESS, act, latest_order


def levels(session, sku: str) -> tuple[int, int]:
    variant = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    session.refresh(variant)
    return variant.stock_on_hand, variant.stock_reserved


def movements(session, order_id: int) -> list[tuple[str, int, int]]:
    rows = session.execute(select(StockMovement.reason, StockMovement.delta, StockMovement.reserved_delta)
                           .where(StockMovement.order_id == order_id).order_by(StockMovement.id))
    return [(reason.value, delta, reserved) for reason, delta, reserved in rows]


def variant_id(session, sku: str) -> int:
    return session.scalars(select(Variant.id).where(Variant.sku == sku)).one()


def test_paying_through_the_shop_reserves_then_sells(shopper, session):
    on_hand, reserved = levels(session, "TMC-CRM-4-UNS")
    shopper.add("TMC-CRM-4-UNS", 2)
    page = shopper.checkout().headers["Location"]
    assert levels(session, "TMC-CRM-4-UNS") == (on_hand, reserved + 2)
    act(shopper, page, "pay", **ADDRESS)
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    assert levels(session, "TMC-CRM-4-UNS") == (on_hand - 2, reserved)
    assert movements(session, order.id) == [("reserved", 0, 2), ("sold", -2, -2)]


def test_a_failed_payment_releases_what_checkout_reserved(shopper, session):
    before = levels(session, "TMC-CRM-4-UNS")
    shopper.add("TMC-CRM-4-UNS", 2)
    page = shopper.checkout().headers["Location"]
    act(shopper, page, "pay_later", **ADDRESS)
    act(shopper, page, "fail", **ADDRESS)
    order = latest_order(session)
    assert order.status is OrderStatus.cancelled
    assert levels(session, "TMC-CRM-4-UNS") == before
    assert movements(session, order.id) == [("reserved", 0, 2), ("released", 0, -2)]


def test_reserving_more_than_is_free_raises_out_of_stock_and_changes_nothing(session):
    target = variant_id(session, "TMC-STK-06-PEP")
    on_hand, reserved = levels(session, "TMC-STK-06-PEP")
    with pytest.raises(OutOfStock):
        reserve_stock(session, variant_id=target, quantity=on_hand - reserved + 1, order_id=1)
    assert levels(session, "TMC-STK-06-PEP") == (on_hand, reserved)


@pytest.mark.parametrize("move, words", [
    (lambda session, target: release_stock(session, variant_id=target, quantity=1, order_id=7),
     "Cannot release 1 reserved unit(s) of TMC-CRM-2-UNS"),
    (lambda session, target: sell_reserved_stock(session, variant_id=target, quantity=1, order_id=7),
     "Cannot sell 1 reserved unit(s) of TMC-CRM-2-UNS"),
])
def test_releasing_or_selling_units_never_reserved_raises_and_changes_nothing(session, move, words):
    target = variant_id(session, "TMC-CRM-2-UNS")
    before = levels(session, "TMC-CRM-2-UNS")
    assert before[1] == 0
    count = session.scalar(select(func.count(StockMovement.id)))
    with pytest.raises(StockError) as raised:
        move(session, target)
    assert str(raised.value).startswith(words) and "for order 7" in str(raised.value)
    assert raised.value.variant_id == target
    assert levels(session, "TMC-CRM-2-UNS") == before
    assert session.scalar(select(func.count(StockMovement.id))) == count


def test_releasing_more_than_an_order_holds_raises(session):
    target = variant_id(session, "TMC-CRM-2-UNS")
    reserve_stock(session, variant_id=target, quantity=1, order_id=7)
    with pytest.raises(StockError, match="it has .* on hand, 1 reserved"):
        release_stock(session, variant_id=target, quantity=2, order_id=7)
    release_stock(session, variant_id=target, quantity=1, order_id=7)
    assert levels(session, "TMC-CRM-2-UNS")[1] == 0


def test_restocking_a_variant_that_is_gone_raises(session):
    with pytest.raises(StockError, match="Cannot restock 1 sold unit.* variant 999999 no longer exists"):
        restock_sold(session, variant_id=999999, quantity=1, order_id=7, note="Order cancelled")
    assert not session.scalars(select(StockMovement).where(StockMovement.reason == StockReason.returned,
                                                           StockMovement.variant_id == 999999)).all()
