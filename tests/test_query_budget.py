"""Each storefront page runs at most four SQL statements, however big the catalogue grows."""
from datetime import date

import pytest
from sqlalchemy import select

from app.catalog.models import Product, ProductImage, Variant
from app.content.services import save_article
from tests.conftest import add, variant_by_sku

BUDGET = 4
PAGES = [
    "/",
    "/products",
    "/products/magnesium-body-cream",
    "/products/magnesium-body-cream?variant=TMC-CRM-8-LAV",  # the picker's choice, pictures per variant
    "/products/recovery-bundle",  # a set: its stock read from its components in the same query
    "/learn",
    "/learn/how-common-is-back-pain",
    "/pages/shipping",
    "/cart",
    "/sitemap.xml",
    "/search?q=extra",  # every grown product matches: results cost no query each
    "/search?q=xylophone",  # nothing found (SQLite tries shorter prefixes), then suggestions
]


def grow_catalogue(session, products: int) -> None:
    """Add products with several variants and images, all linked from one article."""
    slugs = []
    for number in range(products):
        product = Product(slug=f"extra-{number}", name=f"Extra {number}", is_featured=True, position=10 + number)
        product.images = [ProductImage(path="img/products/body-butter.svg", alt="A tub", position=i) for i in range(3)]
        product.variants = [
            Variant(sku=f"EXTRA-{number}-{i}", size=f"{i} oz", scent="Plain", price_minor=1000 + i,
                    stock_on_hand=5, position=i, image=product.images[i % 3])
            for i in range(4)
        ]
        session.add(product)
        slugs.append(product.slug)
    save_article(session, slug="how-common-is-back-pain", title="How common is back pain?", summary="s",
                 body_markdown="Body", sources=[], reviewed_on=date(2026, 1, 1),
                 product_slugs=["magnesium-body-cream", *slugs])
    session.commit()


def fill_cart(client, session, csrf_token) -> None:
    token = csrf_token()
    for sku in ("TMC-CRM-4-UNS", "TMC-BTR-4-VAN", "TMC-STK-06-PEP", "TMC-SET-UNS"):
        add(client, token, variant_by_sku(session, sku).id, "1")
    extra = session.scalars(select(Variant).where(Variant.sku.like("EXTRA-%"))).all()
    for variant in extra[:12]:
        add(client, token, variant.id, "1")


@pytest.mark.parametrize("path", PAGES)
def test_storefront_page_stays_within_the_query_budget(client, session, csrf_token, count_queries, path):
    grow_catalogue(session, products=25)
    fill_cart(client, session, csrf_token)
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    assert counter.count <= BUDGET, f"{path} ran {counter.count} queries:\n" + "\n\n".join(counter.statements)


@pytest.mark.parametrize("path", ["/", "/products", "/products/magnesium-body-cream",
                                  "/products/magnesium-body-cream?variant=TMC-CRM-4-LAV", "/products/recovery-bundle",
                                  "/learn/how-common-is-back-pain", "/search?q=magnesium"])
def test_a_new_visitor_is_served_each_main_page_in_one_query(client, count_queries, path):
    """Each page folds its lists into one row (app.db.json_list); a second query is a regression."""
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200
    assert counter.count == 1, f"{path} ran {counter.count} queries:\n" + "\n\n".join(counter.statements)


def test_budget_counter_sees_the_queries(client, count_queries):
    """The counter itself works: a product page cannot be served with zero queries."""
    with count_queries() as counter:
        client.get("/products/magnesium-body-cream")
    assert counter.count >= 1


@pytest.fixture
def config_overrides(config_overrides, request):
    """The shared page cache is on for tests that ask (indirect parametrization), as in production."""
    return {**config_overrides, "PAGE_CACHE_ENABLED": getattr(request, "param", False), "REDIS_URL": None}


CACHED_PAGES = [path for path in PAGES if not path.startswith(("/cart", "/sitemap", "/search"))]


@pytest.mark.parametrize("config_overrides", [True], indirect=True)
@pytest.mark.parametrize("path", CACHED_PAGES)
def test_with_the_page_cache_a_page_costs_one_query_once_then_none(client, session, count_queries, path):
    """Its shared render has no cart count, so even a shopper with a full cart costs one query;
    and the count itself, fetched by static/js/shopper.js, one more."""
    grow_catalogue(session, products=25)
    token = client.get("/shopper?csrf=1").get_json()["csrf_token"]
    fill_cart(client, session, lambda: token)
    client.get("/cart")  # shows the "Added" messages: until then the page is rendered for this shopper alone
    with count_queries() as first:
        assert client.get(path).status_code == 200
    with count_queries() as again:
        assert client.get(path).status_code == 200
    with count_queries() as shopper:
        assert client.get("/shopper").get_json()["cart_count"] == 16
    assert (first.count, again.count, shopper.count) == (1, 0, 1), "\n\n".join(first.statements + shopper.statements)
