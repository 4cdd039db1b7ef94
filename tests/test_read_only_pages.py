"""Storefront pages that only read run outside a transaction (app.storefront.read_only).

These tests use the app as a server runs it, with its own engine and connection pool: the usual
`app` fixture wraps every request in the test's transaction, which these pages leave alone.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app import create_app
from app.cart.models import Cart
from app.catalog.models import Product
from app.extensions import db
from app.storefront import READS, WriteInReadOnlyView, read_engine, read_only
from tests.conftest import (DATABASE_URL, add, counting_queries, csrf_token_from, dispose_engines, make_config, variant_by_sku)
from tests.test_query_budget import PAGES as STOREFRONT_PAGES

ROOT = Path(__file__).resolve().parent.parent
BACKEND = sa.make_url(DATABASE_URL).get_backend_name()
# SQLite's BEGIN is ours to send; PostgreSQL's prepared statements are psycopg's.
sqlite_only = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite only (this pass runs on PostgreSQL)")
postgres_only = pytest.mark.skipif(BACKEND != "postgresql", reason="PostgreSQL only (the PostgreSQL pass runs it)")
# Every storefront page but the cart, which may write (it releases an abandoned checkout).
READ_ONLY_PAGES = [path for path in STOREFRONT_PAGES if path != "/cart"]


@pytest.fixture
def served_app(migrated_database, config_overrides):
    app = create_app(make_config(migrated_database, **config_overrides))
    yield app
    with app.app_context():
        db.session.remove()
    dispose_engines(app)


def sent_sql(app, path: str) -> list[str]:
    with app.app_context():
        engines = set(db.engines.values())
    with counting_queries(*engines) as counter:
        response = app.test_client().get(path)
    assert response.status_code == 200, path
    return counter.statements


@sqlite_only
@pytest.mark.parametrize("path", READ_ONLY_PAGES)
def test_sqlite_pages_that_only_read_send_no_begin(served_app, path):
    statements = sent_sql(served_app, path)
    assert statements, "the page ran no SQL at all"
    assert not [sql for sql in statements if sql.strip().upper() == "BEGIN"], statements


@sqlite_only
def test_sqlite_other_pages_keep_their_transaction(served_app):
    """The contrast that shows the check above can fail: /readyz is not marked read-only."""
    assert [sql.strip().upper() for sql in sent_sql(served_app, "/readyz")][0] == "BEGIN"


@postgres_only
def test_postgres_keeps_prepared_statements_between_page_views(served_app):
    """psycopg prepares a query after five runs on a connection, and drops them all at a ROLLBACK;
    a product page that ended in ROLLBACK was parsed and planned anew on every view."""
    client = served_app.test_client()
    for _ in range(8):
        assert client.get("/products/magnesium-body-cream").status_code == 200
    with served_app.app_context():
        engine = read_engine()
        assert engine.pool.checkedin() == 1, "every view reused the one pooled connection"
        with engine.connect() as connection:  # that connection: prepared statements are its own
            prepared = connection.scalars(sa.text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("FROM products" in statement for statement in prepared), prepared


def test_a_shopper_with_a_cart_is_served_on_one_pooled_connection(served_app):
    """The header's cart count runs on the read-only page's own connection, not on a second one
    the session would take from the pool for the length of the request."""
    client = served_app.test_client()
    with served_app.app_context():
        engines = set(db.engines.values())
        variant_id = variant_by_sku(db.session, "TMC-CRM-4-UNS").id
        carts_before = db.session.scalar(sa.select(sa.func.coalesce(sa.func.max(Cart.id), 0)))
    token = csrf_token_from(client.get("/products/magnesium-body-cream").get_data(as_text=True))
    add(client, token, variant_id, "2")
    checkouts = []

    def count_checkout(*_):
        checkouts.append(1)

    for engine in engines:
        sa.event.listen(engine, "checkout", count_checkout)
    try:
        html = client.get("/products").get_data(as_text=True)
    finally:
        for engine in engines:
            sa.event.remove(engine, "checkout", count_checkout)
        with served_app.app_context():
            db.session.execute(sa.delete(Cart).where(Cart.id > carts_before))
            db.session.commit()
    assert re.search(r'class="cart-count"[^>]*>2<', html), "the header did not count the cart"
    assert len(checkouts) == 1


def test_a_write_in_a_read_only_view_is_refused(app, session):
    """Outside a transaction a write would not wait for a commit, so a flush there is an error;
    once the view has returned, the same request may write again."""

    @read_only
    def renames_a_product():
        product = db.session.scalars(sa.select(Product).where(Product.slug == "magnesium-body-cream")).one()
        product.name = "Renamed"
        db.session.flush()

    with app.test_request_context("/"):
        with pytest.raises(WriteInReadOnlyView):
            renames_a_product()
        db.session.flush()  # the view's mark ended with the view
    assert session.scalars(sa.select(Product.name).where(Product.slug == "magnesium-body-cream")).one() == "Renamed"


@postgres_only
def test_postgres_prepared_statements_can_be_turned_off_for_a_pooler(migrated_database):
    """DATABASE_PREPARED_STATEMENTS=off (for PgBouncer in transaction mode) reaches psycopg."""
    script = ("from app import create_app; from app.extensions import db; app = create_app()\n"
              "with app.app_context(), db.engine.connect() as connection:\n"
              "    print(repr(connection.connection.dbapi_connection.prepare_threshold))")
    environment = {**os.environ, "FLASK_CONFIG": "development", "DATABASE_URL": migrated_database,
                   "SECRET_KEY": "test-" * 8}
    for setting, expected in (("off", "None"), ("on", "5")):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                              cwd=ROOT, env={**environment, "DATABASE_PREPARED_STATEMENTS": setting})
        assert done.stdout.strip() == expected, (setting, done.stdout, done.stderr)


def test_pages_that_only_read_use_their_own_autocommit_engine(served_app):
    """Not the main engine's connections switched to autocommit and back on every request."""
    with served_app.app_context():
        main, reads = db.engine, db.engines[READS]
    with counting_queries(main) as on_main, counting_queries(reads) as on_reads:
        assert served_app.test_client().get("/products/magnesium-body-cream").status_code == 200
    assert on_reads.count >= 1
    assert on_main.statements == []
    with reads.connect() as connection:
        connection.execute(sa.select(Product.id)).all()
        driver_connection = connection.connection.dbapi_connection
        if BACKEND == "sqlite":
            assert not driver_connection.in_transaction
        else:
            assert driver_connection.autocommit


def test_an_in_memory_database_is_read_through_the_main_engine(config_overrides):
    """A second engine on sqlite:// would open a second, empty database."""
    app = create_app(make_config("sqlite://", **config_overrides))
    with app.app_context():
        assert list(db.engines) == [None]
        db.create_all(bind_key=None)
        assert app.test_client().get("/products").status_code == 200
        db.engine.dispose()
