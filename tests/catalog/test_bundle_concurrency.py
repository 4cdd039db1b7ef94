"""A component shared by a set and sold on its own cannot be oversold, on PostgreSQL with real
concurrent transactions (the pattern of tests/checkout/test_concurrency.py)."""
import re

from sqlalchemy import func, select

from app.cart.cookie import new_cart_token, signed_cart_token
from app.cart.models import Cart, CartLine
from app.catalog.models import StockMovement, Variant
from app.extensions import db
from app.orders.models import Order, OrderStatus
from tests.conftest import BUYERS, check_out_at_once, postgres_only

pytestmark = postgres_only
LAST_UNITS = 5


def test_fifty_buyers_of_the_set_and_the_stick_share_the_last_five_sticks(committed_app):
    with committed_app.app_context():
        by_sku = {variant.sku: variant for variant in db.session.scalars(
            select(Variant).where(Variant.sku.in_(("TMC-SET-UNS", "TMC-STK-06-PEP", "TMC-CRM-4-UNS"))))}
        stick, cream = by_sku["TMC-STK-06-PEP"], by_sku["TMC-CRM-4-UNS"]
        stick.stock_on_hand, stick.stock_reserved = LAST_UNITS, 0
        cream_on_hand = cream.stock_on_hand
        cookies = []
        for index in range(BUYERS):
            wanted = by_sku["TMC-SET-UNS" if index % 2 else "TMC-STK-06-PEP"]
            cart = Cart(token=new_cart_token(),
                        lines=[CartLine(variant=wanted, quantity=1, seen_price_minor=wanted.price_minor)])
            db.session.add(cart)
            cookies.append(signed_cart_token(cart.token))
        db.session.commit()
        stick_id, cream_id = stick.id, cream.id

    results = check_out_at_once(committed_app, cookies)
    paid_pages = [location for status, location in results if status == 303 and re.search(r"/pay/cs_test_", location)]
    assert len(paid_pages) == LAST_UNITS, results

    with committed_app.app_context():
        stick, cream = db.session.get(Variant, stick_id), db.session.get(Variant, cream_id)
        assert (stick.stock_on_hand, stick.stock_reserved) == (LAST_UNITS, LAST_UNITS)
        pending = db.session.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.pending_payment))
        assert pending == LAST_UNITS
        sets_held = db.session.scalar(select(func.coalesce(func.sum(StockMovement.reserved_delta), 0)).where(
            StockMovement.variant_id == cream_id, StockMovement.reason == "reserved"))
        assert (cream.stock_on_hand, cream.stock_reserved) == (cream_on_hand, sets_held)
        sticks_held = db.session.scalar(select(func.sum(StockMovement.reserved_delta)).where(
            StockMovement.variant_id == stick_id, StockMovement.reason == "reserved"))
        assert sticks_held == LAST_UNITS
        assert db.session.get(Variant, stick_id).stock_available == 0
        assert db.session.scalars(select(Variant).where(Variant.sku == "TMC-SET-UNS")).one().stock_available == 0
