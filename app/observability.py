"""What operators see of a running shop: JSON log lines, the request id, per-request metrics,
readiness checks, and the start-up notices of features running without their shared service.

Each request gets an id (a well-formed X-Request-ID from the proxy, else a new one) kept in
`flask.g.request_id` for anything that runs on its behalf (log lines, jobs) and sent back in the
response's X-Request-ID; the "shop.request" logger writes one line per request when it ends.
"""
from __future__ import annotations

import logging
import logging.config
import re
import time
import uuid
from concurrent.futures import ThreadPoolExecutor, wait

from flask import Flask, g, request
from sqlalchemy import Engine, text

from app.metrics import REQUESTS, REQUEST_SECONDS
from shop_logs import logging_config

REQUEST_ID_HEADER = "X-Request-ID"
# A proxy's id is kept only if it is short and plain, as it goes into every log line.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
request_log = logging.getLogger("shop.request")
startup_log = logging.getLogger("shop.startup")


def announce_fallback(app: Flask, feature: str, fallback: str) -> None:
    """Say once, while the app is created, that `feature` runs without its shared service and
    what it does instead: each gunicorn worker creates its app once, so each says it once. Call it
    from the code that chooses the fallback, e.g.
    `announce_fallback(app, "page cache", "kept in this process; set REDIS_URL to share it")`.
    The notices are kept in `app.extensions["fallbacks"]` (feature -> fallback) for tests."""
    notices = app.extensions.setdefault("fallbacks", {})
    if feature not in notices:
        notices[feature] = fallback
        startup_log.warning("%s: %s", feature, fallback, extra={"feature": feature, "fallback": fallback})


def register_observability(app: Flask) -> None:
    """Request ids, the request log line and request metrics; the rate limits' start-up notice."""
    # Under gunicorn, gunicorn.conf.py has configured logging already; `flask` commands get it here.
    if app.config["LOG_FORMAT"] == "json" and not logging.getLogger().handlers:
        logging.config.dictConfig(logging_config(json=True, level=app.config["LOG_LEVEL"]))
    if not app.config["REDIS_URL"]:
        announce_fallback(app, "rate limits", "counted in this process only (each server and worker "
                                              "counts on its own); set REDIS_URL to share them")

    @app.before_request
    def start_request() -> None:
        g.request_started = time.perf_counter()
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER, ""))

    @app.after_request
    def finish_request(response):
        # A request refused before start_request ran (a bad Host) still gets an id and a line.
        request_id = g.setdefault("request_id", uuid.uuid4().hex)
        seconds = time.perf_counter() - g.get("request_started", time.perf_counter())
        response.headers[REQUEST_ID_HEADER] = request_id
        record_request(endpoint=request.endpoint or "unmatched", method=request.method, path=request.path,
                       status=response.status_code, seconds=seconds, request_id=request_id,
                       user_id=g.get("signed_in_user_id"))
        return response


def request_id_from(incoming: str) -> str:
    """The caller's X-Request-ID if it is a sane one, else a new id."""
    return incoming if _VALID_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex


def record_request(*, endpoint: str, method: str, path: str, status: int, seconds: float, request_id: str,
                   user_id: int | None = None) -> None:
    """Count a request in the metrics and write its log line: for Flask's requests and for the
    pages the page cache answers before Flask (app.pagecache)."""
    REQUESTS.labels(endpoint, method, str(status)).inc()
    REQUEST_SECONDS.labels(endpoint).observe(seconds)
    if request_log.isEnabledFor(logging.INFO):
        request_log.info("%s %s %s", method, path, status, extra={
            "method": method, "path": path, "status": status, "duration_ms": round(seconds * 1000, 1),
            "request_id": request_id, "user_id": user_id})


def readiness(engine: Engine, redis_url: str | None, *, timeout: float) -> dict[str, str]:
    """Whether the database (and Redis, if the shop uses it) answer within `timeout` seconds,
    checked at once: {"database": "ok", "redis": "timed out"}. A check that hangs is left to finish
    on its own thread; the answer does not wait for it."""
    checks = {"database": lambda: _ping_database(engine)}
    if redis_url:
        checks["redis"] = lambda: _ping_redis(redis_url, timeout)
    pool = ThreadPoolExecutor(max_workers=len(checks))
    futures = {name: pool.submit(check) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=False)
    results = {}
    for name, future in futures.items():
        if not future.done():
            results[name] = "timed out"
        elif future.exception() is not None:
            results[name] = f"error: {type(future.exception()).__name__}"
        else:
            results[name] = "ok"
    return results


def _ping_database(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def _ping_redis(url: str, timeout: float) -> None:
    import redis  # only a shop that uses Redis needs it loaded

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
    try:
        client.ping()
    finally:
        client.close()
