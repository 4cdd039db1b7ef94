"""What operators see: request ids, the JSON request log, /readyz, /metrics, start-up notices."""
import json
import logging

import pytest
from sqlalchemy import select

from app import create_app
from app.accounts.models import User
from shop_logs import JsonFormatter
from tests.conftest import closed_port, make_config, sign_in_as


def request_lines(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "shop.request"]


def test_each_response_carries_a_new_request_id_unless_the_proxy_sent_a_valid_one(client):
    first, second = client.get("/healthz"), client.get("/healthz")
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert len(first.headers["X-Request-ID"]) == 32
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a:01"})
    assert kept.headers["X-Request-ID"] == "lb-7f3a:01"
    for forged in ("x" * 129, "id with spaces", "<script>", "a\u00e9"):
        answer = client.get("/healthz", headers={"X-Request-ID": forged})
        assert answer.headers["X-Request-ID"] != forged


def test_one_log_line_per_request_with_its_id_status_time_and_signed_in_user(client, session, shopper_account, caplog):
    caplog.set_level(logging.INFO, logger="shop.request")
    response = client.get("/products", headers={"X-Request-ID": "req-products-1"})
    (line,) = request_lines(caplog)
    assert (line.method, line.path, line.status, line.request_id, line.user_id) == (
        "GET", "/products", 200, "req-products-1", None)
    assert 0 < line.duration_ms < 10_000
    assert response.headers["X-Request-ID"] == "req-products-1"

    sign_in_as(client, *shopper_account)
    caplog.clear()
    client.get("/account")
    (line,) = request_lines(caplog)
    casey = session.scalars(select(User).where(User.email == shopper_account[0])).one()
    assert (line.path, line.status, line.user_id) == ("/account", 200, casey.id)


def test_a_missing_page_is_logged_too(client, caplog):
    caplog.set_level(logging.INFO, logger="shop.request")
    client.get("/no-such-page")
    (line,) = request_lines(caplog)
    assert (line.path, line.status) == ("/no-such-page", 404)


def test_json_lines_hold_the_message_and_every_extra_field():
    record = logging.LogRecord("shop.request", logging.INFO, __file__, 1, "GET %s %s", ("/cart", 200), None)
    record.request_id, record.duration_ms = "abc", 12.5
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /cart 200"
    assert (line["level"], line["logger"], line["request_id"], line["duration_ms"]) == (
        "INFO", "shop.request", "abc", 12.5)
    assert line["time"].endswith("Z") and "args" not in line


def test_readyz_is_ready_when_the_database_answers(client):
    response = client.get("/readyz")
    assert (response.status_code, response.get_json()) == (200, {"status": "ok", "database": "ok"})


def test_readyz_names_what_failed(tmp_path, caplog):
    broken = create_app(make_config(f"sqlite:///{tmp_path}/missing/shop.db",
                                    REDIS_URL=f"redis://127.0.0.1:{closed_port()}/4", READINESS_TIMEOUT_SECONDS=1))
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["database"].startswith("error: OperationalError")
    assert body["redis"] in ("timed out", "error: ConnectionError")


def test_readyz_checks_the_real_redis_when_configured(migrated_database):
    shared = create_app(make_config(migrated_database, REDIS_URL="redis://127.0.0.1:6379/4"))
    response = shared.test_client().get("/readyz")
    if response.get_json().get("redis") != "ok":
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert response.status_code == 200


def test_metrics_are_for_trusted_addresses_or_the_token_holder(migrated_database):
    app = create_app(make_config(migrated_database, METRICS_ALLOWED_ADDRESSES=["10.0.0.5"],
                                 METRICS_TOKEN="scrape-secret-123"))
    client = app.test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"}).status_code == 200
    answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret-123"})
    assert answer.status_code == 200 and answer.mimetype == "text/plain"


def test_metrics_behind_a_proxy_the_app_was_not_told_of_need_the_token(migrated_database):
    """nginx on the same box makes every visitor 127.0.0.1 unless TRUSTED_PROXY_COUNT says it is there."""
    app = create_app(make_config(migrated_database, METRICS_TOKEN="scrape-secret-123"))
    client = app.test_client()
    through_proxy = {"X-Forwarded-For": "203.0.113.9"}
    assert client.get("/metrics").status_code == 200  # a scraper on the box itself
    assert client.get("/metrics", headers=through_proxy).status_code == 403
    assert client.get("/metrics", headers={**through_proxy, "Authorization": "Bearer scrape-secret-123"}).status_code == 200


def test_metrics_count_requests_by_endpoint(client):
    def count(text: str) -> float:
        label = 'shop_requests_total{endpoint="core.robots",method="GET",status="200"}'
        lines = [line for line in text.splitlines() if line.startswith(label)]
        return float(lines[0].split()[-1]) if lines else 0.0

    before = count(client.get("/metrics").get_data(as_text=True))
    client.get("/robots.txt")
    client.get("/robots.txt")
    text = client.get("/metrics").get_data(as_text=True)
    assert count(text) == before + 2
    assert 'shop_request_seconds_bucket{endpoint="core.robots",le="0.005"}' in text
    for name in ("shop_checkouts_started", "shop_payments", "shop_webhook_events", "shop_cache_lookups",
                 "shop_job_failures"):
        assert f"# TYPE {name}_total counter" in text


def test_a_shop_without_redis_says_once_what_runs_in_each_process_instead(migrated_database, caplog):
    app = create_app(make_config(migrated_database, PAGE_CACHE_ENABLED=True))
    notices = [record.getMessage() for record in caplog.records if record.name == "shop.startup"]
    assert sorted(notices) == [
        "background jobs: no REDIS_URL, so they run inline after each commit",
        "page cache: in-process (no REDIS_URL): each process keeps its own copies, for 10 s at most",
        "rate limits: counted in this process only (each server and worker counts on its own); set REDIS_URL to share them"]
    assert sorted(app.extensions["fallbacks"]) == ["background jobs", "page cache", "rate limits"]
    caplog.clear()
    create_app(make_config(migrated_database, REDIS_URL="redis://127.0.0.1:6379/4", PAGE_CACHE_ENABLED=True))
    assert not [record for record in caplog.records if record.name == "shop.startup"]
