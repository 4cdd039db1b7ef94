"""Shopper accounts: register, sign in and out, password reset, cart merge, order history."""
import email
import email.policy
import re
import secrets
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from app.accounts.models import User
from app.cart.models import CartLine
from app.catalog.models import Variant
from app.extensions import limiter
from tests.conftest import csrf_token_from, sign_in_as


def form_post(client, path: str, **data):
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **data})


def test_register_by_emailed_link_then_sign_in_with_a_strong_hash(app, client, session):
    response = form_post(client, "/account/register", name="Robin", email="Robin@Example.com")
    assert response.status_code == 303 and response.headers["Location"] == "/account/sign-in"
    assert "sent an email to Robin@Example.com" in client.get("/account/sign-in").get_data(as_text=True)
    response = form_post(client, _emailed_link(app), password="a-long-password", confirm="a-long-password")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "Signed in as robin@example.com" in client.get("/account").get_data(as_text=True)
    user = session.scalars(select(User).where(User.email == "robin@example.com")).one()
    assert user.password_hash.startswith(("scrypt:", "argon2")) and "a-long-password" not in user.password_hash


def test_registering_a_known_email_looks_the_same_and_changes_nothing(app, client, session, shopper_account):
    new = form_post(client, "/account/register", email="fresh@example.com")
    known = form_post(client, "/account/register", email=shopper_account[0])
    assert new.status_code == known.status_code == 303
    assert new.headers["Location"] == known.headers["Location"]
    subjects = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)["Subject"]
                for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))]
    assert subjects == ["Finish creating your account", "You already have an account"]
    assert sign_in_as(app.test_client(), *shopper_account).status_code == 303  # old password still works


def test_new_passwords_must_be_long_enough(app, client):
    form_post(client, "/account/register", email="fresh@example.com")
    html = form_post(client, _emailed_link(app), password="short", confirm="short").get_data(as_text=True)
    assert "at least 10 characters" in html


def test_sign_in_errors_are_generic(client, shopper_account):
    wrong_password = sign_in_as(client, shopper_account[0], "wrong-password").get_data(as_text=True)
    unknown_email = sign_in_as(client, "nobody@example.com", "wrong-password").get_data(as_text=True)
    message = "That email and password don&#39;t match an account."
    assert message in wrong_password and message in unknown_email


