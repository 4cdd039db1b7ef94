"""Cache-Control: pages never in a shared cache, personal pages never stored, static files kept for
a year under a URL that changes with their content (app/caching.py)."""
import gzip
import re
import subprocess
import sys

import brotli
import pytest

from app import create_app
from tests.conftest import STATIC, fingerprinted_url, production_config

STATIC_LINK = re.compile(r'(?:href|src)="(/static/([^"?]+)[^"]*)"')


def static_links(html: str) -> list[tuple[str, str]]:
    links = STATIC_LINK.findall(html)
    assert links, "the page links no static file"
    return links


@pytest.mark.parametrize("path", ["/", "/products", "/products/magnesium-body-cream", "/learn",
                                  "/learn/how-common-is-back-pain", "/pages/shipping", "/no-such-page"])
def test_shop_pages_may_be_kept_by_the_browser_but_never_by_a_shared_cache(client, path):
    response = client.get(path)
    assert response.headers.getlist("Cache-Control") == ["private, no-cache"]
    assert "X-Robots-Tag" not in response.headers


def test_pages_with_a_shoppers_details_are_never_stored_and_private_ones_not_indexed(client, csrf_token, sign_in, shopper_account):
    token = csrf_token()
    client.post("/cart/add", data={"csrf_token": token, "variant_id": "1", "quantity": "1"})
    shopper = sign_in(*shopper_account)
    staff = sign_in("admin")
    for browser, path in [(client, "/cart"), (client, "/contact"), (client, "/checkout"), (client, "/account/sign-in"),
                          (shopper, "/account"), (staff, "/admin/orders"), (shopper, "/admin/orders")]:
        response = browser.get(path)
        assert response.status_code in (200, 302, 303, 403), (path, response.status_code)
        assert response.headers.getlist("Cache-Control") == ["private, no-store"], path
        # The cart and the contact page stay indexable, as robots.txt lets crawlers in; the rest are not.
        assert response.headers.get("X-Robots-Tag") == (None if path in ("/cart", "/contact") else "noindex"), path


def test_static_files_are_linked_by_their_contents_fingerprint_and_kept_for_a_year(client):
    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    links = static_links(html)
    assert {"css/site.css", "js/product.js"} <= {name for _url, name in links}
    assert any(name.startswith("img/products/") for _url, name in links)  # product images too
    for url, name in links:
        assert url == fingerprinted_url(name)
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable", url


@pytest.mark.parametrize("query", ["", "?v=", "?v=0123456789ab"])
def test_a_static_file_asked_for_without_its_current_fingerprint_is_checked_each_time(client, query):
    response = client.get(f"/static/css/site.css{query}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"


def test_development_checks_static_files_each_time_as_they_change_without_a_restart(app, client):
    url, _name = static_links(client.get("/").get_data(as_text=True))[0]
    app.debug = True
    assert client.get(url).headers["Cache-Control"] == "no-cache"


@pytest.fixture
def production_client(monkeypatch):
    """The production app's client, static files compressed first as `make static` does."""
    monkeypatch.setenv("DATABASE_URL", "sqlite://")
    subprocess.run([sys.executable, "-m", "whitenoise.compress", "--quiet", str(STATIC)], check=True)
    app = create_app(production_config())
    client = app.test_client()
    return lambda url, **kwargs: client.get(url, base_url=app.config["SHOP_URL"], **kwargs)


@pytest.mark.parametrize(("encoding", "decompress"), [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_production_serves_static_files_precompressed_and_fingerprinted_ones_for_good(production_client, encoding,
                                                                                     decompress):
    original = (STATIC / "css/site.css").read_bytes()
    response = production_client(fingerprinted_url("css/site.css"), headers={"Accept-Encoding": encoding})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == encoding
    assert decompress(response.get_data()) == original
    assert response.headers["Cache-Control"] == "max-age=315360000, public, immutable"
    assert response.headers["X-Content-Type-Options"] == "nosniff"  # the shop's headers still apply
    for url in ("/static/css/site.css", "/static/css/site.css?v=0123456789ab"):
        response = production_client(url)
        assert (response.get_data(), response.headers["Cache-Control"]) == (original, "max-age=0, public")
    assert production_client("/static/no-such-file.css").status_code == 404
