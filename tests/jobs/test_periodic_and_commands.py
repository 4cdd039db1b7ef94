"""Periodic work queued by RQ's scheduler and run by a worker; the worker and scheduler commands;
inline mode without Redis."""
import os
import subprocess
import sys
from pathlib import Path

from rq.registry import FailedJobRegistry, FinishedJobRegistry

from app.extensions import db
from app.jobs.queue import job_queue
from app.jobs.schedule import PERIODIC, scheduler
from app.mail.services import commit_then_send, queue_email
from app.orders.models import OrderStatus
from tests.conftest import expired_checkout, outbox, postgres_only
from tests.jobs.conftest import REDIS_URL, work_off

ROOT = Path(__file__).resolve().parents[2]


def test_the_scheduler_queues_each_periodic_job_and_a_worker_runs_them(app, session, redis, shopper):
    order = expired_checkout(shopper, session)
    due = scheduler(redis).enqueue_jobs()  # what `flask scheduler` does when each is due
    assert sorted(job.name for job in due) == sorted(job.name for job in PERIODIC)
    assert job_queue(redis).count == len(PERIODIC)
    work_off(redis)
    assert len(FinishedJobRegistry(queue=job_queue(redis))) == len(PERIODIC)
    assert FailedJobRegistry(queue=job_queue(redis)).get_job_ids() == []
    session.refresh(order)
    assert order.status is OrderStatus.cancelled  # expire-checkouts ran in the worker


def test_without_redis_mail_goes_inline_and_the_worker_commands_explain(app, session, redis, sign_in):
    app.config["REDIS_URL"] = None
    with app.test_request_context():
        queue_email(session, recipient="sam@example.com", subject="Inline", template="account_exists",
                    link="https://shop.test/account/sign-in", user=None)
        commit_then_send(session)
    assert [mail["Subject"] for mail in outbox(app)] == ["Inline"]  # sent right after the commit
    assert job_queue(redis).count == 0
    for command in ("worker", "scheduler"):
        result = app.test_cli_runner().invoke(args=[command])
        assert result.exit_code == 1 and "REDIS_URL is not set" in result.output
    page = sign_in("admin").get("/admin/jobs").get_data(as_text=True)
    assert "run inline" in page


@postgres_only
def test_flask_worker_runs_queued_mail(committed_app, redis, tmp_path):
    committed_app.config["REDIS_URL"] = REDIS_URL
    with committed_app.test_request_context():
        queue_email(db.session, recipient="sam@example.com", subject="By the worker", template="account_exists",
                    link="https://shop.test/account/sign-in", user=None)
        commit_then_send(db.session)
    assert outbox(committed_app) == []
    environment = {**os.environ, "FLASK_APP": "app", "FLASK_CONFIG": "development", "INSTANCE_PATH": str(tmp_path),
                   "DATABASE_URL": committed_app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": REDIS_URL,
                   "MAIL_OUTBOX_DIR": committed_app.config["MAIL_OUTBOX_DIR"], "MAIL_SERVER": ""}
    subprocess.run([sys.executable, "-m", "flask", "worker", "--burst"], cwd=ROOT, env=environment, timeout=60,
                   check=True, capture_output=True)
    assert [mail["Subject"] for mail in outbox(committed_app)] == ["By the worker"]