def test_session_cookie_is_httponly_lax_and_renewed_on_sign_in(client, shopper_account):
    client.get("/account/sign-in")
    before = client.get_cookie("session").value
    response = sign_in_as(client, *shopper_account)
    cookie = response.headers.getlist("Set-Cookie")
    session_cookie = next(value for value in cookie if value.startswith("session="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie
    assert client.get_cookie("session").value != before


def test_sign_out_needs_post_and_forgets_the_cart(client, shopper_account, session):
    sign_in_as(client, *shopper_account)
    assert client.get("/account/sign-out").status_code == 405
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    response = client.post("/account/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert "cart=;" in " ".join(response.headers.getlist("Set-Cookie"))
    assert client.get("/account").status_code == 302


def _redis_or_skip() -> str:
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {url} is not reachable ({error}); .ci/run starts it")
    return url


@pytest.mark.parametrize("storage", ["memory", "redis"])
def test_sign_in_is_rate_limited(app, shopper_account, storage):
    if storage == "redis":  # what production uses with several workers: limits shared between them
        app.config.update(RATELIMIT_STORAGE_URI=_redis_or_skip(), RATELIMIT_KEY_PREFIX=secrets.token_hex(8))
        limiter.init_app(app)
    client = app.test_client()
    statuses = [sign_in_as(client, shopper_account[0], "wrong-password").status_code for _ in range(6)]
    assert statuses[:5] == [200] * 5
    assert statuses[5] == 429
    assert "Too many tries" in sign_in_as(client, *shopper_account).get_data(as_text=True)
    if storage == "redis":
        prefix = app.config["RATELIMIT_KEY_PREFIX"]
        assert redis.Redis.from_url(app.config["RATELIMIT_STORAGE_URI"]).keys(f"*{prefix}*")


def _emailed_link(app) -> str:
    mails = sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    message = email.message_from_bytes(mails[-1].read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/account/reset/\S+)", body).group(1)


def test_password_reset_by_emailed_link_works_once(app, client, shopper_account):
    response = form_post(client, "/account/reset", email=shopper_account[0])
    assert response.status_code == 303
    link = _emailed_link(app)
    response = form_post(client, link, password="brand-new-password", confirm="brand-new-password")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert sign_in_as(app.test_client(), shopper_account[0], "brand-new-password").status_code == 303
    reused = client.get(link)
    assert reused.status_code == 303
    assert "already been used" in client.get("/account/reset").get_data(as_text=True)


def test_password_reset_for_an_unknown_email_says_the_same_and_sends_nothing(app, client):
    response = form_post(client, "/account/reset", email="nobody@example.com")
    assert response.status_code == 303
    assert "If that email has an account" in client.get("/account/sign-in").get_data(as_text=True)
    assert not list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))


def test_password_reset_link_expires(app, client, shopper_account, monkeypatch):
    form_post(client, "/account/reset", email=shopper_account[0])
    link = _emailed_link(app)
    import app.accounts.services as account_services
    monkeypatch.setattr(account_services, "RESET_TOKEN_MAX_AGE_SECONDS", -1)
    client.get(link)
    assert "expired" in client.get("/account/reset").get_data(as_text=True)


def test_a_password_change_signs_out_other_sessions(app, client, shopper_account, session):
    other_device = app.test_client()
    sign_in_as(other_device, *shopper_account)
    assert other_device.get("/account").status_code == 200
    form_post(client, "/account/reset", email=shopper_account[0])
    form_post(client, _emailed_link(app), password="brand-new-password", confirm="brand-new-password")
    assert other_device.get("/account").status_code == 302


def test_next_parameter_cannot_send_you_to_another_site(client, shopper_account):
    token = csrf_token_from(client.get("/account/sign-in").get_data(as_text=True))
    for target in ("https://evil.example/", "//evil.example/x", "/account"):
        client.post("/account/sign-out", data={"csrf_token": token})
        token = csrf_token_from(client.get("/account/sign-in").get_data(as_text=True))
        response = client.post(f"/account/sign-in?next={target}",
                               data={"csrf_token": token, "email": shopper_account[0], "password": shopper_account[1]})
        assert response.headers["Location"] == "/account"
        token = csrf_token_from(client.get("/account").get_data(as_text=True))


def _add(client, session, sku: str, quantity: int):
    variant = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    token = csrf_token_from(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    client.post("/cart/add", data={"csrf_token": token, "variant_id": variant.id, "quantity": str(quantity)})


def test_guest_cart_merges_into_the_saved_cart_with_the_usual_caps(app, client, session, shopper_account):
    earlier_device = app.test_client()
    sign_in_as(earlier_device, *shopper_account)
    _add(earlier_device, session, "TMC-CRM-4-UNS", 7)
    _add(earlier_device, session, "TMC-CRM-2-LAV", 2)  # 3 in stock

    _add(client, session, "TMC-CRM-4-UNS", 6)  # 7 + 6 > 10: capped at 10
    _add(client, session, "TMC-CRM-2-LAV", 3)  # 2 + 3 > 3 in stock: capped at 3
    _add(client, session, "TMC-BTR-4-VAN", 1)
    sign_in_as(client, *shopper_account)
    lines = dict(session.execute(select(Variant.sku, CartLine.quantity).join(CartLine.variant)).all())
    assert lines == {"TMC-CRM-4-UNS": 10, "TMC-CRM-2-LAV": 3, "TMC-BTR-4-VAN": 1}
    assert re.search(r'class="cart-count"[^>]*>14<', client.get("/cart").get_data(as_text=True))


def test_account_shows_order_history_with_status(client, session, shopper_account):
    sign_in_as(client, *shopper_account)
    _add(client, session, "TMC-CRM-4-UNS", 1)
    token = csrf_token_from(client.get("/cart").get_data(as_text=True))
    client.post("/checkout", data={"csrf_token": token, "shipping": "standard"})
    html = client.get("/account").get_data(as_text=True)
    number = re.search(r'/account/orders/(TW-\w+)"', html).group(1)
    assert "Pending payment" in html
    assert client.get(f"/account/orders/{number}").status_code == 200


def test_a_shopper_cannot_see_someone_elses_order(app, client, session, shopper_account):
    sign_in_as(client, *shopper_account)
    _add(client, session, "TMC-CRM-4-UNS", 1)
    token = csrf_token_from(client.get("/cart").get_data(as_text=True))
    client.post("/checkout", data={"csrf_token": token, "shipping": "standard"})
    number = re.search(r'/account/orders/(TW-\w+)"', client.get("/account").get_data(as_text=True)).group(1)
    from app.accounts.services import register
    register(session, email="other@example.com", password="other-password-1")
    session.commit()
    stranger = app.test_client()
    sign_in_as(stranger, "other@example.com", "other-password-1")
    assert stranger.get(f"/account/orders/{number}").status_code == 404


def test_successful_sign_ins_do_not_use_up_the_limit(app, shopper_account):
    for _ in range(7):
        client = app.test_client()
        assert sign_in_as(client, *shopper_account).status_code == 303


def test_behind_a_proxy_each_shopper_has_their_own_limit(migrated_database, shopper_account):
    from app import create_app
    from tests.conftest import make_config

    proxied = create_app(make_config(migrated_database, TRUSTED_PROXY_COUNT=1))
    for address in ("203.0.113.7", "203.0.113.8"):
        client = proxied.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        # An email each: one email tried from both would meet its own limit (test_sign_in_limit_per_account).
        statuses = [sign_in_as(client, f"nobody-{address}@example.com", "wrong-password").status_code
                    for _ in range(6)]
        assert statuses == [200] * 5 + [429], address


def test_guest_orders_join_the_account_once_its_email_is_proven(app, client, session):
    _add(client, session, "TMC-CRM-4-UNS", 1)
    token = csrf_token_from(client.get("/cart").get_data(as_text=True))
    client.post("/checkout", data={"csrf_token": token, "shipping": "standard", "email": "Guest@Example.com"})
    form_post(client, "/account/register", email="guest@example.com")
    form_post(client, _emailed_link(app), password="a-long-password", confirm="a-long-password")
    assert re.search(r'/account/orders/TW-\w+"', client.get("/account").get_data(as_text=True))


def test_a_limited_form_says_how_many_tries_are_left_and_pages_do_not(app, client, shopper_account):
    """The limiter's after-request work runs only after a request that met a limit (app.extensions)."""
    first = sign_in_as(client, shopper_account[0], "wrong-password")
    second = sign_in_as(client, shopper_account[0], "wrong-password")
    assert int(first.headers["X-RateLimit-Remaining"]) == int(second.headers["X-RateLimit-Remaining"]) + 1
    assert "X-RateLimit-Limit" not in client.get("/products").headers
