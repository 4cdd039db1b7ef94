"""The shared page cache through HTTP: hits cost no query, ETags answer 304, every kind of change
staff make shows at once, and no shopper's details are ever in the shared bytes."""
import gzip
import io
import logging
import re

import brotli
import pytest
from sqlalchemy import select

from app.catalog.models import Product
from app.content.models import Article
from app.content.services import save_page
from app.pagecache import MemoryPages, cached_page
from tests.conftest import add, card_titles, csrf, page_after, png_bytes, post, product_form, variant_by_sku
from tests.pagecache.conftest import shopper_csrf

CACHED = ["/", "/products", "/products/magnesium-body-cream", "/products/magnesium-body-cream?variant=TMC-CRM-2-LAV",
          "/learn", "/learn/how-common-is-back-pain", "/pages/shipping"]
PRODUCT = "/products/magnesium-body-cream"


@pytest.mark.parametrize("path", CACHED)
def test_a_storefront_page_is_rendered_once_then_served_without_a_query(client, count_queries, path):
    first = client.get(path)
    assert first.status_code == 200
    with count_queries() as counter:
        again = client.get(path)
    assert counter.count == 0
    assert again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]
    for response in (first, again):
        assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=60"
        assert response.headers["Vary"] == "Accept-Encoding"  # not Cookie: the bytes are everyone's
        assert "Set-Cookie" not in response.headers


def test_a_repeated_request_with_the_etag_is_answered_304(client, count_queries):
    etag = client.get(PRODUCT).headers["ETag"]
    with count_queries() as counter:
        response = client.get(PRODUCT, headers={"If-None-Match": etag})
    assert (response.status_code, response.get_data(), counter.count) == (304, b"", 0)
    assert response.headers["ETag"] == etag
    assert client.get(PRODUCT, headers={"If-None-Match": 'W/"other"'}).status_code == 200


def test_a_page_another_variant_preselected_is_its_own_entry_and_other_arguments_share_one(client):
    lavender = client.get(PRODUCT + "?variant=TMC-CRM-2-LAV").get_data(as_text=True)
    plain = client.get(PRODUCT).get_data(as_text=True)
    assert lavender != plain
    assert client.get(PRODUCT + "?utm_source=news").get_data(as_text=True) == plain


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_pages_are_compressed_for_clients_that_accept_it(client, encoding):
    plain = client.get(PRODUCT).get_data()
    for _ in range(2):  # rendered, then served from the cache's stored copy
        response = client.get(PRODUCT, headers={"Accept-Encoding": f"{encoding}, deflate"})
        assert response.headers["Content-Encoding"] == encoding
        body = response.get_data()
        assert (gzip.decompress(body) if encoding == "gzip" else brotli.decompress(body)) == plain
        assert len(body) < len(plain) / 3
    cart = client.get("/cart", headers={"Accept-Encoding": "gzip"})  # an uncached page: Flask-Compress
    assert cart.headers["Content-Encoding"] == "gzip"
    assert b"Your cart" in gzip.decompress(cart.get_data())


def test_the_shared_bytes_hold_no_cart_count_name_token_or_message(app, client, sign_in, shopper_account, session):
    casey = sign_in(*shopper_account)
    token = shopper_csrf(casey)
    add(casey, token, variant_by_sku(session, "TMC-CRM-4-UNS").id, "3")
    refused = add(casey, token, variant_by_sku(session, "TMC-CRM-2-LAV").id, "9",
                  headers={"Referer": "http://localhost" + PRODUCT})
    # Casey is first to load the page, with a message waiting: it is rendered for Casey alone.
    mine = casey.get(refused.headers["Location"]).get_data(as_text=True)
    assert "only 3 left in stock" in mine and "Casey" not in mine
    shared = casey.get(PRODUCT).get_data(as_text=True)  # no message left: the shared page
    assert client.get(PRODUCT).get_data(as_text=True) == shared
    assert "only 3 left in stock" not in shared
    assert 'class="flash' not in shared
    assert token not in shared and not re.search(r'name="csrf_token" value="[^"]', shared)
    assert re.search(r'<span class="cart-count" data-shopper="cart-count"></span>', shared)
    details = casey.get("/shopper").get_json()
    assert details.pop("csrf_token").split(".")[0] == token.split(".")[0]  # the same secret, signed anew
    assert details == {"cart_count": 3, "signed_in": True, "staff": False}


