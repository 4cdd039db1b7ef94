"""Enqueue after commit; run jobs in an app context; read and retry failed jobs (for the admin).

With REDIS_URL, a job is pushed to the RQ queue the moment its transaction commits (a session
`after_commit` hook) and a worker (`flask worker`) runs it. Without it (development), the job waits
in the session until the request ends or the command calls `run_committed_jobs`, then runs here:
the same code, without retries (`flask send-mail` catches up on mail that failed).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Flask, current_app, g, has_app_context
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Retry, Worker, get_current_job
from rq.exceptions import DuplicateJobError, InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from app.metrics import JOB_FAILURES
from app.observability import announce_fallback

log = logging.getLogger(__name__)

QUEUE_NAME = "shop"
# session.info keys: jobs asked for in the open transaction; jobs whose transaction committed,
# waiting to run inline (no Redis).
PENDING = "jobs.pending"
COMMITTED = "jobs.committed"


@dataclass(frozen=True)
class JobCall:
    func: Callable
    args: tuple
    job_id: str | None = None  # a fixed id makes the job unique: a second enqueue of it is refused
    retry: bool = False  # retried with back-off (JOB_RETRY_INTERVALS) when it raises
    for_row: Any = None  # a row the job is about: no job if that row's insert was rolled back
    meta: dict = field(default_factory=dict)


def register_jobs(app: Flask) -> None:
    """Say once at start-up where jobs run."""
    if app.config["REDIS_URL"]:
        app.logger.info("Background jobs: RQ queue %r in Redis (run `flask worker`)", QUEUE_NAME)
    else:
        announce_fallback(app, "background jobs", "no REDIS_URL, so they run inline after each commit")


def redis_connection() -> Redis | None:
    """The app's Redis client for jobs, or None when jobs run inline."""
    url = current_app.config["REDIS_URL"]
    if not url:
        return None
    clients = current_app.extensions.setdefault("jobs.redis", {})
    if url not in clients:
        # A request that commits must not hang on a stalled Redis (RQ's worker makes its own
        # connection, with a timeout longer than its blocking wait).
        clients[url] = Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2)
    return clients[url]


def job_queue(connection: Redis) -> Queue:
    return Queue(QUEUE_NAME, connection=connection)


def run_worker(connection: Redis, *, burst: bool = False) -> None:
    """RQ's forking worker on the shop's queue, with its scheduler (which queues retries when due)."""
    from app.extensions import db

    # Each job runs in a forked child: it must open connections of its own, not share the parent's.
    engines = list(db.engines.values())

    def forget_parent_connections() -> None:
        for engine in engines:
            engine.dispose(close=False)

    os.register_at_fork(after_in_child=forget_parent_connections)
    Worker([job_queue(connection)], connection=connection).work(with_scheduler=True, burst=burst)


def enqueue_after_commit(session: Session, func: Callable, *args, job_id: str | None = None,
                         retry: bool = False, for_row: Any = None) -> None:
    """Run func(*args) in the background once this session's transaction commits; nothing if it rolls back."""
    meta = {"request_id": g.get("request_id")} if has_app_context() else {}
    session.info.setdefault(PENDING, []).append(JobCall(func, args, job_id, retry, for_row, meta))


@event.listens_for(Session, "after_commit")
def _transaction_committed(session: Session) -> None:
    calls = [call for call in session.info.pop(PENDING, []) if call.for_row is None or inspect(call.for_row).persistent]
    if not calls:
        return
    connection = redis_connection()
    if connection is None:
        session.info.setdefault(COMMITTED, []).extend(calls)
        return
    for call in calls:
        enqueue(connection, call)


@event.listens_for(Session, "after_soft_rollback")
def _transaction_rolled_back(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(PENDING, None)


def enqueue(connection: Redis, call: JobCall) -> Job | None:
    """Push one job to the queue now. None if a job with its id exists already, or if Redis is
    down: the change it follows has committed, so this logs and carries on (the mail sweep finds
    messages whose job never got queued)."""
    config = current_app.config
    try:
        return job_queue(connection).enqueue(
            call.func, *call.args, job_id=call.job_id, unique=call.job_id is not None, meta=call.meta,
            retry=Retry(max=len(config["JOB_RETRY_INTERVALS"]), interval=config["JOB_RETRY_INTERVALS"])
            if call.retry else None)
    except DuplicateJobError:
        log.info("Job %s is queued already", call.job_id)
    except RedisError:
        log.exception("Could not queue %s%r", call.func.__name__, call.args)
    return None


def run_committed_jobs(session: Session) -> None:
    """Inline mode: run the jobs of this session's committed transactions, each after the other.
    A failure is logged, as a worker would; the request that caused it has its answer already."""
    for call in session.info.pop(COMMITTED, []):
        try:
            call.func(*call.args)
        except Exception:
            log.exception("Job %s%r failed (inline; no REDIS_URL)", call.func.__name__, call.args)


def background(func: Callable) -> Callable:
    """Make func a job: it runs in a fresh app context (its own database session, removed after),
    counts its attempts in the job's meta, and logs the request id of the request that queued it."""

    @wraps(func)
    def run(*args, **kwargs):
        if not has_app_context():
            raise RuntimeError("Jobs run in the shop's app: start workers with `flask worker`, not `rq worker`")
        with current_app.app_context():
            job = get_current_job()
            if job is not None:
                job.meta["attempts"] = job.meta.get("attempts", 0) + 1
                job.save_meta()
                g.request_id = job.meta.get("request_id")
                log.info("Job %s: %s (attempt %s, request %s)", job.id, func.__name__, job.meta["attempts"],
                         g.request_id)
            try:
                return func(*args, **kwargs)
            except Exception:
                JOB_FAILURES.labels(func.__name__).inc()
                raise

    return run


@dataclass(frozen=True)
class FailedJob:
    id: str
    function: str
    arguments: str
    error: str
    failed_at: datetime | None
    attempts: int


def failed_jobs(connection: Redis, *, limit: int = 100) -> tuple[list[FailedJob], int]:
    """The most recent failed jobs (what ran, with what, what went wrong, when, how often), and how many failed."""
    registry = FailedJobRegistry(queue=job_queue(connection))
    ids = registry.get_job_ids(0, limit - 1, desc=True)
    return [_described(job) for job in Job.fetch_many(ids, connection=connection) if job is not None], registry.count


def _described(job: Job) -> FailedJob:
    result = job.latest_result()
    error = result.exc_string.strip().splitlines()[-1] if result and result.exc_string else ""
    arguments = ", ".join([*map(repr, job.args), *(f"{key}={value!r}" for key, value in job.kwargs.items())])
    return FailedJob(id=job.id, function=job.func_name or "", error=error[:300], failed_at=job.ended_at,
                     arguments=arguments if len(arguments) <= 120 else arguments[:119] + "\u2026",
                     attempts=job.meta.get("attempts", 0))


class JobNotFailed(LookupError):
    """The job is not (or no longer) among the failed ones."""


def retry_failed_job(connection: Redis, job_id: str) -> FailedJob:
    """Put a failed job back on its queue, to run once more (its automatic retries are spent).
    The registry takes it off the failed list atomically: of two admins retrying at once, one does."""
    try:
        job = Job.fetch(job_id, connection=connection)
        described = _described(job)
        FailedJobRegistry(queue=job_queue(connection)).requeue(job)
    except (NoSuchJobError, InvalidJobOperation) as error:
        raise JobNotFailed("That job is no longer in the failed list: it was retried already or has expired.") from error
    return described
