"""The order page offers exactly the actions the order allows (Order.can_*), for an order in every
status; the table below is written out by hand, so it checks the transition table, not a copy of it."""
import pytest
from sqlalchemy import update

from app.db import utcnow
from app.orders.models import Order, OrderStatus

ACTIONS = ("ship", "refund", "cancel", "held-payment", "review")
S = OrderStatus
EXPECTED = [  # (status, shipped, flagged) -> the action forms shown
    (S.pending_payment, False, False, {"cancel"}),
    (S.payment_processing, False, False, set()),
    (S.payment_review, False, False, {"held-payment"}),
    (S.paid, False, False, {"ship", "refund", "cancel"}),
    (S.paid, False, True, {"refund", "cancel", "review"}),
    (S.shipped, True, False, {"refund"}),
    (S.partially_refunded, False, False, {"ship", "refund", "cancel"}),
    (S.partially_refunded, True, False, {"refund"}),
    (S.refunded, True, False, set()),
    (S.cancelled, False, False, set()),
]


@pytest.mark.parametrize(("status", "shipped", "flagged", "expected"), EXPECTED,
                         ids=[f"{s.value}{'-shipped' if sh else ''}{'-flagged' if f else ''}" for s, sh, f, _ in EXPECTED])
def test_the_order_page_shows_exactly_the_allowed_actions(sign_in, paid_order, session, status, shipped, flagged,
                                                           expected):
    refunded = {S.partially_refunded: 100, S.refunded: paid_order.amount_paid_minor}.get(status, 0)
    session.execute(update(Order).where(Order.id == paid_order.id).values(
        status=status, shipped_at=utcnow() if shipped else None, needs_review=flagged,
        review_reason="Disputed." if flagged else "", amount_refunded_minor=refunded))
    session.commit()
    html = sign_in("fulfilment").get(f"/admin/orders/{paid_order.number}").get_data(as_text=True)
    shown = {action for action in ACTIONS if f'action="/admin/orders/{paid_order.number}/{action}"' in html}
    assert shown == expected
    assert f'action="/admin/orders/{paid_order.number}/notes"' in html  # a note is always possible