def test_two_shoppers_on_one_cached_page_each_get_their_own_count(app, session):
    first, second = app.test_client(), app.test_client()
    page_after(first, add(first, shopper_csrf(first), variant_by_sku(session, "TMC-CRM-4-UNS").id, "2"))
    page_after(second, add(second, shopper_csrf(second), variant_by_sku(session, "TMC-CRM-4-UNS").id, "5"))
    assert first.get(PRODUCT).get_data() == second.get(PRODUCT).get_data()
    assert first.get("/shopper").get_json()["cart_count"] == 2
    assert second.get("/shopper").get_json()["cart_count"] == 5
    assert "csrf_token" not in second.get("/shopper").get_json()  # not asked for: no session started


@pytest.mark.parametrize("path", ["/shopper", "/shopper?csrf=1", "/cart/add?variant_id=1&quantity=1"])
def test_the_per_shopper_answers_are_never_stored(client, path):
    response = client.get(path)
    assert response.headers["Cache-Control"] == "private, no-store"


def test_add_to_cart_without_javascript_confirms_on_a_page_with_a_token(client, session):
    html = client.get(PRODUCT).get_data(as_text=True)
    form = re.search(r'<form class="add-to-cart"[^>]* method="get" action="/cart/add"[^>]*data-shopper-post>', html)
    assert form, "the shared page's form asks for the confirmation page"
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    confirm = client.get(f"/cart/add?variant_id={variant.id}&quantity=2")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Add to your cart?" in page
    assert "2 &times; Magnesium Body Cream" in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/cart/add", data={"variant_id": variant.id, "quantity": "2"}).status_code == 400  # no token
    assert client.get("/shopper").get_json()["cart_count"] == 0
    added = page_after(client, client.post("/cart/add", data={"csrf_token": token, "variant_id": variant.id, "quantity": "2"}))
    assert "Added 2 × Magnesium Body Cream" in added
    assert client.get("/shopper").get_json()["cart_count"] == 2


def test_the_confirmation_adds_the_size_and_scent_the_radios_chose(client, session):
    """Without JavaScript the radios may differ from the variant the page was shown with."""
    shown = variant_by_sku(session, "TMC-CRM-4-UNS")
    page = client.get(f"/cart/add?variant_id={shown.id}&quantity=1&size=2+oz&scent=Lavender").get_data(as_text=True)
    chosen = variant_by_sku(session, "TMC-CRM-2-LAV")
    assert f'name="variant_id" value="{chosen.id}"' in page and "2 oz" in page and "Lavender" in page


def test_a_choice_spelt_otherwise_is_sent_to_its_one_cached_address(client, app):
    """The no-JS picker's size and scent, or an unknown SKU, never make a cache entry of their own:
    junk arguments cannot fill the shared cache."""
    picked = client.get(PRODUCT + "?size=2+oz&scent=Lavender&quantity=1")
    assert (picked.status_code, picked.headers["Location"]) == (303, PRODUCT + "?variant=TMC-CRM-2-LAV#choose")
    for junk in ("?variant=NOPE", "?variant=", "?variant=x%00y"):
        response = client.get(PRODUCT + junk)
        assert response.status_code in (303, 400), junk
        if response.status_code == 303:
            assert response.headers["Location"] == PRODUCT + "#choose"
    pages = app.extensions["page_cache"].pages
    assert not [key for key in pages if "NOPE" in key or "size=" in key or key.endswith("variant=")]


def test_a_confirmation_for_something_that_cannot_be_bought_goes_back_with_the_reason(client, session):
    sold_out = variant_by_sku(session, "TMC-CRM-4-UNS")
    sold_out.stock_on_hand = 0
    session.commit()
    response = client.get(f"/cart/add?variant_id={sold_out.id}&quantity=1",
                          headers={"Referer": "http://localhost" + PRODUCT})
    assert response.status_code == 303
    assert "is sold out" in client.get(response.headers["Location"]).get_data(as_text=True)


# Invalidation: each kind of change, made as staff make it, shows on the next request.

def cached(client, path: str = PRODUCT) -> str:
    html = client.get(path).get_data(as_text=True)
    assert client.get(path).get_data(as_text=True) == html  # now served from the cache
    return html


def body_cream(session) -> Product:
    return session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()


