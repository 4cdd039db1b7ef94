"""Fixtures: a migrated, demo-filled database per test run; an app per test inside a rollback."""
from __future__ import annotations

import atexit
import contextvars
import email
import email.policy
import hashlib
import io
import os
import re
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from flask_sqlalchemy.session import Session as FlaskSession
from PIL import Image
from sqlalchemy import select

from app import create_app
from app.cart.cookie import new_cart_token, signed_cart_token
from app.cart.models import Cart, CartLine
from app.catalog.models import Variant
from app.db import utcnow
from app.demo import load_demo_data
from app.extensions import db
from app.orders.models import Order
from config import ProductionConfig, TestConfig
from tests.fakes.stripe_server import event_payload, sign_payload, start_stripe_server

_TEMP_DIR = Path(tempfile.mkdtemp(prefix="shop-tests-"))
atexit.register(shutil.rmtree, _TEMP_DIR, ignore_errors=True)
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TEMP_DIR / 'test.db'}"


def make_config(database_url: str = DATABASE_URL, **overrides) -> type[TestConfig]:
    return type("RunConfig", (TestConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **overrides})


def production_config(**settings) -> type[ProductionConfig]:
    """ProductionConfig with every required setting, then these."""
    required = {"SECRET_KEY": "x" * 40, "STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x",
                "SHOP_URL": "https://shop.tidewater.test", "MAIL_SERVER": "smtp.tidewater.test",
                "MAIL_DEFAULT_SENDER": "orders@tidewater.test", "SHOP_SAFETY_EMAIL": "safety@tidewater.test"}
    return type("Prod", (ProductionConfig,), {**required, **settings})


def dispose_engines(app: Flask) -> None:
    """Close the pooled connections of every engine the app made (the main one and the read-only
    views' own, app.storefront.READS)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


def reset_database(url: str) -> None:
    """An empty database: drop the file (SQLite) or every table and type (PostgreSQL)."""
    engine = sa.create_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            Path(engine.url.database).unlink(missing_ok=True)
        else:
            with engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE"))
                connection.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def postgres_unreachable_reason(url: str) -> str | None:
    if not url.startswith("postgresql"):
        return None
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except sa.exc.OperationalError as error:
        return f"PostgreSQL at {engine.url.render_as_string()} is not reachable: {error.orig}"
    finally:
        engine.dispose()


def pytest_collection_modifyitems(config, items):
    reason = postgres_unreachable_reason(DATABASE_URL)
    if reason:
        skip = pytest.mark.skip(reason=reason)
        for item in items:
            item.add_marker(skip)


def pytest_report_header(config):
    return f"database: {sa.make_url(DATABASE_URL).render_as_string()}"


@pytest.fixture(scope="session")
def migrated_database() -> str:
    """The test database, upgraded by the real migrations and filled with the demo shop once."""
    reset_database(DATABASE_URL)
    app = create_app(make_config())
    with app.app_context():
        upgrade()
        load_demo_data(db.session)
        db.session.commit()
        db.engine.dispose()
    return DATABASE_URL


class _ConnectionBoundSession(FlaskSession):
    """Flask-SQLAlchemy picks its engine per query; tests need every query on one connection."""

    def get_bind(self, *args, **kwargs):
        return self.bind


@pytest.fixture
def config_overrides(tmp_path) -> dict:
    """Settings a test package needs on top of TestConfig (override this fixture to add some)."""
    return {"MAIL_OUTBOX_DIR": str(tmp_path / "outbox"), "UPLOAD_FOLDER": str(tmp_path / "uploads")}


@pytest.fixture
def app(migrated_database, config_overrides) -> Iterator[Flask]:
    """An app whose every request shares one transaction, rolled back after the test."""
    app = create_app(make_config(migrated_database, **config_overrides))
    app.test_client_class = IsolatedClient
    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original_session = db.session
        db.session = db._make_scoped_session(
            {"class_": _ConnectionBoundSession, "bind": connection,
             "join_transaction_mode": "create_savepoint"}
        )
        try:
            yield app
        finally:
            db.session.remove()
            db.session = original_session
            transaction.rollback()
            connection.close()
            db.engine.dispose()


class IsolatedClient(FlaskClient):
    """Runs each request in its own context, as a server would.

    Without this, requests reuse the test's app context and so share `g` (the cached cart,
    the signed-in user) with each other. After each request the test's session forgets what
    it had loaded, so the test reads what the request wrote.
    """

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)  # a streamed body is read inside the request's context
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()
        return response


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def session(app):
    """The database session the app uses, for arranging and checking data."""
    return db.session


class QueryCounter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if not re.match(r"\s*(SAVEPOINT|RELEASE|ROLLBACK)", statement, re.I):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: ...` counts the SQL statements the app sends."""
    return lambda: counting_queries(db.engine)


