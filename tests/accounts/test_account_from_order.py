"""Issue 17, after purchase: a guest makes an account from the confirmation page with one tap."""
import re
import time

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select

from app.accounts.models import User
from tests.conftest import csrf_token_from, outbox, page_after



@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}  # the order is paid through the local Stripe server


TOKEN_FIELD = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def _offer(client, order) -> dict:
    """The one-tap form as the confirmation page shows it."""
    html = client.get(f"/checkout/success?session_id={order.checkout_session_id}").get_data(as_text=True)
    assert "Create my account" in html and order.email in html
    return {"csrf_token": csrf_token_from(html), "token": TOKEN_FIELD.search(html).group(1)}


def _token_signed_seconds_ago(app, number: str, seconds: int) -> str:
    class SignedEarlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - seconds

    return URLSafeTimedSerializer(app.secret_key, salt="order-status", signer=SignedEarlier).dumps(number)


def _link_in(message) -> str:
    return re.search(r"http://localhost(/account/reset/\S+)", message.get_body(("plain",)).get_content()).group(1)


def test_a_guest_creates_an_account_from_the_confirmation_and_finds_the_order_in_it(app, paid_order, shopper, session):
    client = shopper.client
    response = client.post("/account/from-order", data=_offer(client, paid_order))
    assert response.status_code == 303 and f"/orders/{paid_order.number}/status/" in response.headers["Location"]
    assert "sent you an email" in page_after(client, response)

    welcome = next(mail for mail in outbox(app) if mail["Subject"] == "Finish creating your account")
    assert welcome["To"] == "jo@example.com"
    link = _link_in(welcome)
    form = {"csrf_token": csrf_token_from(client.get(link).get_data(as_text=True)),
            "password": "a-long-password", "confirm": "a-long-password"}
    assert client.post(link, data=form).status_code == 303

    user = session.scalars(select(User).where(User.email == "jo@example.com")).one()
    session.refresh(paid_order)
    assert paid_order.user_id == user.id
    account = client.get("/account").get_data(as_text=True)
    assert paid_order.number in account
    assert client.get(f"/account/orders/{paid_order.number}").status_code == 200


def test_an_existing_account_is_told_by_email_only_and_the_page_says_the_same(app, paid_order, shopper, session,
                                                                                shopper_account):
    paid_order.email = shopper_account[0]
    session.commit()
    client = shopper.client
    page = page_after(client, client.post("/account/from-order", data=_offer(client, paid_order)))
    assert "sent you an email" in page
    subjects = [mail["Subject"] for mail in outbox(app) if mail["To"] == shopper_account[0]]
    assert subjects == ["You already have an account"]
    assert session.scalars(select(User).where(User.email == shopper_account[0])).one().name == "Casey"


def test_no_offer_when_signed_in_or_the_order_is_an_accounts(app, paid_order, shopper, session, shopper_account, sign_in):
    casey = sign_in(*shopper_account)
    success = f"/checkout/success?session_id={paid_order.checkout_session_id}"
    assert "Create my account" not in casey.get(success).get_data(as_text=True)
    paid_order.user_id = session.scalars(select(User.id).where(User.email == shopper_account[0])).one()
    session.commit()
    assert "Create my account" not in shopper.client.get(success).get_data(as_text=True)


def test_the_button_needs_a_real_order_token_and_is_rate_limited_per_order(app, paid_order, shopper):
    client = shopper.client
    offer = _offer(client, paid_order)
    assert client.post("/account/from-order", data={**offer, "token": offer["token"][:-2] + "xx"}).status_code == 400
    assert client.post("/account/from-order", data={**offer, "token": ""}).status_code == 400
    assert client.post("/account/from-order", data={"token": offer["token"]}).status_code == 400  # no CSRF token
    # The page makes a new token each time it is shown: the limit counts the order, not the token.
    tokens = [_token_signed_seconds_ago(app, paid_order.number, seconds) for seconds in (40, 30, 20, 10)]
    assert len(set(tokens)) == 4
    answers = [client.post("/account/from-order", data={**offer, "token": token}).status_code for token in tokens]
    assert answers == [303, 303, 303, 429]
    assert len([mail for mail in outbox(app) if mail["To"] == "jo@example.com"
                and mail["Subject"] == "Finish creating your account"]) == 1  # then "you already have one"
