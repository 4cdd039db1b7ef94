"""Queue a message with the change it reports; deliver it by SMTP (or to files) once that change commits."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.mail.models import OutboxMessage

MAX_ATTEMPTS = 5
# session.info keys: messages queued in the open transaction; messages whose transaction committed,
# not yet handed to the sender (send_committed_mail).
QUEUED_HERE = "mail.queued_here"
COMMITTED = "mail.committed"


@event.listens_for(Session, "after_commit")
def _mail_committed(session: Session) -> None:
    if queued := session.info.pop(QUEUED_HERE, None):
        session.info.setdefault(COMMITTED, []).extend(queued)


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
    session.info.setdefault(QUEUED_HERE, []).append(message)
    return message


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


def deliver_outbox(session: Session, *, limit: int = 50, only_ids: list[int] | None = None) -> int:
    """Send messages not yet sent (of only_ids, if given), oldest first, recording each outcome;
    the caller commits. Cron (`flask send-mail`) runs it for every message, to retry failures.
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    if only_ids is not None:
        query = query.where(OutboxMessage.id.in_(only_ids))
    sent = 0
    for message in session.scalars(query).all():
        message.attempts += 1
        try:
            _send(_as_email(message), message.id)
        except (OSError, smtplib.SMTPException) as error:
            message.last_error = str(error)[:500]
            current_app.logger.warning("Email %s to %s failed: %s", message.id, message.recipient, error)
        else:
            message.sent_at = utcnow()
            sent += 1
    session.flush()
    return sent


def send_committed_mail(session: Session) -> None:
    """Send the mail of this session's committed transactions. Only its own: older messages are
    cron's (`flask send-mail`), so a request never waits on the backlog, nor spends its messages'
    attempts while the mail server is down. The app runs this after every request."""
    committed = session.info.pop(COMMITTED, [])
    # One whose transaction (or savepoint) rolled back is no longer persistent: it was never queued.
    ids = [inspect(message).identity[0] for message in committed if inspect(message).persistent]
    if ids:
        deliver_outbox(session, only_ids=ids)
        session.commit()


def commit_then_send(session: Session) -> None:
    """For callers that own the transaction (routes, commands): commit, then send what it queued."""
    session.commit()
    send_committed_mail(session)
