"""SHOP_URL pins the shop's public address: links use it, and other Host headers are refused."""
import email
import email.policy
from pathlib import Path

import pytest

from app import create_app
from tests.conftest import csrf_token_from, make_config, production_config

SHOP = "https://shop.example"


@pytest.fixture
def config_overrides(tmp_path) -> dict:
    return {"MAIL_OUTBOX_DIR": str(tmp_path / "outbox"), "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "SHOP_URL": SHOP, "EXTRA_HOSTS": ["10.0.0.7"]}


def test_a_forged_host_cannot_put_its_domain_into_a_password_reset_email(app, shopper_account):
    attacker = app.test_client()
    page = attacker.get("/account/reset", base_url="https://evil.example")
    assert page.status_code == 400
    # Even with the form token from the real site, the request under a forged Host is refused.
    token = csrf_token_from(attacker.get("/account/reset", base_url=SHOP).get_data(as_text=True))
    forged = attacker.post("/account/reset", base_url="https://evil.example",
                           data={"csrf_token": token, "email": shopper_account[0]})
    assert forged.status_code == 400
    assert not list(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))

    # Behind a TLS proxy that does not forward the scheme the request comes as http; links stay
    # https (the app takes SHOP_URL's scheme, so Flask-WTF checks the browser's Referer as on https).
    sent = attacker.post("/account/reset", base_url="http://shop.example",
                         headers={"Referer": f"{SHOP}/account/reset"},
                         data={"csrf_token": token, "email": shopper_account[0]})
    assert sent.status_code == 303
    [mail] = Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
    body = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
    assert f"{SHOP}/account/reset/" in body


def test_canonical_links_and_sitemap_use_the_public_address(app):
    client = app.test_client()
    # EXTRA_HOSTS lets a health check through by address; its pages still point to the shop.
    page = client.get("/products/magnesium-body-cream", base_url="http://10.0.0.7:8000")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<link rel="canonical" href="{SHOP}/products/magnesium-body-cream">' in html
    assert f'"{SHOP}/static/img/products/' in html  # the JSON-LD's images
    article = client.get("/learn/how-common-is-back-pain", base_url="http://10.0.0.7:8000").get_data(as_text=True)
    assert f'<link rel="canonical" href="{SHOP}/learn/how-common-is-back-pain">' in article
    sitemap = client.get("/sitemap.xml", base_url=SHOP).get_data(as_text=True)
    assert f"<loc>{SHOP}/products/magnesium-body-cream</loc>" in sitemap


@pytest.mark.parametrize(("shop_url", "server_name"), [
    ("https://shop.example:443/", "shop.example"), ("http://127.0.0.1:5099", "127.0.0.1:5099"),
])
def test_the_public_address_is_read_with_its_port_only_when_needed(shop_url, server_name):
    app = create_app(make_config(SHOP_URL=shop_url))
    assert app.config["SERVER_NAME"] == server_name
    assert app.test_client().get("/robots.txt", base_url=shop_url.rstrip("/")).status_code == 200


def test_an_international_domain_is_written_as_url_for_writes_it():
    app = create_app(make_config(SHOP_URL="https://bücher.example"))
    html = app.test_client().get("/products/magnesium-body-cream",
                                 base_url="https://xn--bcher-kva.example").get_data(as_text=True)
    assert '<link rel="canonical" href="https://xn--bcher-kva.example/products/magnesium-body-cream">' in html


@pytest.mark.parametrize("shop_url", ["shop.example", "https://shop.example/shop", "ftp://shop.example",
                                      "https://[::1]:8443", "https://" + "a" * 64 + ".example"])
def test_a_public_address_that_is_not_one_is_refused(shop_url):
    with pytest.raises(RuntimeError, match="SHOP_URL"):
        create_app(make_config(SHOP_URL=shop_url))


def test_production_starts_with_every_required_setting(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    assert create_app(production_config()).config["SHOP_SAFETY_EMAIL"] == "safety@tidewater.test"


def test_production_refuses_to_start_without_a_public_address(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match="SHOP_URL"):
        create_app(production_config(SHOP_URL=None))


@pytest.mark.parametrize(("settings", "named"), [({"MAIL_SERVER": None}, "MAIL_SERVER"),
                                                 ({"SHOP_SAFETY_EMAIL": "orders@tidewater.example"}, "SHOP_SAFETY_EMAIL"),
                                                 ({"MAIL_DEFAULT_SENDER": "Shop <orders@tidewater.example>"},
                                                  "MAIL_DEFAULT_SENDER")])
def test_production_refuses_to_start_without_mail_or_with_a_placeholder_address(monkeypatch, settings, named):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    with pytest.raises(RuntimeError, match=named):
        create_app(production_config(**settings))
