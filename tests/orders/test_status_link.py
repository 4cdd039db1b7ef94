"""Issue 17: the order emails' link to the order's page, signed for guests, opens that order only, read-only."""
import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from app.orders.status_link import STATUS_LINK_DAYS
from tests.conftest import latest_order, outbox, session_id_from


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


def _status_path(app) -> str:
    confirmation = next(mail for mail in outbox(app) if "is confirmed" in mail["Subject"])
    html = confirmation.get_body(("html",)).get_content()
    text = confirmation.get_body(("plain",)).get_content()
    path = re.search(r'href="http://localhost(/orders/[^"]+/status/[^"]+)"', html).group(1)
    assert f"http://localhost{path}" in text  # the same link in both parts
    return path


def test_a_guest_opens_the_order_from_the_emailed_link_without_signing_in(app, paid_order):
    path = _status_path(app)
    stranger = app.test_client()  # another browser: no session, no cookies
    response = stranger.get(path)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"Order {paid_order.number}" in html and "Paid" in html
    assert paid_order.email not in html  # a forwarded link shows no more than the account's order page
    assert "All your orders" not in html
    assert "no-store" in response.headers["Cache-Control"] and 'content="noindex"' in html
    assert stranger.post(path).status_code == 405  # read-only


def test_a_tampered_or_other_orders_token_opens_nothing(app, paid_order, shopper, stripe_server, deliver, session):
    path = _status_path(app)
    prefix, token = path.rsplit("/", 1)
    client = app.test_client()
    assert client.get(f"{prefix}/{token[:-3]}abc").status_code == 404
    assert client.get(f"{prefix}/{token}x").status_code == 404
    assert client.get(f"{prefix}/not-a-token").status_code == 404
    other_number = "TW-" + ("A" * 8 if paid_order.number != "TW-AAAAAAAA" else "B" * 8)
    assert client.get(path.replace(paid_order.number, other_number)).status_code == 404


def test_a_token_for_one_order_does_not_open_another(app, paid_order, shopper, stripe_server, deliver, session):
    first_path = _status_path(app)
    shopper.add("TMC-CRM-2-UNS", 1)
    session_id = session_id_from(shopper.checkout(email="jo@example.com"))
    stripe_server.complete(session_id, email="jo@example.com")
    deliver(stripe_server.last_event("checkout.session.completed"))
    second = latest_order(session)
    first_token = first_path.rsplit("/", 1)[1]
    assert app.test_client().get(f"/orders/{second.number}/status/{first_token}").status_code == 404


def test_a_link_past_its_months_says_it_has_expired(app, paid_order):
    class SignedLongAgo(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - (STATUS_LINK_DAYS + 1) * 24 * 60 * 60

    old = URLSafeTimedSerializer(app.secret_key, salt="order-status", signer=SignedLongAgo).dumps(paid_order.number)
    response = app.test_client().get(f"/orders/{paid_order.number}/status/{old}")
    assert response.status_code == 410 and "This link has expired" in response.get_data(as_text=True)
    fresh = URLSafeTimedSerializer(app.secret_key, salt="order-status").dumps(paid_order.number)
    assert app.test_client().get(f"/orders/{paid_order.number}/status/{fresh}").status_code == 200
