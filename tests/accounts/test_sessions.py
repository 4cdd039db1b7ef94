"""Staying signed in: remember-me after the browser closes, and session protection."""
import re

from tests.conftest import add, csrf_token_from, variant_by_sku

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"}


def sign_in_remembered(client, email: str, password: str) -> None:
    token = csrf_token_from(client.get("/account/sign-in", headers=BROWSER).get_data(as_text=True))
    response = client.post("/account/sign-in", headers=BROWSER, data={
        "csrf_token": token, "email": email, "password": password, "remember": "y"})
    assert response.status_code == 303
    assert client.get_cookie("remember_token") is not None


def test_keep_me_signed_in_outlasts_a_closed_browser(app, shopper_account):
    client = app.test_client()
    sign_in_remembered(client, *shopper_account)
    client.delete_cookie("session")  # what closing the browser does to a session cookie

    for _ in range(3):  # Flask-Login used to clear the restored session on the second page
        page = client.get("/account", headers=BROWSER)
        assert page.status_code == 200
        assert shopper_account[0] in page.get_data(as_text=True)


def test_a_session_cookie_taken_to_another_browser_is_refused(app, shopper_account):
    client = app.test_client()
    sign_in_remembered(client, *shopper_account)
    assert client.get("/account", headers=BROWSER).status_code == 200

    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    response = thief.get("/account", headers={"User-Agent": "curl/8.0"})
    assert response.status_code == 302
    assert "/account/sign-in" in response.headers["Location"]


def test_a_visitor_without_cookies_is_asked_to_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert "/account/sign-in" in response.headers["Location"]
    assert "Sign in" in client.get("/products").get_data(as_text=True)


def test_a_guest_session_is_left_alone_from_page_to_page(client, session):
    """A guest's session holds only the CSRF token of the first form they saw: nothing to
    rewrite, and no remember-me cookie to delete, on the pages after it."""
    product_page = client.get("/products/magnesium-body-cream", headers=BROWSER)
    assert "session=" in product_page.headers["Set-Cookie"]
    token = csrf_token_from(product_page.get_data(as_text=True))

    for path in ("/products", "/learn", "/products/magnesium-body-cream", "/cart"):
        response = client.get(path, headers=BROWSER)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == [], path

    # The token from the first page still adds to the cart.
    added = add(client, token, variant_by_sku(session, "TMC-CRM-4-UNS").id, "1")
    assert added.status_code in (302, 303)
    assert re.search(r'class="cart-count"[^>]*>1<', client.get("/cart", headers=BROWSER).get_data(as_text=True))
