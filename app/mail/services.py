"""Queue a message with the change it reports; deliver it by SMTP (or to files) once that change
commits, as a background job (app.jobs): one job per message, retried with back-off."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import db
from app.jobs.queue import JobCall, background, enqueue, enqueue_after_commit, redis_connection, run_committed_jobs
from app.mail.models import OutboxMessage

MAX_ATTEMPTS = 5  # for the sweep; a job's own retries are JOB_RETRY_INTERVALS, then an admin's


class MailNotSent(Exception):
    """Raised by the job when the mail server refused or was unreachable, so RQ retries it."""


def queue_email(session: Session, *, recipient: str, subject: str, template: str,
                order_id: int | None = None, **context) -> OutboxMessage:
    """Render templates/email/<template>.txt and .html and hold the message until commit."""
    message = OutboxMessage(
        recipient=recipient,
        subject=subject,
        body_text=render_template(f"email/{template}.txt", **context),
        body_html=render_template(f"email/{template}.html", **context),
        order_id=order_id,
    )
    session.add(message)
    session.flush()
    enqueue_after_commit(session, send_queued_email, message.id, job_id=mail_job_id(message.id), retry=True,
                         for_row=message)
    return message


def mail_job_id(message_id: int) -> str:
    """One job per message, however often it is asked for (the sweep, a redelivered event)."""
    return f"mail-{message_id}"


def _as_email(message: OutboxMessage) -> EmailMessage:
    config = current_app.config
    email = EmailMessage()
    email["From"] = config["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain=config["MAIL_DEFAULT_SENDER"].split("@")[-1])
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _send(email: EmailMessage, message_id: int) -> None:
    config = current_app.config
    if not config["MAIL_SERVER"]:
        # No mail server configured (development, tests): keep each message as a file.
        outbox = Path(config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"{message_id:06d}.eml"
        path.write_bytes(bytes(email))
        current_app.logger.info("Email to %s written to %s", email["To"], path)
        return
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        smtp.send_message(email)


def _attempt(message: OutboxMessage) -> bool:
    """Try to send one message, recording the attempt and its outcome on the row."""
    message.attempts += 1
    try:
        _send(_as_email(message), message.id)
    except (OSError, smtplib.SMTPException) as error:
        message.last_error = str(error)[:500]
        current_app.logger.warning("Email %s to %s failed: %s", message.id, message.recipient, error)
        return False
    message.sent_at = utcnow()
    return True


def _unsent():
    return (select(OutboxMessage).where(OutboxMessage.sent_at.is_(None)).order_by(OutboxMessage.id)
            .with_for_update(skip_locked=True))


@background
def send_queued_email(message_id: int) -> str:
    """The job: send one outbox message unless it went already (or another worker holds it).
    A failure is committed on the row, then raised for RQ to retry later."""
    message = db.session.scalars(_unsent().where(OutboxMessage.id == message_id)).first()
    if message is None:
        db.session.rollback()
        return "already sent, or being sent"
    sent = _attempt(message)
    db.session.commit()
    if not sent:
        raise MailNotSent(f"Email {message_id} not sent: {message.last_error}")
    return "sent"


def deliver_outbox(session: Session, *, limit: int = 50) -> int:
    """Send messages not yet sent and not out of attempts, oldest first, here and now; the
    caller commits. Without Redis, cron (`flask send-mail`) and the retry sweep use it."""
    query = _unsent().where(OutboxMessage.attempts < MAX_ATTEMPTS).limit(limit)
    sent = sum(_attempt(message) for message in session.scalars(query).all())
    session.flush()
    return sent


@background
def retry_unsent_mail() -> str:
    """The mail sweep. With Redis: queue a job for each unsent message that has none (its enqueue
    after commit was lost while Redis was down); a message whose job failed for good waits for an
    admin's retry. Without: send what is waiting here."""
    connection = redis_connection()
    if connection is None:
        sent = deliver_outbox(db.session)
        db.session.commit()
        return f"Sent {sent} message(s)."
    ids = db.session.scalars(select(OutboxMessage.id).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)).all()
    db.session.rollback()
    queued = sum(enqueue(connection, JobCall(send_queued_email, (message_id,), mail_job_id(message_id), retry=True))
                 is not None for message_id in ids)
    return f"Queued {queued} message(s) without a job."


def commit_then_send(session: Session) -> None:
    """For callers that own the transaction (routes, commands): commit, then (inline mode) run the
    jobs it asked for, its mail among them; with Redis they were queued by the commit."""
    session.commit()
    run_committed_jobs(session)