@contextmanager
def counting_queries(*engines: sa.Engine) -> Iterator[QueryCounter]:
    """Collect the SQL statements sent on these engines while the block runs."""
    counter = QueryCounter()
    for engine in engines:
        sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        for engine in engines:
            sa.event.remove(engine, "before_cursor_execute", counter)


CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def card_titles(html: str, heading: str = "h3") -> list[str]:
    """The titles of a page's product and article cards, in page order."""
    return re.findall(rf'<{heading} class="card-title"><a href="[^"]+">([^<]+)</a>', html)


def csrf_token_from(html: str) -> str:
    match = CSRF_TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


@pytest.fixture
def csrf_token(client):
    """A valid CSRF token for this client's session, read from a page as a browser would."""

    def fetch(path: str = "/products/magnesium-body-cream") -> str:
        return csrf_token_from(client.get(path).get_data(as_text=True))

    return fetch


DEMO_PASSWORDS = {"admin": "demo-admin-pass", "fulfilment": "demo-fulfilment-pass",
                  "marketing": "demo-marketing-pass"}


def sign_in_as(client, email: str, password: str):
    """Sign in through the real form, as a browser would."""
    token = csrf_token_from(client.get("/account/sign-in").get_data(as_text=True))
    return client.post("/account/sign-in", data={"csrf_token": token, "email": email, "password": password})


@pytest.fixture
def sign_in(app):
    """sign_in(role_or_email, password=None) -> a client signed in as a demo staff member or a shopper."""

    def signed_in_client(who: str, password: str | None = None):
        client = app.test_client()
        email = f"{who}@tidewater.example" if who in DEMO_PASSWORDS else who
        response = sign_in_as(client, email, password or DEMO_PASSWORDS[who])
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return client

    return signed_in_client


@pytest.fixture
def shopper_account(session):
    """A registered shopper: (email, password)."""
    from app.accounts.services import register

    register(session, email="casey@example.com", password="casey-password-1", name="Casey")
    session.commit()
    return "casey@example.com", "casey-password-1"


# Shopping and Stripe helpers shared by the checkout, payments and admin tests.
WEBHOOK_SECRET = "whsec_test_shop"


@pytest.fixture(scope="session")
def stripe_server():
    with start_stripe_server() as server:
        yield server


