"""gunicorn's settings for the shop (`make serve`), each from the environment with a default.

Reload without dropping a request: `kill -HUP <master pid>` starts new workers with the new code
and settings, then stops the old ones gracefully (each finishes its requests, for at most
GRACEFUL_TIMEOUT_SECONDS). docs/operations.md has the rolling restart of several servers.
"""
import os
import shutil
import tempfile
from pathlib import Path

# Prometheus multiprocess mode: every worker writes its counters to files in one directory, which
# /metrics adds up. Set before prometheus_client is imported, as it reads the variable then.
# One directory per master: two servers on one machine must not add up (or wipe) each other's.
_own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
_metrics_dir = os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                                     str(Path(tempfile.gettempdir()) / f"shop-metrics-{os.getpid()}"))

from prometheus_client import multiprocess  # noqa: E402

from shop_logs import logging_config  # noqa: E402  (not the app: HUP could not reload it)

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
# Two per core is the usual start; each is a process with its own database pools (README).
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1))))
# Threads let a worker serve pages while another request waits on Stripe; more than one switches
# gunicorn to its threaded worker. Size DATABASE_POOL_SIZE to at least twice this (README).
threads = int(os.environ.get("THREADS", "2"))
# A request running longer than this gets its worker killed: keep it above Stripe's worst case
# (config.py refuses settings where it is not).
timeout = int(os.environ.get("WORKER_TIMEOUT_SECONDS", "30"))
graceful_timeout = int(os.environ.get("GRACEFUL_TIMEOUT_SECONDS", "30"))
keepalive = int(os.environ.get("KEEPALIVE_SECONDS", "5"))  # behind a load balancer: above its idle timeout
# Recycle workers now and then, so a slow leak cannot grow without bound; jitter staggers them.
max_requests = int(os.environ.get("MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# The shop writes its own line per request (app/observability.py, with the request id and the
# signed-in user); gunicorn's access log is off unless ACCESS_LOG names a file or "-" (stdout).
accesslog = os.environ.get("ACCESS_LOG") or None
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%({x-request-id}o)s"'
logconfig_dict = logging_config(json=os.environ.get("LOG_FORMAT", "json") == "json",
                                level=os.environ.get("LOG_LEVEL", "INFO"))
os.environ.setdefault("FLASK_CONFIG", "production")
wsgi_app = "app:create_app()"


def on_starting(server) -> None:
    """A new master starts with empty metrics: the files of a previous run would be added in."""
    os.makedirs(_metrics_dir, exist_ok=True)
    for stale in Path(_metrics_dir).glob("*.db"):
        stale.unlink()


def on_exit(server) -> None:
    if _own_metrics_dir:
        shutil.rmtree(_metrics_dir, ignore_errors=True)


def child_exit(server, worker) -> None:
    """A worker that exited stops counting towards gauges (counters keep what it counted)."""
    multiprocess.mark_process_dead(worker.pid)
