"""SHOP_URL pins the shop's public address: links use it, and other Host headers are refused."""
import email
import email.policy
from pathlib import Path

import pytest

from app import create_app
from config import ProductionConfig
from tests.conftest import csrf_token_from

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

    sent = attacker.post("/account/reset", base_url=SHOP, headers={"Referer": f"{SHOP}/account/reset"},
                         data={"csrf_token": token, "email": shopper_account[0]})
    assert sent.status_code == 303
    [mail] = Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml")
    body = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
    assert f"{SHOP}/account/reset/" in body


def test_canonical_links_and_sitemap_use_the_public_address(app):
    client = app.test_client()
    # EXTRA_HOSTS lets a health check through by address; its pages still point to the shop.
    page = client.get("/products/magnesium-relief-cream", base_url="https://10.0.0.7:8443")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'<link rel="canonical" href="{SHOP}/products/magnesium-relief-cream">' in html
    assert f'"{SHOP}/static/img/products/' in html  # the JSON-LD's images
    sitemap = client.get("/sitemap.xml", base_url=SHOP).get_data(as_text=True)
    assert f"<loc>{SHOP}/products/magnesium-relief-cream</loc>" in sitemap


def test_production_refuses_to_start_without_a_public_address(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    config = type("Prod", (ProductionConfig,), {"SECRET_KEY": "x" * 40, "STRIPE_SECRET_KEY": "sk_live_x",
                                                "STRIPE_WEBHOOK_SECRET": "whsec_x", "SHOP_URL": None})
    with pytest.raises(RuntimeError, match="SHOP_URL"):
        create_app(config)
