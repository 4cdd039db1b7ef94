"""The Alembic migrations build exactly the schema the models describe, on this run's database."""
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from app import create_app
from app.db import Base
from app.extensions import db
from app.search.index import outside_the_models
from tests.conftest import DATABASE_URL, _TEMP_DIR, insert_demo_orders, make_config, reset_database


@pytest.fixture
def empty_database_url() -> str:
    """A second, empty database of the same kind as the suite's."""
    url = sa.make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{_TEMP_DIR / 'migrations.db'}"
    name = f"{url.database}_migrations"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


SQLITE_CANNOT_REFLECT_0015 = pytest.mark.filterwarnings(
    "ignore:Skipped unsupported reflection of expression-based index")  # SQLite can't reflect 0015's lower(email)


@SQLITE_CANNOT_REFLECT_0015
def test_upgrade_from_empty_matches_the_models_and_downgrades_cleanly(empty_database_url):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(
                MigrationContext.configure(connection, opts={"include_object": outside_the_models}), Base.metadata)
            tables = set(sa.inspect(connection).get_table_names())
        assert differences == [], f"models and migrations drift apart: {differences}"
        assert set(Base.metadata.tables) <= tables

        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_upgrade_to_0005_renders_the_ingredients_of_products_already_saved(empty_database_url):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0004")
        products = sa.Table("products", sa.MetaData(), autoload_with=db.engine)
        now = sa.func.current_timestamp()
        with db.engine.begin() as connection:
            connection.execute(products.insert().values(
                slug="old-cream", name="Old Cream", summary="", description_markdown="", description_html="",
                ingredients="Aqua, Glycerin\n*Organic.", directions_markdown="", directions_html="",
                warnings_markdown="", warnings_html="", seo_title="", seo_description="", is_active=True,
                is_featured=False, position=1, created_at=now, updated_at=now))
        upgrade()
        with db.engine.connect() as connection:
            html = connection.scalar(sa.text("SELECT ingredients_html FROM products WHERE slug = 'old-cream'"))
        db.engine.dispose()
    assert html == '<ul class="ingredient-list"><li>Aqua</li><li>Glycerin</li></ul>\n<p class="small">*Organic.</p>'


def insert_demo_stock_at_0006(stock: dict[str, tuple[int, int]]) -> None:
    """Variants with these SKUs and (on hand, reserved), as a shop at revision 0006 holds them
    (at an earlier revision, the columns it had then)."""
    metadata = sa.MetaData()
    products, variants = (sa.Table(name, metadata, autoload_with=db.engine) for name in ("products", "variants"))
    now = datetime.now(timezone.utc)
    product = dict(slug="any", name="Any", summary="", description_markdown="", description_html="", ingredients="",
                   ingredients_html="", directions_markdown="", directions_html="", warnings_markdown="",
                   warnings_html="", seo_title="", seo_description="", is_active=True, is_featured=False, position=1,
                   created_at=now, updated_at=now)
    with db.engine.begin() as connection:
        product_id = connection.execute(products.insert().values(
            {key: value for key, value in product.items() if key in products.c})).inserted_primary_key[0]
        connection.execute(variants.insert(), [{key: value for key, value in {
            "product_id": product_id, "sku": sku, "size": "4 oz", "scent": "Plain", "price_minor": 1000,
            "currency": "USD", "stock_on_hand": on_hand, "stock_reserved": reserved, "low_stock_threshold": 5,
            "weight_grams": 100, "is_active": True, "position": index, "created_at": now, "updated_at": now,
        }.items() if key in variants.c} for index, (sku, (on_hand, reserved)) in enumerate(stock.items())])


def test_upgrade_to_0007_refuses_while_a_set_is_reserved_for_an_unpaid_order(empty_database_url, caplog):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0006")
        insert_demo_stock_at_0006({"TMC-CRM-4-UNS": (60, 0), "TMC-STK-06-PEP": (75, 0), "TMC-SET-UNS": (10, 2)})
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's error, then exits
            upgrade()
        with db.engine.connect() as connection:
            version = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
            reserved = connection.scalar(sa.text("SELECT stock_reserved FROM variants WHERE sku = 'TMC-SET-UNS'"))
        db.engine.dispose()
    assert (version, reserved) == ("0006", 2)
    assert "TMC-SET-UNS has 2 unit(s) reserved for orders awaiting payment" in caplog.text


