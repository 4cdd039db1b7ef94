"""Browser-test fixtures: a real server on its own demo database, and Debian's Chromium.

Every test under tests/e2e is marked `e2e` (so the PostgreSQL pass can leave them out) and is
skipped, with the command that fixes it, when Chromium is not installed.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from app import create_app
from app.demo import load_demo_data
from app.extensions import db
from tests.conftest import dispose_engines, make_config, reset_database

CHROMIUM = Path("/usr/bin/chromium")
E2E_DIR = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m "not e2e"` deselects by marker
def pytest_collection_modifyitems(config, items):
    # A conftest hook sees every collected item, not only this directory's.
    e2e_items = [item for item in items if E2E_DIR in item.path.parents]
    for item in e2e_items:
        item.add_marker(pytest.mark.e2e)
        if not CHROMIUM.exists():
            item.add_marker(pytest.mark.skip(
                reason=f"{CHROMIUM} is missing: install it with: apt-get install -y chromium"
            ))


@pytest.fixture(scope="session")
def live_app(tmp_path_factory):
    """The app behind the live server, for arranging data (e.g. a shopper's account) directly."""
    folder = tmp_path_factory.mktemp("live-server")
    url = f"sqlite:///{folder / 'shop.db'}"
    reset_database(url)
    return create_app(make_config(url, MAIL_OUTBOX_DIR=str(folder / "outbox"), RATELIMIT_ENABLED=False))


@pytest.fixture(scope="session")
def live_server(live_app) -> Iterator[str]:
    """The demo shop served over HTTP for the whole session; yields its base URL.

    It has its own SQLite file: the shared test database lives inside per-test rollbacks,
    which a server in another thread would never see.
    """
    with serving_demo_shop(live_app) as url:
        yield url


@contextmanager
def serving_demo_shop(app) -> Iterator[str]:
    """app's database migrated and filled with the demo data, served over HTTP in a thread."""
    with app.app_context():
        upgrade()
        load_demo_data(db.session)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
        dispose_engines(app)


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """pytest-playwright gives every browser context this base, so tests can goto("/cart")."""
    return live_server


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium instead of a Playwright download (there may be no internet)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        # No sandbox and no GPU in containers; no background fetches to Google while testing.
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    }


@pytest.fixture(scope="session")
def screenshot_dir(pytestconfig) -> Path:
    """test-results/screenshots (pytest-playwright's --output, git-ignored, emptied each run)."""
    path = Path(pytestconfig.getoption("--output")).absolute() / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path
