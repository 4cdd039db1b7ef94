"""Every query the staff screens send is served by an index once the shop has a year of orders:
PostgreSQL's plan for each, with 10,000 orders loaded and analysed, reads no table of orders or
order lines from end to end (migration 0010 adds the indexes)."""
import json

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.catalog.models import Variant
from app.demo import load_demo_data
from app.extensions import db
from tests.conftest import (DEMO_PASSWORDS, dispose_engines, empty_postgres_database, insert_demo_orders,
                            make_config, postgres_only, sign_in_as)

ORDER_COUNT = 10_000
WATCHED = {"orders", "order_lines"}


@pytest.fixture(scope="module")
def shop_with_a_year_of_orders(tmp_path_factory):
    database_url = empty_postgres_database("plans")
    app = create_app(make_config(database_url, MAIL_OUTBOX_DIR=str(tmp_path_factory.mktemp("outbox"))))
    with app.app_context():
        upgrade()
        load_demo_data(db.session)
        db.session.commit()
        variants = [(v.id, v.sku, v.price_minor) for v in db.session.scalars(sa.select(Variant))]
        with db.engine.begin() as connection:
            insert_demo_orders(connection, ORDER_COUNT, variants=variants)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(sa.text("VACUUM ANALYZE"))  # as autovacuum would have by now
    yield app
    dispose_engines(app)


class StatementLog:
    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            self.sent.append((statement, parameters))


def sequential_scans(plan: dict) -> list[str]:
    found = [plan["Relation Name"]] if plan.get("Node Type") == "Seq Scan" and plan.get("Relation Name") in WATCHED else []
    for child in plan.get("Plans", []):
        found += sequential_scans(child)
    return found


def admin_pages(app) -> list[str]:
    with app.app_context():
        number = db.session.scalar(sa.text("SELECT number FROM orders ORDER BY id DESC LIMIT 1"))
        email = db.session.scalar(sa.text("SELECT email FROM orders ORDER BY id LIMIT 1"))
        variant_id = db.session.scalar(sa.text("SELECT min(id) FROM variants"))
    statuses = ["pending_payment", "payment_processing", "payment_review", "paid", "shipped", "partially_refunded",
                "refunded", "cancelled", "needs_review"]
    return ["/admin/", "/admin/orders", "/admin/orders?page=40",
            *(f"/admin/orders?status={status}" for status in statuses),
            "/admin/orders?date_from=2026-11-01&date_to=2026-11-30",
            "/admin/orders?status=shipped&date_from=2026-11-01&date_to=2026-11-07",
            f"/admin/orders?q={number}", f"/admin/orders?q={email.split('@')[0]}", "/admin/orders?q=post.test",
            f"/admin/orders/{number}", "/admin/orders/export.csv?date_from=2026-11-01&date_to=2026-11-07",
            "/admin/stock", f"/admin/stock/{variant_id}", "/admin/audit", "/admin/reports"]


@postgres_only
def test_no_admin_query_reads_all_orders_or_order_lines(shop_with_a_year_of_orders):
    app = shop_with_a_year_of_orders
    client = app.test_client()
    assert sign_in_as(client, "admin@tidewater.example", DEMO_PASSWORDS["admin"]).status_code == 303
    problems = []
    with app.app_context():
        engine = db.engine
        for path in admin_pages(app):
            log = StatementLog()
            sa.event.listen(engine, "before_cursor_execute", log)
            try:
                response = client.get(path, buffered=True)
            finally:
                sa.event.remove(engine, "before_cursor_execute", log)
            assert response.status_code == 200, path
            assert log.sent, f"{path} sent no query"
            with engine.connect() as connection:
                for statement, parameters in log.sent:
                    (plan,), = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).one()
                    if scans := sequential_scans(plan["Plan"]):
                        problems.append(f"{path}: Seq Scan on {', '.join(scans)}:\n{statement}\n"
                                        f"{json.dumps(plan['Plan'], indent=1)[:1500]}")
    assert not problems, "\n\n".join(problems)


@postgres_only
def test_a_long_order_list_counts_a_thousand_past_the_page_and_still_pages_on(shop_with_a_year_of_orders):
    client = shop_with_a_year_of_orders.test_client()
    assert sign_in_as(client, "fulfilment@tidewater.example", DEMO_PASSWORDS["fulfilment"]).status_code == 303
    html = client.get("/admin/orders?page=3").get_data(as_text=True)
    assert "Page 3 (more than 1050 in all)" in html
    assert "page=4" in html and "page=2" in html
    shipped = client.get("/admin/orders?status=payment_review").get_data(as_text=True)
    assert "Page 1 of " in shipped and "more than" not in shipped