def test_upgrade_to_0007_makes_the_demo_set_draw_on_its_components_and_moves_nothing_else(empty_database_url):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0006")
        stock = {"TMC-CRM-4-UNS": 60, "TMC-CRM-4-LAV": 25, "TMC-STK-06-PEP": 75, "TMC-BTR-4-UNS": 30,
                 "TMC-SET-UNS": 10, "TMC-SET-LAV": 8}
        insert_demo_stock_at_0006({sku: (units, 0) for sku, units in stock.items()})
        upgrade()
        with db.engine.connect() as connection:
            links = set(connection.execute(sa.text(
                "SELECT b.sku, c.sku, l.quantity FROM variant_components l JOIN variants b ON b.id = l.bundle_variant_id "
                "JOIN variants c ON c.id = l.component_variant_id")).all())
            levels = dict(connection.execute(sa.text("SELECT sku, stock_on_hand FROM variants")).all())
            movements = connection.execute(sa.text(
                "SELECT v.sku, m.delta, m.reason FROM stock_movements m JOIN variants v ON v.id = m.variant_id "
                "ORDER BY v.sku")).all()
        db.engine.dispose()
    assert links == {("TMC-SET-UNS", "TMC-CRM-4-UNS", 1), ("TMC-SET-UNS", "TMC-STK-06-PEP", 1),
                     ("TMC-SET-LAV", "TMC-CRM-4-LAV", 1), ("TMC-SET-LAV", "TMC-STK-06-PEP", 1)}
    assert levels == {**stock, "TMC-SET-UNS": 0, "TMC-SET-LAV": 0}
    assert [tuple(row) for row in movements] == [("TMC-SET-LAV", -8, "correction"), ("TMC-SET-UNS", -10, "correction")]


def test_upgrade_to_0008_gives_settling_payments_their_state_and_marks_held_stock(empty_database_url):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0007")
        meta = sa.MetaData()
        orders = sa.Table("orders", meta, autoload_with=db.engine)
        events = sa.Table("order_events", meta, autoload_with=db.engine)
        now = datetime.now(timezone.utc)
        common = dict(currency="USD", subtotal_minor=1600, shipping_minor=595, total_minor=2195, discount_minor=0,
                      amount_paid_minor=0, amount_refunded_minor=0, shipping_method="standard",
                      shipping_method_name="Standard shipping", payment_provider="stripe", needs_review=False,
                      review_reason="", email="sam@example.com", cart_token="", carrier="", tracking_number="",
                      created_at=now, updated_at=now)
        with db.engine.begin() as connection:
            for number, status in (("TW-OPEN", "pending_payment"), ("TW-SETTLING", "pending_payment"),
                                   ("TW-PAID", "paid")):
                connection.execute(orders.insert().values(number=number, status=status, **common))
            settling = connection.scalar(sa.select(orders.c.id).where(orders.c.number == "TW-SETTLING"))
            connection.execute(events.insert().values(order_id=settling, kind="awaiting_payment", actor="stripe webhook",
                                                      message="", data={}, created_at=now))
        upgrade(revision="0008")
        with db.engine.connect() as connection:
            rows = {number: (status, bool(held)) for number, status, held in connection.execute(
                sa.text("SELECT number, status, stock_held FROM orders"))}
            # Rebuilding the orders table (SQLite's batch mode) must not cascade to their events.
            kept_events = connection.scalar(sa.text("SELECT count(*) FROM order_events"))
        with db.engine.begin() as connection:  # money that came after cancelling, held for staff
            connection.execute(sa.text("UPDATE orders SET status = 'payment_review', stock_held = false, "
                                       "held_reason = 'Paid after cancelling.' WHERE number = 'TW-PAID'"))
        downgrade(revision="0007")
        with db.engine.connect() as connection:
            after_downgrade = dict(connection.execute(sa.text("SELECT number, status FROM orders")).all())
            flagged = connection.execute(sa.text("SELECT review_reason FROM orders WHERE needs_review")).scalars().all()
        db.engine.dispose()
    assert rows == {"TW-OPEN": ("pending_payment", True), "TW-SETTLING": ("payment_processing", True),
                    "TW-PAID": ("paid", False)}
    assert kept_events == 1
    # Held money without its stock goes back as a flagged cancelled order, so expiry releases nothing twice.
    assert after_downgrade == {"TW-OPEN": "pending_payment", "TW-SETTLING": "pending_payment", "TW-PAID": "cancelled"}
    assert flagged == ["Paid after cancelling."]


