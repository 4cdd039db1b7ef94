"""Fifty shoppers race for a code limited to ten uses, on PostgreSQL with real concurrent transactions."""
import re

from sqlalchemy import func, select

from app.cart.cookie import new_cart_token, signed_cart_token
from app.cart.models import Cart, CartLine
from app.catalog.models import Variant
from app.discounts.models import DiscountCode, DiscountKind, DiscountUse, UseState
from app.extensions import db
from app.orders.models import Order, OrderStatus
from tests.conftest import BUYERS, check_out_at_once, postgres_only, run_at_once, send_signed

pytestmark = postgres_only
USES = 10
SKUS = ("TMC-CRM-2-UNS", "TMC-CRM-2-LAV", "TMC-CRM-4-UNS", "TMC-CRM-4-LAV", "TMC-CRM-8-UNS", "TMC-CRM-8-LAV",
        "TMC-BTR-4-UNS", "TMC-BTR-4-VAN", "TMC-STK-06-PEP")


def test_fifty_shoppers_racing_for_ten_uses_make_exactly_ten_paid_orders_with_the_code(committed_app, stripe_server):
    with committed_app.app_context():
        db.session.add(DiscountCode(code="TEN", kind=DiscountKind.percent, percent_off=10, usage_limit=USES,
                                    min_subtotal_minor=0, active=True, note=""))
        # Each buys a different item where it can: stock is not what they race for, nor its row locks.
        variants = list(db.session.scalars(select(Variant).where(Variant.sku.in_(SKUS))))
        for variant in variants:
            variant.stock_on_hand, variant.stock_reserved = BUYERS, 0
        cookies = []
        for index in range(BUYERS):
            variant = variants[index % len(variants)]
            cart = Cart(token=new_cart_token(), discount_code="TEN",
                        lines=[CartLine(variant=variant, quantity=1, seen_price_minor=variant.price_minor)])
            db.session.add(cart)
            cookies.append(signed_cart_token(cart.token))
        db.session.commit()

    results = check_out_at_once(committed_app, cookies)
    payment_pages = [location for status, location in results if status == 303 and re.search(r"/pay/cs_test_", location)]
    sent_back = [location for status, location in results if status == 303 and location.endswith("/cart")]
    assert len(payment_pages) == USES, results
    assert len(sent_back) == BUYERS - USES, results

    def pay(index: int) -> str:
        session_id = re.search(r"/pay/(cs_test_\w+)", payment_pages[index]).group(1)
        session = stripe_server.complete(session_id)
        event = next(event for event in reversed(stripe_server.events)
                     if event["type"] == "checkout.session.completed" and event["data"]["object"]["id"] == session_id)
        return session["amount_total"], send_signed(committed_app.test_client(), event).get_json()["outcome"]

    charged = run_at_once(USES, pay)
    assert [outcome for _, outcome in charged] == ["order paid"] * USES

    with committed_app.app_context():
        orders = list(db.session.scalars(select(Order)))
        assert len(orders) == USES  # the other forty never opened a checkout
        assert all(order.status is OrderStatus.paid and order.discount_code == "TEN"
                   and order.discount_minor == (order.subtotal_minor + 5) // 10 for order in orders)
        assert sorted(order.amount_paid_minor for order in orders) == sorted(amount for amount, _ in charged)
        assert all(order.amount_paid_minor == order.total_minor for order in orders)
        uses = db.session.execute(select(DiscountUse.state, func.count()).group_by(DiscountUse.state)).all()
        assert dict(uses) == {UseState.used: USES}
