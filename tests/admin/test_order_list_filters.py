"""Issue 17: the staff order list hides abandoned checkouts (never paid) unless asked to show them."""
import re
from datetime import timedelta

import pytest

from app.db import utcnow
from app.orders.models import Order, OrderStatus


def _order(session, number: str, status: OrderStatus, *, paid: int = 0, expires_in_minutes: int = 30) -> Order:
    order = Order(number=number, status=status, email=f"{number.lower()}@example.com", currency="USD",
                  subtotal_minor=2600, shipping_minor=0, total_minor=2600, amount_paid_minor=paid,
                  shipping_method="standard", shipping_method_name="Standard shipping",
                  checkout_expires_at=utcnow() + timedelta(minutes=expires_in_minutes))
    session.add(order)
    return order


@pytest.fixture
def orders(session) -> dict[str, Order]:
    made = {
        "paid": _order(session, "TW-PAIDPAID", OrderStatus.paid, paid=2600),
        "open": _order(session, "TW-OPENOPEN", OrderStatus.pending_payment),
        "expired": _order(session, "TW-EXPIRED2", OrderStatus.pending_payment, expires_in_minutes=-90),
        "cancelled_unpaid": _order(session, "TW-GAVEUP22", OrderStatus.cancelled),
        "cancelled_refunded": _order(session, "TW-REFUNDED", OrderStatus.cancelled, paid=2600),
    }
    session.commit()
    return made


def test_abandoned_checkouts_are_hidden_by_default_and_shown_on_request(sign_in, orders):
    staff = sign_in("fulfilment")
    default = staff.get("/admin/orders").get_data(as_text=True)
    for kept in ("TW-PAIDPAID", "TW-OPENOPEN", "TW-REFUNDED"):  # a refunded cancellation had money: staff may need it
        assert kept in default
    for hidden in ("TW-EXPIRED2", "TW-GAVEUP22"):
        assert hidden not in default
    shown = staff.get("/admin/orders?abandoned=y").get_data(as_text=True)
    assert all(order.number in shown for order in orders.values())
    assert shown.count(">Abandoned</span>") == 2
    assert re.search(r'<input[^>]* checked [^>]*name="abandoned"', shown)  # the box stays ticked


def test_the_filter_combines_with_status_and_search(sign_in, orders):
    staff = sign_in("fulfilment")
    cancelled = staff.get("/admin/orders?status=cancelled").get_data(as_text=True)
    assert "TW-REFUNDED" in cancelled and "TW-GAVEUP22" not in cancelled
    assert "TW-GAVEUP22" in staff.get("/admin/orders?status=cancelled&abandoned=y").get_data(as_text=True)
    assert "No orders match." in staff.get("/admin/orders?q=TW-GAVEUP22").get_data(as_text=True)
    assert "TW-GAVEUP22" in staff.get("/admin/orders?q=TW-GAVEUP22&abandoned=y").get_data(as_text=True)
