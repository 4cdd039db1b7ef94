"""Two app servers, as production runs them: gunicorn with gunicorn.conf.py and the production
configuration, on free ports, sharing one PostgreSQL database and Redis (database 4), paying through
the local Stripe-compatible server. Reuse: take the `cluster` fixture, talk to `cluster.servers[0]`
and `[1]` with `Browser`s, check the database with `cluster.sql(...)`.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.demo import load_demo_data
from app.extensions import db
from tests.conftest import (DATABASE_URL, WEBHOOK_SECRET, closed_port, csrf_token_from, dispose_engines,
                            empty_postgres_database, make_config)
from tests.fakes.stripe_server import post_event

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
FLASK = ROOT / ".venv" / "bin" / "flask"
REDIS_URL = os.environ.get("SCALE_REDIS_URL", "redis://127.0.0.1:6379/4")
SHOP_HOST = "127.0.0.1"  # SHOP_URL's host: every request names it, on whichever port


class AppServer:
    """One gunicorn master and its workers, in a process group of their own."""

    def __init__(self, name: str, env: dict[str, str], log_dir: Path) -> None:
        self.name, self.log_path = name, log_dir / f"{name}.log"
        self.port = closed_port()  # free until gunicorn binds it
        self.env = {**env, "BIND": f"127.0.0.1:{self.port}"}
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> None:
        self.launch()
        self.wait_until_ready(timeout)

    def launch(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen([GUNICORN, "--config", "gunicorn.conf.py"], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_until_ready(self, timeout: float = 30) -> None:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_path.read_text()[-3000:]}")
            try:
                if requests.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet, or its workers still booting
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} was not ready in {timeout:.0f} s:\n{self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: a server that lost its power."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


class Browser:
    """A shopper's browser on one server: its own cookies, CSRF tokens read from the pages."""

    def __init__(self, server: AppServer, address: str = "127.0.0.1") -> None:
        self.server = server
        self.http = requests.Session()
        # The one proxy in front (TRUSTED_PROXY_COUNT=1) says who the shopper is.
        self.http.headers["X-Forwarded-For"] = address

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.http.get(self.server.url + path, allow_redirects=False, timeout=30, **kwargs)

    def post(self, path: str, data: dict, *, token_from: str | None = None) -> requests.Response:
        """POST with a CSRF token read from the page token_from, or, as static/js/shopper.js does on
        a shared (cached) page, from /shopper."""
        token = (csrf_token_from(self.get(token_from).text) if token_from
                 else self.get("/shopper?csrf=1").json()["csrf_token"])
        return self.http.post(self.server.url + path, data={"csrf_token": token, **data}, allow_redirects=False,
                              timeout=30)

    def add_to_cart(self, variant_id: int, quantity: int = 1) -> None:
        answer = self.post("/cart/add", {"variant_id": str(variant_id), "quantity": str(quantity)})
        assert answer.status_code in (302, 303), answer.status_code

    def check_out(self, email: str) -> requests.Response:
        return self.post("/checkout", {"shipping": "standard", "email": email}, token_from="/cart")


class Cluster:
    def __init__(self, database_url: str, servers: list[AppServer], stripe, env: dict[str, str]) -> None:
        self.database_url, self.servers, self.stripe, self.env = database_url, servers, stripe, env
        self.engine = sa.create_engine(database_url)

    def sql(self, statement: str, **params) -> list[sa.Row]:
        with self.engine.begin() as connection:
            result = connection.execute(sa.text(statement), params)
            return result.all() if result.returns_rows else []

    def flask(self, *args: str, **env: str) -> str:
        """A `flask` command under the production configuration, as cron runs it."""
        done = subprocess.run([FLASK, *args], cwd=ROOT, env={**self.env, **env}, capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout

    def deliver_events(self, server: AppServer, kind: str = "checkout.session.completed") -> None:
        """POST every event of this kind the fake emitted to a server's webhook, signed."""
        for event in [event for event in self.stripe.events if event["type"] == kind]:
            assert post_event(f"{server.url}/webhooks/stripe", event, WEBHOOK_SECRET) == 200


@pytest.fixture(scope="session")
def cluster(stripe_server, tmp_path_factory) -> Iterator[Cluster]:
    if sa.make_url(DATABASE_URL).get_backend_name() != "postgresql":
        pytest.skip("two app servers share PostgreSQL (they run in the PostgreSQL pass)")
    try:
        redis.Redis.from_url(REDIS_URL).flushdb()  # this suite's own database number only
    except redis.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_URL}")
    database_url = empty_postgres_database("scale")
    setup = create_app(make_config(database_url))
    with setup.app_context():
        upgrade()
        load_demo_data(db.session)
        db.session.commit()
    dispose_engines(setup)
    folder = tmp_path_factory.mktemp("scale")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("FLASK_", "PROMETHEUS"))}
    env.update({
        "FLASK_APP": "app", "FLASK_CONFIG": "production", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "scale-test-secret-key-0123456789abcdef", "SHOP_URL": f"http://{SHOP_HOST}",
        "SESSION_COOKIE_SECURE": "off", "TRUSTED_PROXY_COUNT": "1",
        "STRIPE_SECRET_KEY": "sk_test_shop", "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_server.url, "STRIPE_TIMEOUT_SECONDS": "5",
        # Mail goes nowhere (a closed port): it stays in the outbox table, as when SMTP is down.
        "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(closed_port()), "MAIL_USE_TLS": "off",
        "MAIL_DEFAULT_SENDER": "orders@tidewater.test", "SHOP_SAFETY_EMAIL": "safety@tidewater.test",
        "INSTANCE_PATH": str(folder), "UPLOAD_FOLDER": str(folder / "uploads"),
        "WEB_CONCURRENCY": "2", "THREADS": "4", "DATABASE_POOL_SIZE": "4", "DATABASE_MAX_OVERFLOW": "2",
    })
    servers = [AppServer(name, env, folder) for name in ("one", "two")]
    try:
        for server in servers:
            server.launch()  # both boot at once
        for server in servers:
            server.wait_until_ready()
        cluster = Cluster(database_url, servers, stripe_server, env)
        yield cluster
        cluster.engine.dispose()
    finally:
        for server in servers:
            server.stop()


@pytest.fixture(autouse=True)
def servers_up(request) -> None:
    """Each test here starts with both servers answering (a test may have killed one)."""
    if "cluster" in request.fixturenames:
        for server in request.getfixturevalue("cluster").servers:
            server.wait_until_ready()
