"""Queue a message with the change it reports; deliver queued messages by SMTP or to files."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.mail.models import OutboxMessage

MAX_ATTEMPTS = 5


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


def deliver_outbox(session: Session, *, limit: int = 50) -> int:
    """Send messages not yet sent, oldest first, recording each outcome; the caller commits.

    Run after a commit that queued mail, and from cron (`flask send-mail`) to retry failures.
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
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


def commit_then_send(session: Session) -> None:
    """For callers that own the transaction (routes, commands): commit the change, then send the
    mail it queued, so no email goes out for a change that was rolled back."""
    session.commit()
    deliver_outbox(session)
    session.commit()
