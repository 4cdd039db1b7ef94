"""Every Prometheus metric the shop exports, in one place: import the one you count and call it.

Under gunicorn the values live in PROMETHEUS_MULTIPROC_DIR (set by gunicorn.conf.py before the app
is imported), so `/metrics` adds up every worker; without it they live in this process. Labels
take only a few known values each: never an id, a path or anything a visitor types.
"""
from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.registry import REGISTRY

# Buckets for page times, in seconds: most pages take milliseconds, a checkout waits on Stripe.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("shop_requests", "Requests answered, by endpoint, method and status code",
                   ["endpoint", "method", "status"])
REQUEST_SECONDS = Histogram("shop_request_seconds", "Time to answer a request, by endpoint",
                            ["endpoint"], buckets=_LATENCY_BUCKETS)
CHECKOUTS_STARTED = Counter("shop_checkouts_started", "Orders placed and sent to a payment page")
PAYMENTS = Counter("shop_payments", "Payments by outcome: paid, held (for staff review), failed, expired",
                   ["outcome"])
WEBHOOK_EVENTS = Counter("shop_webhook_events", "Payment provider events received, by type and outcome",
                         ["type", "outcome"])
# Counted by the page cache and the job queue.
CACHE_LOOKUPS = Counter("shop_cache_lookups", "Page cache lookups, by result (hit or miss)", ["result"])
JOB_FAILURES = Counter("shop_job_failures", "Background jobs that raised, by job name", ["job"])


def exposition(multiprocess_dir: str | None) -> bytes:
    """The text `/metrics` answers: every worker's values when they share a directory."""
    if not multiprocess_dir:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=multiprocess_dir)
    return generate_latest(registry)