def test_a_price_change_shows_at_once(client, sign_in, session):
    admin, cream = sign_in("admin"), body_cream(session)
    variant = variant_by_sku(session, "TMC-CRM-4-UNS")
    assert "$27.00" not in cached(client)
    html = page_after(admin, post(admin, f"/admin/products/{cream.id}/variants/{variant.id}", sku=variant.sku,
                                  size=variant.size, scent=variant.scent, price="27.00", compare_at="",
                                  weight_grams=str(variant.weight_grams), position=str(variant.position), is_active="y"))
    assert f"Saved {variant.sku}" in html
    assert "$27.00" in client.get(PRODUCT).get_data(as_text=True)


def test_product_copy_and_unpublishing_show_at_once(client, sign_in, session):
    admin, cream = sign_in("admin"), body_cream(session)
    cached(client), cached(client, "/products")
    page_after(admin, post(admin, f"/admin/products/{cream.id}", **product_form(cream, summary="A new summary, rewritten.")))
    assert "A new summary, rewritten." in client.get(PRODUCT).get_data(as_text=True)
    assert "A new summary, rewritten." in client.get("/products").get_data(as_text=True)
    form = product_form(body_cream(session))
    del form["is_active"]
    page_after(admin, post(admin, f"/admin/products/{cream.id}", **form))
    assert client.get(PRODUCT).status_code == 404
    assert "Magnesium Body Cream" not in card_titles(client.get("/products").get_data(as_text=True))


def test_an_image_added_or_removed_shows_at_once(client, sign_in, session):
    admin, cream = sign_in("admin"), body_cream(session)
    cached(client)
    upload = admin.post(f"/admin/products/{cream.id}/images", data={
        "csrf_token": csrf(admin), "alt": "The tub, opened", "image": (io.BytesIO(png_bytes()), "open.png")},
        content_type="multipart/form-data")
    assert "Image added." in page_after(admin, upload)
    assert 'alt="The tub, opened"' in cached(client)
    image = next(image for image in body_cream(session).images if image.alt == "The tub, opened")
    page_after(admin, post(admin, f"/admin/products/{cream.id}/images/{image.id}/remove"))
    assert 'alt="The tub, opened"' not in client.get(PRODUCT).get_data(as_text=True)


def test_a_stock_change_shows_when_what_shoppers_are_told_changes(client, sign_in, session, count_queries):
    staff = sign_in("fulfilment")
    low = variant_by_sku(session, "TMC-CRM-2-LAV")  # "Only 3 left"
    plenty = variant_by_sku(session, "TMC-CRM-4-UNS")
    # The first stock change a cache sees empties it: it cannot know what the pages said before.
    page_after(staff, post(staff, f"/admin/stock/{plenty.id}/adjust", change="-1", reason="damaged"))
    assert "Only 3 left" in cached(client)
    page_after(staff, post(staff, f"/admin/stock/{plenty.id}/adjust", change="-1", reason="damaged"))
    with count_queries() as counter:  # still "In stock": the page was kept
        client.get(PRODUCT)
    assert counter.count == 0
    page_after(staff, post(staff, f"/admin/stock/{low.id}/adjust", change="-1", reason="damaged"))
    assert "Only 2 left" in client.get(PRODUCT).get_data(as_text=True)
    page_after(staff, post(staff, f"/admin/stock/{low.id}/adjust", change="-2", reason="damaged"))
    assert "Sold out" in cached(client)


def test_a_sale_that_changes_the_stock_label_shows_at_once(client, session):
    from app.catalog.stock import reserve_stock

    reserve_stock(session, variant_id=variant_by_sku(session, "TMC-CRM-4-UNS").id, quantity=1, order_id=None)
    session.commit()  # the cache's first stock change: it now knows what pages say
    assert "Only 3 left" in cached(client)
    reserve_stock(session, variant_id=variant_by_sku(session, "TMC-CRM-2-LAV").id, quantity=1, order_id=None)
    session.commit()
    assert "Only 2 left" in client.get(PRODUCT).get_data(as_text=True)


