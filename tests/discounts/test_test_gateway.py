"""Without a Stripe key the shop's own test payment page stands in for Stripe: it shows the discount and
charges the order's total, and the order settles."""
import re

import pytest

from app.orders.models import OrderStatus
from tests.conftest import ADDRESS, act, latest_order


@pytest.fixture
def config_overrides(tmp_path) -> dict:  # no Stripe settings: the built-in test gateway
    return {"MAIL_OUTBOX_DIR": str(tmp_path / "outbox"), "UPLOAD_FOLDER": str(tmp_path / "uploads")}


def test_the_test_payment_page_shows_the_discount_and_the_order_settles(shopper, make_code, apply_code, session):
    make_code("SAVE10", percent_off=10)
    shopper.add("TMC-CRM-4-UNS", 1)
    apply_code("save10")
    page = shopper.checkout().headers["Location"]
    assert re.search(r"/test-payments/test_cs_[\w-]+$", page), page
    html = shopper.client.get(page).get_data(as_text=True)
    assert "Discount (SAVE10)" in html and 'id="order-total">$29.35' in html  # $26.00 - $2.60 + $5.95
    act(shopper, page, "pay", **ADDRESS)
    order = latest_order(session)
    assert order.status is OrderStatus.paid and order.amount_paid_minor == order.total_minor == 2935
