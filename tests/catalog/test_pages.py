"""The catalogue as a shopper sees it: list, product page, variants, stock states, 404s."""
import json
import re

from markupsafe import escape
from sqlalchemy import select

from app.catalog.models import Product, ProductImage, Variant
from app.content.models import Article
from tests.conftest import card_titles


def _json_ld(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert match, "no JSON-LD on the page"
    return json.loads(match.group(1))


def test_product_list_shows_every_active_product_with_its_price(client):
    html = client.get("/products").get_data(as_text=True)
    assert "Magnesium Body Cream" in html
    assert "Magnesium Body Butter" in html
    assert "From $16.00" in html  # cheapest cream variant
    assert 'href="/products/magnesium-travel-stick"' in html


def test_inactive_product_is_hidden_and_its_page_is_a_styled_404(client, session):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-butter")).one()
    product.is_active = False
    session.commit()
    assert "Magnesium Body Butter" not in client.get("/products").get_data(as_text=True)
    response = client.get("/products/magnesium-body-butter")
    assert response.status_code == 404
    assert "find that page" in response.get_data(as_text=True)


def chosen(html: str) -> dict[str, str]:
    """The Size and Scent radios checked on a product page."""
    return dict(re.findall(r'name="(size|scent)" value="([^"]+)"\s+checked', html))


def selected_price(html: str) -> str:
    return re.search(r"<span data-price>([^<]+)</span>", html).group(1)


def test_unknown_slug_is_a_styled_404(client):
    response = client.get("/products/no-such-cream")
    assert response.status_code == 404
    assert 'class="site-header"' in response.get_data(as_text=True)


def test_product_page_shows_variants_stock_ingredients_directions_and_warnings(client):
    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert re.findall(r'name="size" value="([^"]+)"', html) == ["2 oz", "4 oz", "8 oz"]
    assert re.findall(r'name="scent" value="([^"]+)"', html) == ["Unscented", "Lavender"]
    assert chosen(html) == {"size": "2 oz", "scent": "Unscented"}
    sold_out = client.get("/products/magnesium-body-cream?variant=TMC-CRM-8-LAV").get_data(as_text=True)
    assert re.search(r'class="badge badge-soldout" data-stock>Sold out<', sold_out)
    assert re.search(r'data-add-button\s+disabled', sold_out), "a sold-out variant cannot be added"
    assert "Only 3 left" in html
    assert "In stock" in html
    assert "Magnesium Chloride" in html
    assert "How to use" in html and "Warnings" in html
    assert "external use only" in html.lower()


def test_variant_query_preselects_that_variant_and_shows_its_price(client, session):
    variant = session.scalars(select(Variant).where(Variant.sku == "TMC-CRM-4-LAV")).one()
    html = client.get("/products/magnesium-body-cream?variant=TMC-CRM-4-LAV").get_data(as_text=True)
    assert selected_price(html) == "$26.00"
    assert f'name="variant_id" value="{variant.id}"' in html
    assert chosen(html) == {"size": "4 oz", "scent": "Lavender"}
    assert re.search(r'Was </span><span data-compare-value>\$29\.00<', html)


def test_unknown_variant_query_leads_to_the_page_with_the_first_available(client):
    response = client.get("/products/magnesium-body-cream?variant=NOPE")
    assert (response.status_code, response.headers["Location"]) == (303, "/products/magnesium-body-cream#choose")
    assert selected_price(client.get(response.headers["Location"]).get_data(as_text=True)) == "$16.00"


def test_product_page_has_schema_org_product_json_ld(client):
    data = _json_ld(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    assert data["@type"] == "Product"
    assert data["name"] == "Magnesium Body Cream"
    offers = {offer["sku"]: offer for offer in data["offers"]}
    assert offers["TMC-CRM-8-LAV"]["availability"] == "https://schema.org/OutOfStock"
    assert offers["TMC-CRM-2-UNS"]["price"] == "16.00"
    assert offers["TMC-CRM-2-UNS"]["priceCurrency"] == "USD"


def test_without_a_public_address_canonical_links_use_the_address_asked_for(client):
    html = client.get("/products/magnesium-body-cream", base_url="http://127.0.0.1:5000").get_data(as_text=True)
    assert '<link rel="canonical" href="http://127.0.0.1:5000/products/magnesium-body-cream">' in html
    assert _json_ld(html)["url"] == "http://127.0.0.1:5000/products/magnesium-body-cream"


def test_an_seo_title_is_the_whole_title_and_without_one_the_shop_name_follows_the_product(client, session):
    def title() -> str:
        html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
        return re.search(r"<title>(.*?)</title>", html).group(1)

    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    assert title() == product.seo_title == "Magnesium Body Cream for Massage | Tidewater"
    product.seo_title = ""
    session.commit()
    assert title() == "Magnesium Body Cream &middot; Tidewater Magnesium Co."


def test_json_ld_cannot_close_its_script_element(client, session):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    product.seo_description = "Soft </script><script>alert(1)</script> & 'quoted'"
    session.commit()
    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    assert _json_ld(html)["description"] == product.seo_description


def test_product_page_links_to_its_learn_articles(client):
    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "Learn more" in html
    assert re.search(r'href="/learn/[a-z0-9-]+"', html)
    assert "It describes research, not what this product does." in html  # reading, not a claim


def test_product_copy_makes_no_drug_claims(client):
    for slug in ("magnesium-body-cream", "magnesium-body-butter", "magnesium-travel-stick", "recovery-bundle"):
        html = client.get(f"/products/{slug}").get_data(as_text=True)
        copy = re.search(r'<div class="product-info"[^>]*>(.*?)<div class="product-details">', html, re.S).group(1)
        copy = re.sub(r"<[^>]+>", " ", copy).lower()
        for claim in ("relieve", "relief", "treat", "cure", "heal", "anti-inflammatory", "pain"):
            assert claim not in copy, f"{slug} copy says {claim!r}"


def test_product_page_follows_staff_order_and_leaves_out_hidden_variants_and_drafts(client, session):
    """The page reads its lists in one query and orders them itself: check it orders them as staff set."""
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    variants = sorted(product.variants, key=lambda variant: variant.sku)
    for position, variant in enumerate(reversed(variants)):
        variant.position = position
    variants[0].is_active = False
    product.images = [ProductImage(path=f"img/products/{name}.svg", alt=f"Photo {name}", position=position)
                      for position, name in ((2, "third"), (0, "first"), (1, "second"))]
    articles = session.scalars(select(Article).where(Article.products.any(Product.id == product.id))
                               .order_by(Article.title)).all()
    for position, article in enumerate(articles):
        article.position = len(articles) - position
    articles[0].is_published = False
    session.commit()

    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    shown_variant_ids = re.findall(r'<i data-id="(\d+)"', html)
    assert shown_variant_ids == [str(variant.id) for variant in reversed(variants[1:])]
    more_images = re.search(r'<ul class="product-more-images".*?</ul>', html, re.S).group(0)
    assert re.findall(r'alt="Photo (\w+)"', more_images) == ["first", "second", "third"]
    published = [escape(article.title) for article in reversed(articles[1:])]
    assert len(published) > 3 and card_titles(html) == published[:3]  # three cards, then a link
    assert '<a href="/learn">More reading</a>' in html


def test_product_without_variants_images_or_articles_says_it_is_unavailable(client, session):
    session.add(Product(slug="coming-soon", name="Coming Soon Balm", summary="A new balm."))
    session.commit()
    response = client.get("/products/coming-soon")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "This product is not available right now." in html
    assert "Learn more" not in html and 'name="variant_id"' not in html

