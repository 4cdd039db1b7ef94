"""Signed cookies and CSRF tokens are the ones Flask, Flask-WTF and itsdangerous make: cookies
and forms already in browsers keep working, and a forged token is refused."""
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeSerializer, URLSafeTimedSerializer

from tests.conftest import add, cart_lines, csrf_token_from, variant_by_sku


def _stock_session_serializer(app) -> URLSafeTimedSerializer:
    return SecureCookieSessionInterface().get_signing_serializer(app)


def test_the_pages_token_and_cookies_read_with_the_stock_serializers(app, client, session):
    page = client.get("/products/magnesium-body-cream")
    token = csrf_token_from(page.get_data(as_text=True))
    stored = _stock_session_serializer(app).loads(client.get_cookie("session").value)
    assert URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").loads(token) == stored["csrf_token"]

    assert add(client, token, variant_by_sku(session, "TMC-CRM-2-UNS").id).status_code == 303
    stock_cart_serializer = URLSafeSerializer(app.secret_key, salt="cart-token")
    cart_token = stock_cart_serializer.loads(client.get_cookie("cart").value)

    other_browser = app.test_client()
    other_browser.set_cookie("cart", stock_cart_serializer.dumps(cart_token))
    assert "2 oz / Unscented" in other_browser.get("/cart").get_data(as_text=True)


def test_a_session_and_token_signed_by_flask_wtf_itself_are_accepted(app, client, session):
    """A session cookie and a form made by the stock code before a deploy."""
    raw = "a" * 40
    client.set_cookie("session", _stock_session_serializer(app).dumps({"csrf_token": raw}))
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)

    assert add(client, token, variant_by_sku(session, "TMC-CRM-2-UNS").id, "2").status_code == 303
    assert cart_lines(session) == {"TMC-CRM-2-UNS": 2}


def test_a_token_with_a_forged_signature_is_refused(app, client, session):
    token = csrf_token_from(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = add(client, forged, variant_by_sku(session, "TMC-CRM-2-UNS").id)
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert cart_lines(session) == {}


def test_a_long_session_still_round_trips(app, client, session):
    """Past a hundred bytes the session is compressed, as Flask compresses it."""
    variant = variant_by_sku(session, "TMC-CRM-2-UNS")
    token = csrf_token_from(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    add(client, token, variant.id, "abc")  # a refused quantity: its message is flashed into the session
    cookie = client.get_cookie("session").value
    assert cookie.startswith(".")  # itsdangerous' mark of a compressed payload
    assert _stock_session_serializer(app).loads(cookie)["_flashes"]
    assert "whole number" in client.get("/cart").get_data(as_text=True)


def test_a_permanent_session_keeps_its_lifetime(client):
    with client.session_transaction() as stored:
        stored["note"] = "kept"
        stored.permanent = True
    [header] = client.get("/products/magnesium-body-cream").headers.getlist("Set-Cookie")
    assert "Expires=" in header