@pytest.fixture
def stripe_settings(stripe_server) -> dict:
    """Config that points the app's stripe library at the local Stripe-compatible server."""
    return {"STRIPE_SECRET_KEY": "sk_test_shop", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": stripe_server.url}


class Shopper:
    """A browser's worth of actions: fill the cart, check out, come back from Stripe."""

    def __init__(self, client, session):
        self.client = client
        self.session = session

    def variant(self, sku: str) -> Variant:
        return self.session.scalars(select(Variant).where(Variant.sku == sku)).one()

    def add(self, sku: str, quantity: int = 1):
        token = csrf_token_from(self.client.get("/products/magnesium-body-cream").get_data(as_text=True))
        return self.client.post("/cart/add", data={"csrf_token": token, "variant_id": self.variant(sku).id,
                                                   "quantity": str(quantity)})

    def checkout(self, shipping: str = "standard", email: str = "jo@example.com", **extra):
        token = csrf_token_from(self.client.get("/cart").get_data(as_text=True))
        return self.client.post("/checkout", data={"csrf_token": token, "shipping": shipping,
                                                   "email": email, **extra})

    def cart_lines(self) -> dict[str, int]:
        rows = self.session.execute(select(Variant.sku, CartLine.quantity).join(CartLine.variant))
        return dict(rows.all())


@pytest.fixture
def shopper(client, session):
    return Shopper(client, session)


def session_id_from(response) -> str:
    return session_id_from_location(response.headers["Location"])


def session_id_from_location(location: str) -> str:
    match = re.search(r"/pay/(cs_test_\w+)", location)
    assert match, location
    return match.group(1)


def latest_order(session) -> Order:
    return session.scalars(select(Order).order_by(Order.id.desc())).first()


@pytest.fixture
def deliver(client):
    """POST an event to the webhook as Stripe would (signed), returning the response."""

    def send(event: dict, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None, payload: bytes | None = None):
        body = payload if payload is not None else event_payload(event)
        return client.post("/webhooks/stripe", data=body, content_type="application/json",
                           headers={"Stripe-Signature": sign_payload(body, secret, timestamp)})

    return send


# Pages as a browser sees them, for shopper and staff tests.
STATIC = Path(__file__).resolve().parents[1] / "static"


def fingerprinted_url(name: str) -> str:
    """A static file's URL: its path, and the start of its content's SHA-256 (app/caching.py)."""
    return f"/static/{name}?v={hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]}"


def post(client, path: str, **data):
    return client.post(path, data={"csrf_token": csrf(client), "request_key": secrets.token_urlsafe(8), **data})


def page_after(client, response) -> str:
    """The page the shopper or staff member sees next: the redirect's target, or the re-shown form."""
    assert response.status_code in (200, 303), response.status_code
    if response.status_code == 200:
        return response.get_data(as_text=True)
    return client.get(response.headers["Location"]).get_data(as_text=True)


def ship(client, order, **overrides):
    data = {"carrier": "USPS", "tracking_number": "9400 1000 0000 0000 0000 00", "confirm_shipped": "y",
            **{f"lot-{line.id}": "LOT-2026-11A" for line in order.lines}, **overrides}
    return post(client, f"/admin/orders/{order.number}/ship", **data)


def outbox(app) -> list:
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))]



def csrf(client, path: str = "/admin/") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def product_form(product, **changes) -> dict:
    """The product edit form as staff see it filled in for this product, with some fields changed:
    posting it changes nothing else."""
    form = {"name": product.name, "slug": product.slug, "summary": product.summary,
            "description": product.description_markdown, "ingredients": product.ingredients,
            "directions": product.directions_markdown, "warnings": product.warnings_markdown,
            "seo_title": product.seo_title, "seo_description": product.seo_description,
            "position": str(product.position), **({"is_active": "y"} if product.is_active else {}),
            **({"is_featured": "y"} if product.is_featured else {})}
    return {**form, **changes}


def add(client, token: str, variant_id, quantity="1", **extra):
    data = {"csrf_token": token, "variant_id": variant_id, "quantity": quantity, **extra}
    return client.post("/cart/add", data=data)


def variant_by_sku(session, sku: str) -> Variant:
    return session.scalars(select(Variant).where(Variant.sku == sku)).one()


def cart_lines(session) -> dict[str, int]:
    rows = session.execute(select(Variant.sku, CartLine.quantity).join(CartLine.variant))
    return dict(rows.all())


def png_bytes(width: int = 40, height: int = 30) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (31, 95, 91)).save(buffer, "PNG")
    return buffer.getvalue()


TAX_NOTE = "Prices include any sales tax due, so we add nothing for tax: the total shown is what you pay us."


