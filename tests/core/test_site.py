"""Site-wide behaviour: home, health check, sitemap, robots, headers, error pages."""
import re
from xml.etree import ElementTree

import pytest
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

import app.core.routes as core_routes
from app.catalog.models import Product
from app.content.models import Article
from tests.conftest import card_titles


def test_home_has_hero_featured_products_and_learn_links(client):
    html = client.get("/").get_data(as_text=True)
    assert "<h1>" in html
    assert html.count('class="card product-card"') >= 3
    assert re.search(r'href="/learn/[a-z0-9-]+"', html)
    assert 'href="/learn"' in html


def test_layout_has_landmarks_skip_link_and_cart_count(client):
    html = client.get("/products").get_data(as_text=True)
    assert 'class="skip-link" href="#main"' in html
    for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
        assert landmark in html
    assert re.search(r'class="cart-count"[^>]*>0<', html)


def test_healthz_answers_without_asking_the_database(client, count_queries):
    with count_queries() as counter:
        response = client.get("/healthz")
    assert (response.status_code, response.get_json(), counter.count) == (200, {"status": "ok"}, 0)


def test_sitemap_lists_products_articles_and_pages(client):
    response = client.get("/sitemap.xml")
    assert response.mimetype == "application/xml"
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    urls = [loc.text for loc in ElementTree.fromstring(response.data).findall("s:url/s:loc", namespace)]
    assert "http://localhost/products/magnesium-body-cream" in urls
    assert "http://localhost/learn/how-common-is-back-pain" in urls
    assert "http://localhost/pages/shipping" in urls
    assert not any("/cart" in url for url in urls)


def test_robots_points_to_the_sitemap_and_keeps_crawlers_out_of_private_pages(client):
    text = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in text
    for private in ("/checkout", "/account", "/admin"):
        assert f"Disallow: {private}" in text


def test_favicon_ico_leads_to_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


@pytest.mark.parametrize(("path", "location"), [("/products/", "/products"),
                                                ("/learn/how-common-is-back-pain/?ref=mail",
                                                 "/learn/how-common-is-back-pain?ref=mail"),
                                                ("/cart//", "/cart"),
                                                ("/products/Magnesium-Body-Cream?variant=TMC-CRM-4-LAV",
                                                 "/products/magnesium-body-cream?variant=TMC-CRM-4-LAV"),
                                                ("/learn/How-Common-Is-Back-Pain/", "/learn/how-common-is-back-pain"),
                                                ("/pages/SHIPPING", "/pages/shipping")])
def test_a_trailing_slash_or_a_slug_in_capitals_leads_to_the_page(client, path, location):
    response = client.get(path)
    assert (response.status_code, response.headers.get("Location")) == (301, location)
    assert client.get(location).status_code == 200


@pytest.mark.parametrize("path", ["/no-such-page/", "//evil.example/", "///evil.example/", "/Products"])
def test_a_trailing_slash_on_no_page_or_another_sites_address_stays_a_404(client, path):
    response = client.get(environ_overrides={"PATH_INFO": path})  # as sent, not read as a host
    assert "Location" not in response.headers
    assert response.status_code in (400, 404)


@pytest.mark.parametrize(("path", "location"), [("/products/a%3Fb/", "/products/a%3Fb"),
                                                ("/products/a%23b/", "/products/a%23b"),
                                                ("/learn/caf%C3%A9/", "/learn/caf%C3%A9")])
def test_a_tidied_address_keeps_its_encoded_characters_encoded(client, path, location):
    response = client.get(path)
    assert (response.status_code, response.headers["Location"]) == (301, location)
    assert "Set-Cookie" not in response.headers


def test_a_path_with_cr_lf_is_refused_before_any_redirect(client):
    # The input boundary (app/inputs.py) answers 400 for control characters in the path.
    response = client.get("/learn/x%0d%0aSet-Cookie:a=b/")
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers and "Location" not in response.headers


