"""What runs periodically, one line each, and the scheduler that enqueues it (`flask scheduler`).

RQ's own CronScheduler enqueues each job on the shop's queue; workers run it. Add a job with one
line in PERIODIC: its name (for logs and RQ's history), the dotted path of a @background function,
and how often. Every one must be safe to run twice or at once (two schedulers, a slow run).
"""
from __future__ import annotations

from dataclasses import dataclass

from redis import Redis
from rq.cron import CronScheduler
from werkzeug.utils import import_string

from app.jobs.queue import QUEUE_NAME


@dataclass(frozen=True)
class Periodic:
    name: str
    function: str  # dotted path, imported when the scheduler starts
    every_minutes: int


PERIODIC: tuple[Periodic, ...] = (
    Periodic("expire-checkouts", "app.jobs.periodic.expire_checkouts", every_minutes=5),
    Periodic("reconcile-payments", "app.jobs.periodic.reconcile_payments", every_minutes=5),
    Periodic("retry-mail", "app.mail.services.retry_unsent_mail", every_minutes=5),
    Periodic("publish-scheduled", "app.admin.studio.scheduled.publish_scheduled", every_minutes=1),
    Periodic("send-review-invitations", "app.jobs.periodic.invite_reviewers", every_minutes=60),
)


def scheduler(connection: Redis) -> CronScheduler:
    """A CronScheduler with every periodic job registered; `.start()` runs it until SIGTERM."""
    cron = CronScheduler(connection=connection)
    for job in PERIODIC:
        # Timeout under the interval, so a hung run is killed before the next one queues.
        cron.register(import_string(job.function), QUEUE_NAME, interval=job.every_minutes * 60, name=job.name,
                      job_timeout=job.every_minutes * 60 - 30)
    return cron
