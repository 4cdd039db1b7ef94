"""Invitations: only after shipping (and REVIEW_INVITATION_DAYS), once per order, only to the buyer,
never for refunded or cancelled orders; the link needs no sign-in and refuses tampering and age."""
from datetime import timedelta

from sqlalchemy import func, select, update

from app.db import utcnow
from app.orders.models import Order, OrderStatus
from app.reviews.models import ReviewInvitation
from tests.conftest import page_after, post, ship
from tests.reviews.conftest import invitation_to, invitations, review_link, send_invitations


def test_no_invitation_before_the_order_ships(app, paid_order):
    assert "Sent 0 review invitation(s)" in send_invitations(app)
    assert invitations(app) == []


def test_no_invitation_until_the_configured_days_after_shipping(app, paid_order, fulfilment, session):
    ship(fulfilment, paid_order)
    session.execute(update(Order).where(Order.id == paid_order.id).values(shipped_at=utcnow() - timedelta(days=6)))
    session.commit()
    send_invitations(app)
    assert invitations(app) == []
    session.execute(update(Order).where(Order.id == paid_order.id).values(shipped_at=utcnow() - timedelta(days=7, minutes=1)))
    session.commit()
    send_invitations(app)
    assert len(invitations(app)) == 1


def test_the_buyer_is_invited_once_with_a_link_that_needs_no_sign_in(app, shipped_order, session):
    assert "Sent 1 review invitation(s)" in send_invitations(app)
    assert "Sent 0 review invitation(s)" in send_invitations(app)  # cron again: nothing new
    [invitation] = invitations(app)
    assert invitation["To"] == shipped_order.email == "jo@example.com"
    assert "Magnesium Body Cream" in invitation.get_body(("plain",)).get_content()
    assert invitation.get_body(("html",)) is not None
    assert session.scalar(select(func.count(ReviewInvitation.id))) == 1
    page = app.test_client().get(review_link(invitation))  # a fresh browser, signed in as no one
    assert page.status_code == 200
    assert f"Review your order {shipped_order.number}" in page.get_data(as_text=True)
    assert "Review Magnesium Body Cream" in page.get_data(as_text=True)


def test_no_invitation_for_an_order_refunded_after_shipping(app, paid_order, fulfilment, session):
    ship(fulfilment, paid_order)
    paid = f"{paid_order.amount_paid_minor / 100:.2f}"
    page_after(fulfilment, post(fulfilment, f"/admin/orders/{paid_order.number}/refund", amount=paid,
                                confirm_refund="y"))
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.refunded
    session.execute(update(Order).where(Order.id == paid_order.id).values(shipped_at=utcnow() - timedelta(days=8)))
    session.commit()
    send_invitations(app)
    assert invitations(app) == []


def test_no_invitation_for_a_cancelled_order(app, paid_order, fulfilment, session):
    page_after(fulfilment, post(fulfilment, f"/admin/orders/{paid_order.number}/cancel", confirm_cancel="y"))
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.cancelled
    send_invitations(app)
    assert invitations(app) == []


def test_a_link_refunded_after_the_invitation_no_longer_takes_reviews(app, shipped_order, fulfilment, session):
    send_invitations(app)
    link = review_link(invitations(app)[0])
    paid = f"{shipped_order.amount_paid_minor / 100:.2f}"
    post(fulfilment, f"/admin/orders/{shipped_order.number}/refund", amount=paid, confirm_refund="y")
    html = app.test_client().get(link).get_data(as_text=True)
    assert "not for refunded or cancelled orders" in html
    assert "Review Magnesium Body Cream" not in html


def test_a_tampered_link_is_refused(app, shipped_order):
    send_invitations(app)
    link = review_link(invitations(app)[0])
    token = link.split("/")[2]
    client = app.test_client()
    # A character changed inside the token: the last one may carry only unused base64 bits.
    middle = len(token) // 2
    changed = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1:]
    for bad in (changed, token[:10] + token[11:], "x" + token, "not-a-token"):
        response = client.get(f"/reviews/{bad}")
        assert response.status_code == 400
        assert "This review link is not valid" in response.get_data(as_text=True)


def test_a_link_cannot_review_another_buyers_order(app, buy):
    mine = buy("TMC-CRM-4-UNS", email="jo@example.com")
    theirs = buy("TMC-BTR-4-UNS", email="sam@example.com")
    link = invitation_to(app, mine)
    client = app.test_client()
    response = client.get(f"{link}/items/{theirs.lines[0].id}")
    assert response.status_code == 303
    assert "That item is not one you can review from this order." in page_after(client, response)
    assert client.get(f"{link}/items/{mine.lines[0].id}").status_code == 200


def test_an_expired_link_is_refused(app, shipped_order):
    send_invitations(app)
    link = review_link(invitations(app)[0])
    app.config["REVIEW_LINK_MAX_AGE_DAYS"] = -1  # as if the 60 days had passed
    response = app.test_client().get(link)
    assert response.status_code == 400
    assert "This review link has expired" in response.get_data(as_text=True)
