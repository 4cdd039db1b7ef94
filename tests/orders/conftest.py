"""Orders tests: orders placed and paid through the shop's own pages (the built-in test gateway)."""
import re

import pytest
from sqlalchemy import update

from app.orders.models import Order
from tests.conftest import ADDRESS, csrf_token_from, latest_order



@pytest.fixture
def place_order(shopper, session):
    """place_order(pay=False) -> an order checked out through the pages; paid on the test payment page if pay."""

    def place(sku: str = "TMC-CRM-4-UNS", quantity: int = 1, *, pay: bool = False) -> Order:
        shopper.add(sku, quantity)
        page = shopper.checkout().headers["Location"]
        assert re.search(r"/test-payments/test_cs_[\w-]+$", page), page
        if pay:
            token = csrf_token_from(shopper.client.get(page).get_data(as_text=True))
            shopper.client.post(page, data={"csrf_token": token, "action": "pay", **ADDRESS})
        return latest_order(session)

    return place


@pytest.fixture
def set_order(session):
    """set_order(order, **columns): put an order row in a given state, as a test's arrangement."""

    def update_order(order: Order, **values) -> Order:
        session.execute(update(Order).where(Order.id == order.id).values(**values))
        session.commit()
        session.expire_all()
        return session.get(Order, order.id)

    return update_order
