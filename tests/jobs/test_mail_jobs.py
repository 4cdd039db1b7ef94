"""Email as RQ jobs on a real Redis: sent by a worker, retried with back-off, then listed for admins."""
import logging
from datetime import timedelta

from flask import g
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from app.admin.models import AuditEntry
from app.db import utcnow
from app.jobs.queue import failed_jobs, job_queue
from app.mail.models import OutboxMessage
from app.mail.services import commit_then_send, mail_job_id, queue_email
from tests.conftest import closed_port, csrf_token_from, outbox
from tests.jobs.conftest import REDIS_URL, work_off


def mail_server_down(app) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False)  # refused


def queue_one(app, session, subject: str = "Hello") -> OutboxMessage:
    with app.test_request_context():
        g.request_id = "req-7f3a"  # as the request-id middleware sets it
        message = queue_email(session, recipient="sam@example.com", subject=subject, template="account_exists",
                              link="https://shop.test/account/sign-in", user=None)
        commit_then_send(session)
    return message


def test_a_committed_email_waits_for_the_worker_then_goes_once(app, session, redis, caplog):
    message = queue_one(app, session)
    assert outbox(app) == []  # queued, not sent by the request
    job = Job.fetch(mail_job_id(message.id), connection=redis)
    assert job.func_name == "app.mail.services.send_queued_email" and job.args == (message.id,)
    assert job.meta["request_id"] == "req-7f3a"

    with caplog.at_level(logging.INFO, logger="app.jobs.queue"):
        work_off(redis)
    assert [mail["Subject"] for mail in outbox(app)] == ["Hello"]
    session.refresh(message)
    assert message.sent_at is not None and message.attempts == 1
    assert "request req-7f3a" in caplog.text  # the worker's log line names the request that queued it

    work_off(redis)  # nothing left: no second copy
    assert len(outbox(app)) == 1


def test_a_rolled_back_email_queues_no_job(app, session, redis):
    with app.test_request_context():
        queue_email(session, recipient="sam@example.com", subject="Undone", template="account_exists",
                    link="https://shop.test/account/sign-in", user=None)
        session.rollback()
        commit_then_send(session)
    assert job_queue(redis).count == 0


def test_a_failed_send_is_retried_after_a_back_off(app, session, redis):
    mail_server_down(app)
    message = queue_one(app, session)
    work_off(redis)
    session.refresh(message)
    assert message.sent_at is None and message.attempts == 1 and message.last_error
    scheduled = ScheduledJobRegistry(queue=job_queue(redis))
    assert scheduled.get_job_ids() == [mail_job_id(message.id)]
    retry_at = scheduled.get_scheduled_time(mail_job_id(message.id))
    assert timedelta(seconds=50) < retry_at - utcnow() <= timedelta(seconds=60)  # the first interval


def retry_button_token(client) -> str:
    return csrf_token_from(client.get("/admin/jobs").get_data(as_text=True))


def test_a_job_failing_every_retry_is_listed_for_admins_and_a_retry_sends_it_once(app, session, redis, sign_in):
    app.config["JOB_RETRY_INTERVALS"] = [0, 0]  # two retries, at once: the test needs no waiting
    mail_server_down(app)
    message = queue_one(app, session, subject="Your order")
    work_off(redis)
    session.refresh(message)
    assert message.attempts == 3 and message.sent_at is None
    assert FailedJobRegistry(queue=job_queue(redis)).get_job_ids() == [mail_job_id(message.id)]

    admin = sign_in("admin")
    page = admin.get("/admin/jobs").get_data(as_text=True)
    assert "app.mail.services.send_queued_email" in page and f"<code>{message.id}</code>" in page
    assert "MailNotSent" in page and "Connection refused" in page
    assert "<td>3</td>" in page  # attempts

    app.config.update(MAIL_SERVER="")  # the mail server is back (messages go to the outbox folder in tests)
    token = retry_button_token(admin)
    answer = admin.post(f"/admin/jobs/{mail_job_id(message.id)}/retry", data={"csrf_token": token})
    assert answer.status_code == 303
    assert "is queued to run once more" in admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert outbox(app) == []  # queued, for the worker
    work_off(redis)
    assert [mail["Subject"] for mail in outbox(app)] == ["Your order"]
    assert FailedJobRegistry(queue=job_queue(redis)).get_job_ids() == []
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "job.retry")).one()
    assert entry.actor_email == "admin@tidewater.example" and entry.object_id == mail_job_id(message.id)
    assert entry.before["attempts"] == 3

    again = admin.post(f"/admin/jobs/{mail_job_id(message.id)}/retry", data={"csrf_token": token})
    assert "no longer in the failed list" in admin.get(again.headers["Location"]).get_data(as_text=True)
    work_off(redis)
    assert len(outbox(app)) == 1


def failed_mail_job(app, session, redis) -> str:
    app.config["JOB_RETRY_INTERVALS"] = [0]
    mail_server_down(app)
    message = queue_one(app, session)
    work_off(redis)
    return mail_job_id(message.id)


def test_retry_needs_an_admin_and_a_csrf_token(app, session, redis, sign_in):
    job_id = failed_mail_job(app, session, redis)
    admin_token = retry_button_token(sign_in("admin"))
    for role in ("fulfilment", "marketing"):
        staff = sign_in(role)
        assert staff.get("/admin/jobs").status_code == 403
        assert staff.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": csrf_token_from(
            staff.get("/admin/").get_data(as_text=True))}).status_code == 403
    admin = sign_in("admin")
    assert admin.post(f"/admin/jobs/{job_id}/retry", data={}).status_code == 400
    assert admin.post(f"/admin/jobs/{job_id}/retry", data={"csrf_token": admin_token}).status_code == 400  # another session's
    assert FailedJobRegistry(queue=job_queue(redis)).get_job_ids() == [job_id]
    assert session.scalars(select(AuditEntry).where(AuditEntry.action == "job.retry")).first() is None


def test_retrying_an_unknown_job_says_so(app, redis, sign_in):
    admin = sign_in("admin")
    answer = admin.post("/admin/jobs/no-such-job/retry", data={"csrf_token": retry_button_token(admin)})
    assert "no longer in the failed list" in admin.get(answer.headers["Location"]).get_data(as_text=True)


def test_mail_whose_job_was_never_queued_is_found_by_the_sweep(app, session, redis):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{closed_port()}/5"  # Redis down as the change commits
    message = queue_one(app, session)  # the change commits all the same; its job is lost
    assert session.get(OutboxMessage, message.id) is not None
    app.config["REDIS_URL"] = REDIS_URL
    assert job_queue(redis).count == 0

    sweep = app.test_cli_runner().invoke(args=["send-mail"])
    assert "Queued 1 message(s) without a job." in sweep.output
    assert "Queued 0 message(s)" in app.test_cli_runner().invoke(args=["send-mail"]).output  # one job per message
    work_off(redis)
    assert len(outbox(app)) == 1


def test_the_failed_list_shows_the_most_recent_and_counts_them_all(app, session, redis):
    first, second = failed_mail_job(app, session, redis), failed_mail_job(app, session, redis)
    shown, total = failed_jobs(redis, limit=1)
    assert [job.id for job in shown] == [second] and first != second and total == 2