def test_upgrade_to_0009_indexes_the_listed_products_and_published_articles_already_saved(empty_database_url):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0008")
        insert_demo_stock_at_0006({"TMC-ANY-1": (5, 0)})  # product "Any", scent "Plain"
        articles = sa.Table("articles", sa.MetaData(), autoload_with=db.engine)
        now = datetime.now(timezone.utc)
        with db.engine.begin() as connection:
            connection.execute(articles.insert(), [
                {"slug": slug, "title": title, "summary": "", "body_markdown": "", "body_html": body, "sources": [],
                 "reviewed_on": now.date(), "position": 0, "is_published": published, "created_at": now,
                 "updated_at": now}
                for slug, title, body, published in (
                    ("kept", "Kept article", "<p>Tide &amp; pools</p>", True),
                    ("draft", "Draft article", "<p>Unpublished</p>", False))])
        upgrade()
        with db.engine.connect() as connection:
            rows = set(connection.execute(sa.text(
                "SELECT kind, slug, title, keywords, body FROM search_documents")).all())
        downgrade(revision="0008")
        with db.engine.connect() as connection:
            left = {name for name in sa.inspect(connection).get_table_names() if name.startswith("search")}
        db.engine.dispose()
    assert {tuple(row) for row in rows} == {("product", "any", "Any", "Plain", ""),
                                            ("article", "kept", "Kept article", "", "Tide & pools")}
    assert left == set()


SNAPSHOT_TABLES = ("products", "variants", "orders", "order_lines")


def snapshot(tables=SNAPSHOT_TABLES) -> dict[str, dict[int, dict]]:
    """Every row of these tables that exist now, by id, as column -> value."""
    with db.engine.connect() as connection:
        present = set(sa.inspect(connection).get_table_names())
        return {name: {row["id"]: dict(row) for row in connection.execute(
                    sa.select(sa.Table(name, sa.MetaData(), autoload_with=connection))).mappings()}
                for name in tables if name in present}


def changed_rows(before: dict, after: dict) -> list[str]:
    """Rows lost, gained or changed in a column both snapshots have, per table both have."""
    problems = []
    for table in before.keys() & after.keys():
        old, new = before[table], after[table]
        if old.keys() != new.keys():
            problems.append(f"{table}: rows {sorted(old.keys() ^ new.keys())[:10]} lost or gained")
        for row_id in old.keys() & new.keys():
            columns = old[row_id].keys() & new[row_id].keys()
            if differing := {column for column in columns if old[row_id][column] != new[row_id][column]}:
                problems.append(f"{table} {row_id}: {sorted(differing)} changed")
    return problems


@SQLITE_CANNOT_REFLECT_0015
def test_a_shop_full_of_orders_upgrades_step_by_step_and_back_without_losing_a_row(empty_database_url):
    """From the first migration to the last with the catalogue and 300 orders in it, one revision
    at a time: no row lost, added or changed in a column it already had; then down again."""
    revisions = [script.revision for script in reversed(list(
        ScriptDirectory(str(Path(__file__).resolve().parents[1] / "migrations")).walk_revisions()))]
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision=revisions[0])
        insert_demo_stock_at_0006({"TMC-CRM-4-UNS": (60, 0), "TMC-CRM-4-LAV": (25, 0), "TMC-BTR-4-UNS": (30, 0)})
        problems = []
        for revision in revisions[1:]:
            before = snapshot()
            upgrade(revision=revision)
            problems += [f"upgrade to {revision}: {problem}" for problem in changed_rows(before, snapshot())]
            if revision == "0003":  # orders as the shop took them before accounts existed
                with db.engine.begin() as connection:
                    variants = [tuple(row) for row in connection.execute(sa.text("SELECT id, sku, price_minor FROM variants"))]
                    insert_demo_orders(connection, 300, variants=variants, statuses=[
                        "shipped", "paid", "cancelled", "refunded", "partially_refunded", "pending_payment"])
        full = snapshot()
        assert len(full["orders"]) == 300 and len(full["order_lines"]) >= 300
        for revision in reversed(revisions[:-1]):
            before = snapshot()
            downgrade(revision=revision)
            problems += [f"downgrade to {revision}: {problem}" for problem in changed_rows(before, snapshot())]
        db.engine.dispose()
    assert not problems, "\n".join(problems[:30])
