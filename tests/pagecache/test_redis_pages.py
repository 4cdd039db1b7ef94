"""The Redis-backed page cache shared by two app instances, as two app servers share it: a page
one renders the other serves without a query, and a change made through either empties it for
both. Uses TEST_REDIS_URL (default redis://127.0.0.1:6379/3) under a prefix of its own."""
import os
import secrets

import pytest
import redis
from flask_migrate import upgrade
from sqlalchemy import select

from app import create_app
from app.catalog.models import Product
from app.demo import load_demo_data
from app.extensions import db
from app.pagecache import RedisPages, cached_page
from tests.conftest import counting_queries, dispose_engines, make_config, page_after, post, product_form, sign_in_as

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
PRODUCT = "/products/magnesium-body-cream"


@pytest.fixture
def prefix():
    """A key prefix of this test's own, its keys deleted afterwards (never the whole database)."""
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis at {REDIS_URL} is unreachable ({error}); set TEST_REDIS_URL")
    prefix = f"test-pagecache-{secrets.token_hex(4)}"
    yield prefix
    keys = list(connection.scan_iter(match="{" + prefix + "}*"))
    if keys:
        connection.delete(*keys)


@pytest.fixture
def two_servers(tmp_path, prefix):
    """Two apps on one committed SQLite database and one Redis, as two servers would be."""
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    config = make_config(url, PAGE_CACHE_ENABLED=True, REDIS_URL=REDIS_URL, PAGE_CACHE_PREFIX=prefix,
                         MAIL_OUTBOX_DIR=str(tmp_path / "outbox"), UPLOAD_FOLDER=str(tmp_path / "uploads"))
    apps = [create_app(config), create_app(config)]
    with apps[0].app_context():
        upgrade()
        load_demo_data(db.session)
        db.session.commit()
    yield apps
    for app in apps:
        dispose_engines(app)


def test_a_page_rendered_by_one_server_is_served_by_the_other_without_a_query(two_servers):
    first, second = two_servers
    html = first.test_client().get(PRODUCT).get_data(as_text=True)
    with second.app_context():
        engines = list(db.engines.values())
    with counting_queries(*engines) as counter:
        again = second.test_client().get(PRODUCT)
    assert counter.count == 0
    assert again.get_data(as_text=True) == html


def test_an_edit_through_one_server_is_fresh_on_the_others_cached_page(two_servers):
    first, second = two_servers
    shopper = first.test_client()
    assert "Rewritten on the second server." not in shopper.get(PRODUCT).get_data(as_text=True)
    admin = second.test_client()
    assert sign_in_as(admin, "admin@tidewater.example", "demo-admin-pass").status_code == 303
    with second.app_context():
        cream = db.session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
        form = product_form(cream, summary="Rewritten on the second server.")
    assert "Saved" in page_after(admin, post(admin, f"/admin/products/{cream.id}", **form))
    assert "Rewritten on the second server." in shopper.get(PRODUCT).get_data(as_text=True)


def test_a_page_rendered_before_the_cache_was_emptied_is_not_stored_after_it(prefix):
    pages = RedisPages(REDIS_URL, prefix)
    generation = pages.generation()  # a render starts
    pages.clear()  # a change commits meanwhile
    pages.put("/products", cached_page(b"<p>old</p>"), generation=generation, seconds=60)
    assert pages.get("/products") is None
    pages.put("/products", cached_page(b"<p>new</p>"), generation=pages.generation(), seconds=60)
    new = cached_page(b"<p>new</p>")
    assert pages.get("/products") == (new.etag, b"<p>new</p>")
    assert pages.get("/products", "br") == (new.etag, new.bodies["br"])
    pages.clear()
    assert pages.get("/products") is None


def test_the_stock_labels_digest_is_shared(prefix):
    first, second = RedisPages(REDIS_URL, prefix), RedisPages(REDIS_URL, prefix)
    assert first.swap_stock_digest("a") is None
    assert second.swap_stock_digest("b") == "a"
