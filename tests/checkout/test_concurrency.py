"""Races that must have one winner, run on PostgreSQL with real concurrent transactions."""
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from sqlalchemy import func, select

from app import create_app
from app.cart.cookie import new_cart_token, signed_cart_token
from app.cart.models import Cart, CartLine
from app.catalog.models import StockMovement, Variant
from app.demo import load_demo_data
from app.extensions import db
from app.orders.models import Order, OrderEvent, OrderStatus
from app.payments.models import PaymentEvent
from tests.conftest import WEBHOOK_SECRET
from tests.conftest import DATABASE_URL, dispose_engines, make_config, reset_database
from tests.fakes.stripe_server import event_payload, sign_payload

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql"),
    reason="concurrency tests need PostgreSQL's concurrent writers (they run in the PostgreSQL pass)",
)
BUYERS = 50
LAST_UNITS = 5
DELIVERIES = 20


@pytest.fixture
def committed_app(stripe_server, tmp_path):
    """An app on its own database whose requests really commit, as under a live server."""
    url = sa.make_url(DATABASE_URL)
    name = f"{url.database}_concurrency"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}):
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    database_url = url.set(database=name).render_as_string(hide_password=False)
    reset_database(database_url)
    app = create_app(make_config(
        database_url, WTF_CSRF_ENABLED=False, MAIL_OUTBOX_DIR=str(tmp_path / "outbox"),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 10, "max_overflow": BUYERS},
        STRIPE_SECRET_KEY="sk_test_shop", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=stripe_server.url,
    ))
    with app.app_context():
        upgrade()
        load_demo_data(db.session)
        db.session.commit()
    yield app
    dispose_engines(app)


def run_at_once(count: int, work):
    """Start `count` calls of work(i) together (a barrier) and return their results."""
    barrier = threading.Barrier(count)

    def task(index):
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(task, range(count)))


def test_fifty_buyers_for_the_last_five_units(committed_app):
    with committed_app.app_context():
        variant = db.session.scalars(select(Variant).where(Variant.sku == "TMC-CRM-4-UNS")).one()
        variant.stock_on_hand, variant.stock_reserved = LAST_UNITS, 0
        cookies = []
        for _ in range(BUYERS):
            cart = Cart(token=new_cart_token(), lines=[CartLine(variant=variant, quantity=1, seen_price_minor=variant.price_minor)])
            db.session.add(cart)
            cookies.append(signed_cart_token(cart.token))
        db.session.commit()
        variant_id = variant.id

    def buy(index):
        client = committed_app.test_client()
        client.set_cookie("cart", cookies[index])
        response = client.post("/checkout", data={"shipping": "standard", "email": f"buyer{index}@example.com"})
        return response.status_code, response.headers.get("Location", "")

    results = run_at_once(BUYERS, buy)
    paid_pages = [location for status, location in results if status == 303 and re.search(r"/pay/cs_test_", location)]
    sent_back = [location for status, location in results if status == 303 and location.endswith("/cart")]
    assert len(paid_pages) == LAST_UNITS, results
    assert len(sent_back) == BUYERS - LAST_UNITS, results

    with committed_app.app_context():
        variant = db.session.get(Variant, variant_id)
        assert (variant.stock_on_hand, variant.stock_reserved) == (LAST_UNITS, LAST_UNITS)
        assert db.session.scalar(select(func.count(Order.id)).where(Order.status == OrderStatus.pending_payment)) == LAST_UNITS
        reservations = db.session.scalar(select(func.sum(StockMovement.reserved_delta)).where(
            StockMovement.variant_id == variant_id, StockMovement.reason == "reserved"))
        assert reservations == LAST_UNITS


def test_twenty_simultaneous_deliveries_of_one_event_have_one_effect(committed_app, stripe_server):
    with committed_app.app_context():
        variant = db.session.scalars(select(Variant).where(Variant.sku == "TMC-BTR-4-UNS")).one()
        cart = Cart(token=new_cart_token(), lines=[CartLine(variant=variant, quantity=2, seen_price_minor=variant.price_minor)])
        db.session.add(cart)
        db.session.commit()
        cookie, on_hand = signed_cart_token(cart.token), variant.stock_on_hand
    client = committed_app.test_client()
    client.set_cookie("cart", cookie)
    location = client.post("/checkout", data={"shipping": "standard", "email": "pat@example.com"}).headers["Location"]
    stripe_server.complete(re.search(r"/pay/(cs_test_\w+)", location).group(1))
    payload = event_payload(stripe_server.last_event("checkout.session.completed"))

    def deliver(_):
        response = committed_app.test_client().post(
            "/webhooks/stripe", data=payload, content_type="application/json",
            headers={"Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)})
        return response.status_code, response.get_json()["outcome"]

    results = run_at_once(DELIVERIES, deliver)
    assert all(status == 200 for status, _ in results), results
    assert [outcome for _, outcome in results].count("order paid") == 1, results

    with committed_app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        assert db.session.scalar(select(func.count(PaymentEvent.id))) == 1
        assert db.session.scalar(select(func.count(OrderEvent.id)).where(
            OrderEvent.order_id == order.id, OrderEvent.kind == "paid")) == 1
        variant = db.session.scalars(select(Variant).where(Variant.sku == "TMC-BTR-4-UNS")).one()
        assert (variant.stock_on_hand, variant.stock_reserved) == (on_hand - 2, 0)