def test_a_redirect_keeps_the_query_as_sent_and_escapes_bytes_a_browser_would_have(client):
    response = client.get("/products/", environ_overrides={"QUERY_STRING": "q=caf\xc3\xa9&x=%FF&y=a%20b+c"})
    assert response.headers["Location"] == "/products?q=caf%C3%A9&x=%FF&y=a%20b+c"


def test_a_slug_in_capitals_of_no_product_ends_at_the_404_of_its_lower_case_address(client):
    response = client.get("/products/No-Such-Cream")
    assert (response.status_code, response.headers["Location"]) == (301, "/products/no-such-cream")
    assert client.get("/products/no-such-cream").status_code == 404


def test_a_form_posted_to_an_address_with_a_trailing_slash_is_not_redirected(client, csrf_token):
    response = client.post("/cart/add/", data={"csrf_token": csrf_token(), "variant_id": "1"})
    assert response.status_code == 404


@pytest.mark.parametrize(("path", "canonical"), [("/", "http://localhost/"),
                                                 ("/products?sort=x", "http://localhost/products"),
                                                 ("/learn", "http://localhost/learn")])
def test_listing_pages_name_their_canonical_address(client, path, canonical):
    assert f'<link rel="canonical" href="{canonical}">' in client.get(path).get_data(as_text=True)


def test_security_headers_on_pages_and_errors(client):
    for path in ("/", "/no-such-page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_inline_scripts_or_styles_in_pages(client):
    for path in ("/", "/products", "/products/magnesium-body-cream", "/learn", "/cart"):
        html = client.get(path).get_data(as_text=True)
        for script in re.findall(r"<script([^>]*)>", html):
            assert "src=" in script or 'type="application/ld+json"' in script, (path, script)
        assert " style=" not in html and "<style" not in html, path


def test_an_unexpected_error_shows_the_styled_500_page(app, client):
    @app.get("/boom")
    def boom():
        raise RuntimeError("kaboom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "kaboom" not in html


def test_the_500_page_still_renders_when_the_database_is_down_for_a_signed_in_shopper(
        app, client, shopper_account, monkeypatch):
    from tests.conftest import sign_in_as

    sign_in_as(client, *shopper_account)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def database_down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(core_routes.db.session, "get", database_down)
    response = client.get("/account")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.get_data(as_text=True)


def test_home_shows_featured_products_and_the_first_three_articles_in_staff_order(client, session):
    """Home reads both lists in one query and orders them itself: check it orders them as staff set."""
    products = session.scalars(select(Product).where(Product.is_active.is_(True)).order_by(Product.name)).all()
    for position, product in enumerate(reversed(products)):
        product.position, product.is_featured = position, True
    products[0].is_featured = False
    articles = session.scalars(select(Article).order_by(Article.title)).all()
    for position, article in enumerate(reversed(articles)):
        article.position = position
    articles[-1].is_published = False
    session.commit()

    cards = card_titles(client.get("/").get_data(as_text=True))
    expected_products = [escape(product.name) for product in reversed(products[1:])]
    expected_articles = [escape(article.title) for article in reversed(articles[:-1])][:3]
    assert cards == expected_products + expected_articles


def test_article_shows_cards_for_its_active_products_in_shop_order(client, session):
    article = session.scalars(select(Article).where(Article.slug == "how-common-is-back-pain")).one()
    products = session.scalars(select(Product).order_by(Product.name)).all()
    for position, product in enumerate(reversed(products)):
        product.position = position
    products[0].is_active = False
    article.products = products
    other = session.scalars(select(Article).where(Article.slug != article.slug)).first()
    other.products = []
    session.commit()

    html = client.get("/learn/how-common-is-back-pain").get_data(as_text=True)
    assert card_titles(html) == [escape(product.name) for product in reversed(products[1:])]
    assert "From our shop" not in client.get(f"/learn/{other.slug}").get_data(as_text=True)