# The built-in test gateway's payment page, as a shopper fills it in.
ADDRESS = {"email": "sam@example.com", "name": "Sam Lee", "line1": "1 Harbor Way", "city": "Portland",
           "state": "ME", "postal_code": "04101", "country": "US"}
CANADIAN_ADDRESS = {**ADDRESS, "city": "Ottawa", "state": "ON", "postal_code": "K1A 0B1", "country": "CA"}


def act(shopper, page_url: str, action: str, **fields):
    token = csrf_token_from(shopper.client.get(page_url).get_data(as_text=True))
    return shopper.client.post(page_url, data={"csrf_token": token, "action": action, **fields})


@pytest.fixture
def paid_order(shopper, session, stripe_server, deliver):
    """An order paid through Checkout, its webhook applied: (order, shopper)."""
    shopper.add("TMC-CRM-4-UNS", 2)
    session_id = session_id_from(shopper.checkout(email="jo@example.com"))
    stripe_server.complete(session_id, email="jo@example.com")
    deliver(stripe_server.last_event("checkout.session.completed"))
    return latest_order(session)


# Concurrency: real commits on PostgreSQL, many requests at once.
BUYERS = 50
postgres_only = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgresql"),
    reason="concurrency tests need PostgreSQL's concurrent writers (they run in the PostgreSQL pass)",
)


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


def committed_cart(app: Flask, *, sku: str, quantity: int = 1) -> str:
    """A cart of one line, committed in a committed_app's database: its signed cookie."""
    with app.app_context():
        variant = db.session.scalars(select(Variant).where(Variant.sku == sku)).one()
        cart = Cart(token=new_cart_token(),
                    lines=[CartLine(variant=variant, quantity=quantity, seen_price_minor=variant.price_minor)])
        db.session.add(cart)
        db.session.commit()
        return signed_cart_token(cart.token)


def committed_checkout(app: Flask, *, sku: str = "TMC-CRM-4-UNS", quantity: int = 1) -> tuple[FlaskClient, str]:
    """Such a cart checked out through POST /checkout: the shopper's browser and the Stripe session id."""
    client = app.test_client()
    client.set_cookie("cart", committed_cart(app, sku=sku, quantity=quantity))
    location = client.post("/checkout", data={"shipping": "standard", "email": "pat@example.com"}).headers["Location"]
    return client, session_id_from_location(location)


def send_signed(client: FlaskClient, event: dict):
    """POST an event to the webhook, signed as Stripe signs it."""
    payload = event_payload(event)
    return client.post("/webhooks/stripe", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)})


def signed_in_staff(app: Flask, count: int, role: str = "fulfilment") -> list[FlaskClient]:
    """Browsers of a demo staff member, signed in, for a committed_app (CSRF is off there)."""
    clients = []
    for _ in range(count):
        client = app.test_client()
        answer = client.post("/account/sign-in", data={"email": f"{role}@tidewater.example",
                                                       "password": DEMO_PASSWORDS[role]})
        assert answer.status_code == 303
        clients.append(client)
    return clients


def check_out_at_once(app: Flask, cookies: list[str]) -> list[tuple[int, str]]:
    """Each browser (its cart cookie) posts /checkout at the same moment: its status and Location."""

    def check_out(index: int) -> tuple[int, str]:
        client = app.test_client()
        client.set_cookie("cart", cookies[index])
        response = client.post("/checkout", data={"shipping": "standard", "email": f"buyer{index}@example.com"})
        return response.status_code, response.headers.get("Location", "")

    return run_at_once(len(cookies), check_out)


def closed_port() -> int:
    """A local port nothing listens on: a connection to it is refused at once (a mail server or Redis down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def expired_checkout(shopper, session, sku: str = "TMC-BTR-4-UNS") -> Order:
    """An order checked out by this shopper whose checkout expired ten minutes ago, unpaid."""
    shopper.add(sku, 1)
    shopper.checkout()
    order = latest_order(session)
    order.checkout_expires_at = utcnow() - timedelta(minutes=10)
    session.commit()
    return order
