"""The session cookie (app/sessions.py) is written as Flask writes it, whatever the cookie settings."""
import pytest
from flask.sessions import SecureCookieSessionInterface
from werkzeug.http import dump_cookie

SETTINGS = {
    "defaults": {},
    "everything set": {"SESSION_COOKIE_DOMAIN": "shop.example", "SESSION_COOKIE_PATH": "/store",
                       "SESSION_COOKIE_SECURE": False, "SESSION_COOKIE_HTTPONLY": False,
                       "SESSION_COOKIE_SAMESITE": "Strict", "SESSION_COOKIE_PARTITIONED": True},
}


@pytest.fixture(params=SETTINGS.values(), ids=SETTINGS.keys())
def config_overrides(request, tmp_path) -> dict:
    return {"MAIL_OUTBOX_DIR": str(tmp_path / "outbox"), "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            **request.param}


def test_the_session_cookie_is_the_one_flask_writes(app, client):
    response = client.get("/products/magnesium-body-cream")  # its form stores a CSRF token
    [header] = response.headers.getlist("Set-Cookie")
    value = header.split(";")[0].removeprefix("session=")
    stock = SecureCookieSessionInterface()
    assert "csrf_token" in stock.get_signing_serializer(app).loads(value)
    assert header == dump_cookie(
        "session", value, domain=stock.get_cookie_domain(app), path=stock.get_cookie_path(app),
        secure=stock.get_cookie_secure(app), httponly=stock.get_cookie_httponly(app),
        samesite=stock.get_cookie_samesite(app), partitioned=stock.get_cookie_partitioned(app))
    assert response.headers.getlist("Vary") == ["Cookie"]