def test_articles_and_pages_show_at_once(client, session):
    article = session.scalars(select(Article).where(Article.slug == "how-common-is-back-pain")).one()
    cached(client, "/learn")
    article.title = "Back pain: how common is it?"
    session.commit()
    assert "Back pain: how common is it?" in client.get("/learn").get_data(as_text=True)
    cached(client, "/learn/how-common-is-back-pain")
    article.is_published = False
    session.commit()
    assert client.get("/learn/how-common-is-back-pain").status_code == 404
    cached(client, "/pages/shipping")
    save_page(session, slug="shipping", title="Shipping", summary="s", body_markdown="We now ship by sailboat.")
    session.commit()
    assert "We now ship by sailboat." in client.get("/pages/shipping").get_data(as_text=True)


def test_a_change_rolled_back_leaves_the_cache_alone(client, session, count_queries):
    cached(client)
    body_cream(session).summary = "Never saved."
    session.flush()
    session.rollback()
    with count_queries() as counter:
        client.get(PRODUCT)
    assert counter.count == 0


def test_a_head_request_for_a_cached_page_gets_its_headers_only(client):
    etag = client.get(PRODUCT).headers["ETag"]
    response = client.head(PRODUCT)
    assert (response.status_code, response.get_data(), response.headers["ETag"]) == (200, b"", etag)
    assert int(response.headers["Content-Length"]) > 10_000


def test_a_cached_page_is_not_served_for_a_host_the_shop_does_not_answer_to(app, client):
    app.config["TRUSTED_HOSTS"] = ["shop.tidewater.test"]  # as pin_public_address sets it from SHOP_URL
    client.get(PRODUCT, base_url="http://shop.tidewater.test")
    assert client.get(PRODUCT, base_url="http://shop.tidewater.test").status_code == 200
    assert client.get(PRODUCT, base_url="http://evil.example").status_code == 400


def test_without_redis_a_page_stays_only_briefly_as_other_processes_cannot_empty_it():
    page = cached_page(b"<p>page</p>")
    for seconds, kept in ((0, None), (60, (page.etag, b"<p>page</p>"))):
        pages = MemoryPages(seconds)
        pages.put("/", page, generation=pages.generation(), seconds=3600)
        assert pages.get("/") == kept


def test_a_stock_label_put_back_after_a_commit_that_also_changed_copy_still_shows(client, session):
    from app.catalog.stock import reserve_stock, release_stock

    low = variant_by_sku(session, "TMC-CRM-2-LAV")  # "Only 3 left"
    reserve_stock(session, variant_id=low.id, quantity=1, order_id=None)
    session.commit()  # the cache now knows the labels: "Only 2 left"
    reserve_stock(session, variant_id=low.id, quantity=1, order_id=None)
    body_cream(session).summary = "Copy and stock in one commit."
    session.commit()  # emptied for the copy; the labels it leaves ("Only 1 left") are remembered
    assert "Only 1 left" in cached(client)
    release_stock(session, variant_id=low.id, quantity=1, order_id=None)
    session.commit()  # back to "Only 2 left"
    assert "Only 2 left" in client.get(PRODUCT).get_data(as_text=True)


def test_a_shared_page_that_sets_the_visitors_own_cookie_is_not_offered_to_shared_caches(client, shopper_account):
    email, password = shopper_account
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/account/sign-in").get_data(as_text=True)).group(1)
    client.post("/account/sign-in", data={"csrf_token": token, "email": email, "password": password, "remember": "y"})
    client.delete_cookie("session")  # the browser was closed; "Keep me signed in" restores the session
    response = client.get(PRODUCT)  # rendered (a miss) while Flask-Login restores the session
    assert "Set-Cookie" in response.headers
    assert response.headers["Cache-Control"] == "private, no-cache"
    assert "Casey" not in response.get_data(as_text=True)


def test_a_page_served_from_the_cache_has_its_log_line_and_request_id(client, caplog):
    """Hits never reach Flask's hooks, so the cache writes the request's line itself."""
    client.get(PRODUCT)
    caplog.set_level(logging.INFO, logger="shop.request")
    hit = client.get(PRODUCT, headers={"X-Request-ID": "lb-7f3a-hit"})
    not_modified = client.get(PRODUCT, headers={"If-None-Match": hit.headers["ETag"]})
    lines = [record for record in caplog.records if record.name == "shop.request"]
    assert [(line.path, line.status, line.request_id) for line in lines] == [
        (PRODUCT, 200, "lb-7f3a-hit"), (PRODUCT, 304, not_modified.headers["X-Request-ID"])]
    assert hit.headers["X-Request-ID"] == "lb-7f3a-hit" and len(not_modified.headers["X-Request-ID"]) == 32
