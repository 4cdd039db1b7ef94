"""`make serve`'s gunicorn: it refuses an unsafe configuration, adds up every worker's metrics, and
reloads on HUP without dropping a request."""
import os
import re
import signal
import subprocess
import time

import requests

from tests.conftest import postgres_only
from tests.scale.conftest import GUNICORN, ROOT


def test_gunicorn_refuses_to_start_without_the_production_settings(tmp_path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("FLASK_", "SECRET_KEY", "DATABASE_URL", "STRIPE_", "SHOP_URL", "MAIL_"))}
    env.update(BIND="127.0.0.1:0", WEB_CONCURRENCY="1", INSTANCE_PATH=str(tmp_path))
    done = subprocess.run([GUNICORN, "--config", "gunicorn.conf.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode != 0
    assert "Unsafe production configuration: SECRET_KEY must be set" in done.stdout + done.stderr


def request_count(server, endpoint: str = "core.robots") -> float:
    text = requests.get(f"{server.url}/metrics", timeout=10).text  # from 127.0.0.1: a trusted address
    found = re.search(rf'^shop_requests_total{{endpoint="{endpoint}",method="GET",status="200"}} (\S+)$', text, re.M)
    return float(found.group(1)) if found else 0.0


@postgres_only
def test_metrics_add_up_every_worker_and_every_request_has_an_id(cluster):
    server = cluster.servers[0]
    before = request_count(server)
    answers = [requests.get(f"{server.url}/robots.txt", timeout=10) for _ in range(20)]
    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.headers["X-Request-ID"] for answer in answers}) == 20
    assert request_count(server) == before + 20  # whichever of its workers answered each


@postgres_only
def test_hup_reloads_the_workers_without_dropping_a_request(cluster):
    server = cluster.servers[0]
    workers = set(subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
                  .stdout.split())
    os.kill(server.process.pid, signal.SIGHUP)
    statuses, deadline = [], time.monotonic() + 20
    while time.monotonic() < deadline:
        statuses.append(requests.get(f"{server.url}/healthz", timeout=30).status_code)
        now = set(subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
                  .stdout.split())
        if now and not now & workers:
            break
    assert now and not now & workers, "the old workers were not replaced"
    assert set(statuses) == {200}
