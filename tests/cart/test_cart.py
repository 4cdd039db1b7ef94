"""The cart through HTTP: adding, changing, removing, and every kind of bad input."""
import re

import pytest
from sqlalchemy import func, select

from app import create_app
from app.accounts.services import register
from app.cart.models import Cart, CartLine
from app.catalog.models import Product, Variant
from tests.conftest import Shopper, add, cart_lines, make_config, sign_in_as, variant_by_sku








def flashes(client) -> str:
    return client.get("/cart").get_data(as_text=True)


def test_add_to_cart_creates_a_cart_and_shows_it(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    response = add(client, csrf_token(), variant.id, "2")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/cart")
    assert "cart=" in response.headers["Set-Cookie"]
    assert "HttpOnly" in response.headers["Set-Cookie"]
    html = client.get("/cart").get_data(as_text=True)
    assert "Magnesium Body Cream" in html
    assert "4 oz / Unscented" in html
    assert re.search(r'id="cart-subtotal">\$52\.00<', html)
    assert re.search(r'class="cart-count"[^>]*>2<', html)
    assert cart_lines(session) == {"TMC-CRM-4-UNS": 2}


def test_adding_the_same_variant_again_adds_to_its_line(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-2-UNS")
    token = csrf_token()
    add(client, token, variant.id, "2")
    add(client, token, variant.id, "3")
    assert cart_lines(session) == {"TMC-CRM-2-UNS": 5}


def test_totals_use_database_prices_not_form_values(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-2-UNS")
    add(client, csrf_token(), variant.id, "1", price_minor="1", price="0.01")
    html = client.get("/cart").get_data(as_text=True)
    assert re.search(r'id="cart-subtotal">\$16\.00<', html)


@pytest.mark.parametrize(
    "quantity, message",
    [
        ("", "Quantity must be a whole number from 1 to 10."),
        ("-1", "Quantity must be a whole number from 1 to 10."),
        ("0", "Quantity must be a whole number from 1 to 10."),
        ("abc", "Quantity must be a whole number from 1 to 10."),
        ("2.5", "Quantity must be a whole number from 1 to 10."),
        ("11", "Quantity must be a whole number from 1 to 10."),
        ("99999999999999999999999999", "Quantity must be a whole number from 1 to 10."),
    ],
)
def test_bad_quantity_is_refused_with_a_message_and_changes_nothing(client, session, csrf_token, quantity, message):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    response = add(client, csrf_token(), variant.id, quantity)
    assert response.status_code == 303
    assert message in flashes(client)
    assert session.scalar(select(func.count(CartLine.id))) == 0


def test_missing_quantity_field_is_refused(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    response = client.post("/cart/add", data={"csrf_token": csrf_token(), "variant_id": variant.id})
    assert response.status_code == 303
    assert "Quantity must be a whole number" in flashes(client)
    assert session.scalar(select(func.count(CartLine.id))) == 0


@pytest.mark.parametrize("variant_id", ["999999", "abc", "", "-3"])
def test_unknown_or_malformed_variant_is_refused(client, session, csrf_token, variant_id):
    response = add(client, csrf_token(), variant_id, "1")
    assert response.status_code == 303
    html = flashes(client)
    assert "Choose a size and scent." in html or "not available" in html
    assert session.scalar(select(func.count(CartLine.id))) == 0


def test_sold_out_variant_cannot_be_added(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-8-LAV")
    add(client, csrf_token(), variant.id, "1")
    assert "is sold out" in flashes(client)
    assert cart_lines(session) == {}


def test_inactive_variant_or_product_cannot_be_added(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    variant.is_active = False
    stick = variant_by_sku(session, "TMC-STK-06-PEP")
    stick.product.is_active = False
    session.commit()
    token = csrf_token("/products/magnesium-body-butter")
    add(client, token, variant.id, "1")
    add(client, token, stick.id, "1")
    assert "not available" in flashes(client)
    assert cart_lines(session) == {}


def test_quantity_can_never_exceed_stock(client, session, csrf_token):
    low = variant_by_sku(session, "TMC-CRM-2-LAV")  # 3 in stock
    token = csrf_token()
    add(client, token, low.id, "4")
    assert "only 3 left in stock" in flashes(client)
    add(client, token, low.id, "2")
    add(client, token, low.id, "2")
    assert "you already have 2 in your cart" in flashes(client)
    assert cart_lines(session) == {"TMC-CRM-2-LAV": 2}


def test_line_total_can_never_exceed_ten(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")  # 60 in stock
    token = csrf_token()
    add(client, token, variant.id, "8")
    add(client, token, variant.id, "3")
    assert "the limit is 10 per item" in flashes(client)
    assert cart_lines(session) == {"TMC-CRM-4-UNS": 8}


def test_change_quantity_and_remove(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-BTR-4-VAN")
    token = csrf_token()
    add(client, token, variant.id, "1")
    line_id = session.scalars(select(CartLine.id)).one()
    response = client.post(f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": "4"})
    assert response.status_code == 303
    assert cart_lines(session) == {"TMC-BTR-4-VAN": 4}
    assert re.search(r'id="cart-subtotal">\$96\.00<', client.get("/cart").get_data(as_text=True))
    for bad in ("-1", "x", "11", "", "2.5"):
        client.post(f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": bad})
        assert cart_lines(session) == {"TMC-BTR-4-VAN": 4}
        assert "from 0 (to remove the item) to 10" in flashes(client)
    client.post(f"/cart/lines/{line_id}/remove", data={"csrf_token": token})
    assert cart_lines(session) == {}
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_setting_a_lines_quantity_to_zero_removes_it(client, session, csrf_token):
    token = csrf_token()
    for sku in ("TMC-BTR-4-VAN", "TMC-CRM-4-UNS"):
        add(client, token, variant_by_sku(session, sku).id, "2")
    line_id = session.scalars(select(CartLine.id).join(CartLine.variant).where(Variant.sku == "TMC-BTR-4-VAN")).one()
    response = client.post(f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": "0"})
    assert response.status_code == 303
    assert cart_lines(session) == {"TMC-CRM-4-UNS": 2}
    assert "Removed Magnesium Body Butter" in flashes(client)


def test_changing_quantity_beyond_stock_is_refused(client, session, csrf_token):
    low = variant_by_sku(session, "TMC-CRM-2-LAV")
    token = csrf_token()
    add(client, token, low.id, "1")
    line_id = session.scalars(select(CartLine.id)).one()
    client.post(f"/cart/lines/{line_id}", data={"csrf_token": token, "quantity": "5"})
    assert "only 3 left in stock" in flashes(client)
    assert cart_lines(session) == {"TMC-CRM-2-LAV": 1}


def test_a_shopper_cannot_touch_another_shoppers_cart(app, session, csrf_token, client):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    add(client, csrf_token(), variant.id, "1")
    line_id = session.scalars(select(CartLine.id)).one()
    stranger = app.test_client()
    page = stranger.get("/products/magnesium-body-cream").get_data(as_text=True)
    stranger_token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    stranger.post(f"/cart/lines/{line_id}", data={"csrf_token": stranger_token, "quantity": "9"})
    stranger.post(f"/cart/lines/{line_id}/remove", data={"csrf_token": stranger_token})
    assert "no longer in your cart" in stranger.get("/cart").get_data(as_text=True)
    assert cart_lines(session) == {"TMC-CRM-4-UNS": 1}


def test_post_without_or_with_a_forged_csrf_token_is_refused(client, session):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    client.get("/products/magnesium-body-cream")
    for token in (None, "forged-token"):
        data = {"variant_id": variant.id, "quantity": "1"}
        if token:
            data["csrf_token"] = token
        response = client.post("/cart/add", data=data)
        assert response.status_code == 400
        assert "This form has expired" in response.get_data(as_text=True)
    assert cart_lines(session) == {}


def test_a_tampered_cart_cookie_is_ignored(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    add(client, csrf_token(), variant.id, "2")
    real_token = session.scalars(select(Cart.token)).one()
    client.set_cookie("cart", real_token)  # the raw token without a valid signature
    assert "Your cart is empty." in client.get("/cart").get_data(as_text=True)


def test_the_cart_survives_a_restart(client, session, csrf_token, migrated_database):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    add(client, csrf_token(), variant.id, "3")
    restarted = create_app(make_config(migrated_database))  # a new process, same database
    browser_after_restart = restarted.test_client()
    browser_after_restart.set_cookie("cart", client.get_cookie("cart").value)
    html = browser_after_restart.get("/cart").get_data(as_text=True)
    assert re.search(r'class="cart-count"[^>]*>3<', html)
    assert "4 oz / Unscented" in html


def test_price_and_stock_changes_since_adding_are_shown(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    add(client, csrf_token(), variant.id, "5")
    variant.price_minor = 2800
    variant.stock_on_hand = 2
    session.commit()
    html = client.get("/cart").get_data(as_text=True)
    assert "it was $26.00, it is now $28.00" in html
    assert "Only 2 left in stock. Please lower the quantity." in html
    assert re.search(r'id="cart-subtotal">\$140\.00<', html)


def test_a_line_whose_product_was_withdrawn_is_flagged(client, session, csrf_token):
    variant = variant_by_sku(session, "TMC-BTR-4-UNS")
    add(client, csrf_token(), variant.id, "1")
    session.scalars(select(Product).where(Product.slug == "magnesium-body-butter")).one().is_active = False
    session.commit()
    assert "no longer available" in client.get("/cart").get_data(as_text=True)


def test_cart_routes_refuse_get_and_unknown_lines(client, csrf_token):
    assert client.get("/cart/add").status_code == 405
    response = client.post("/cart/lines/123456", data={"csrf_token": csrf_token(), "quantity": "1"})
    assert response.status_code == 303
    assert "no longer in your cart" in flashes(client)


def test_a_refused_add_returns_to_the_product_with_the_choice_kept(client, session, csrf_token):
    low = variant_by_sku(session, "TMC-CRM-2-LAV")
    response = client.post("/cart/add", data={"csrf_token": csrf_token(), "variant_id": low.id, "quantity": "5"},
                           headers={"Referer": "http://localhost/products/magnesium-body-cream"})
    assert response.headers["Location"] == "/products/magnesium-body-cream?variant=TMC-CRM-2-LAV"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'name="variant_id" value="{low.id}"' in html
    assert "only 3 left in stock" in html


def test_a_cart_left_in_a_shared_browser_by_another_account_is_not_taken(app, session, shopper_account):
    register(session, email="first@example.com", password="first-password-1")
    session.commit()
    browser = Shopper(app.test_client(), session)
    sign_in_as(browser.client, "first@example.com", "first-password-1")
    browser.add("TMC-CRM-4-UNS", 2)
    browser.client.delete_cookie("session")  # the first person's session ends without signing out
    sign_in_as(browser.client, *shopper_account)
    first_cart = browser.cart_lines()
    assert first_cart == {"TMC-CRM-4-UNS": 2}  # still theirs, untouched
    assert "Your cart is empty." in browser.client.get("/cart").get_data(as_text=True)
