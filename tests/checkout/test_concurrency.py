"""Races that must have one winner, run on PostgreSQL with real concurrent transactions."""
import re

from sqlalchemy import func, select

from app.cart.cookie import new_cart_token, signed_cart_token
from app.cart.models import Cart, CartLine
from app.catalog.models import StockMovement, Variant
from app.extensions import db
from app.orders.models import Order, OrderEvent, OrderStatus
from app.payments.models import PaymentEvent
from tests.conftest import (
    BUYERS, check_out_at_once, committed_cart, committed_checkout, postgres_only, run_at_once, send_signed,
)

pytestmark = postgres_only
LAST_UNITS = 5
DELIVERIES = 20


def test_fifty_buyers_for_the_last_five_units(committed_app):
    with committed_app.app_context():
        variant = db.session.scalars(select(Variant).where(Variant.sku == "TMC-CRM-4-UNS")).one()
        variant.stock_on_hand, variant.stock_reserved = LAST_UNITS, 0
        cookies = []
        for _ in range(BUYERS):
            cart = Cart(token=new_cart_token(), lines=[CartLine(variant=variant, quantity=1, seen_price_minor=variant.price_minor)])
            db.session.add(cart)
            cookies.append(signed_cart_token(cart.token))
        db.session.commit()
        variant_id = variant.id

    results = check_out_at_once(committed_app, cookies)
    paid_pages = [location for status, location in results if status == 303 and re.search(r"/pay/cs_test_", location)]
    sent_back = [location for status, location in results if status == 303 and location.endswith("/cart")]
    assert len(paid_pages) == LAST_UNITS, results
    assert len(sent_back) == BUYERS - LAST_UNITS, results

    with committed_app.app_context():
        variant = db.session.get(Variant, variant_id)
        assert (variant.stock_on_hand, variant.stock_reserved) == (LAST_UNITS, LAST_UNITS)
        assert db.session.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.pending_payment)) == LAST_UNITS
        reservations = db.session.scalar(select(func.sum(StockMovement.reserved_delta)).where(
            StockMovement.variant_id == variant_id, StockMovement.reason == "reserved"))
        assert reservations == LAST_UNITS


def test_twenty_simultaneous_deliveries_of_one_event_have_one_effect(committed_app, stripe_server):
    with committed_app.app_context():
        on_hand = db.session.scalars(select(Variant.stock_on_hand).where(Variant.sku == "TMC-BTR-4-UNS")).one()
    _, session_id = committed_checkout(committed_app, sku="TMC-BTR-4-UNS", quantity=2)
    stripe_server.complete(session_id)
    event = stripe_server.last_event("checkout.session.completed")

    def deliver(_):
        response = send_signed(committed_app.test_client(), event)
        return response.status_code, response.get_json()["outcome"]

    results = run_at_once(DELIVERIES, deliver)
    assert all(status == 200 for status, _ in results), results
    assert [outcome for _, outcome in results].count("order paid") == 1, results

    with committed_app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        assert db.session.scalar(select(func.count(PaymentEvent.id))) == 1
        assert db.session.scalar(select(func.count(OrderEvent.id)).where(
            OrderEvent.order_id == order.id, OrderEvent.kind == "paid")) == 1
        variant = db.session.scalars(select(Variant).where(Variant.sku == "TMC-BTR-4-UNS")).one()
        assert (variant.stock_on_hand, variant.stock_reserved) == (on_hand - 2, 0)


def test_twenty_simultaneous_checkouts_of_one_cart_open_one_payment_page(committed_app, stripe_server):
    """A double click or many tabs: one pending order, one provider session, the stock held once."""
    with committed_app.app_context():
        reserved = db.session.scalars(select(Variant.stock_reserved).where(Variant.sku == "TMC-STK-06-PEP")).one()
    cookie = committed_cart(committed_app, sku="TMC-STK-06-PEP")

    results = check_out_at_once(committed_app, [cookie] * DELIVERIES)
    pages = {location for status, location in results if re.search(r"/pay/cs_test_", location)}
    assert all(status == 303 for status, _ in results), results
    assert len(pages) == 1, results  # everyone who got a page got the same one
    with committed_app.app_context():
        orders = db.session.scalars(select(Order)).all()  # this test's database holds only this cart's
        assert [order.status for order in orders] == [OrderStatus.pending_payment]
        opened = [obj for obj in stripe_server.objects.values() if obj.get("object") == "checkout.session"
                  and obj["metadata"].get("order_number") == orders[0].number]
        assert len(opened) == 1 and opened[0]["url"] in pages
        variant = db.session.scalars(select(Variant).where(Variant.sku == "TMC-STK-06-PEP")).one()
        assert variant.stock_reserved == reserved + 1
