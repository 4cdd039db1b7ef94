"""The contact form's mail: a receipt for the sender and an alert for staff, neither able to
lose the report."""
import re
from html import unescape

from sqlalchemy import select

from app.catalog.models import Product
from app.contact.models import ContactReport
from app.mail.models import OutboxMessage
from tests.conftest import closed_port, csrf_token_from, outbox

REACTION = {"kind": "reaction", "name": "Ana Ruiz", "email": "Ana@Example.com", "phone": "555-0100",
            "batch_number": "LOT-2026-11A", "consent": "y",
            "message": "Red itchy patch on my forearm the morning after use."}
QUESTION = {"kind": "question", "name": "Lee", "email": "lee@example.com", "consent": "y",
            "message": "Do you ship to Alaska?"}


def send(client, session, fields: dict):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    token = csrf_token_from(client.get("/contact").get_data(as_text=True))
    return client.post("/contact", data={"csrf_token": token, "product": str(product.id), **fields})


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def thanks_page(client, response) -> str:
    assert response.status_code == 303 and response.headers["Location"].startswith("/contact/thanks")
    return unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def test_a_reaction_report_is_stored_and_sends_a_receipt_and_a_safety_alert(app, client, session):
    html = thanks_page(client, send(client, session, REACTION))
    report = session.scalars(select(ContactReport)).one()
    assert report.reference == f"R-{report.id:05d}"
    assert f"Your reference is {report.reference}. We're emailing you a receipt." in html
    assert "We've received your report." in html and "two business days" not in html
    advice = re.search(r"Please stop using the product\.[^<]+", html).group(0)

    receipt, alert = outbox(app)
    assert receipt["To"] == "ana@example.com"
    assert receipt["Subject"] == f"We've received your report ({report.reference})"
    body = text_of(receipt)
    assert report.reference in body and "reaction to Magnesium Body Cream" in body
    assert f"by email.\n\n{advice}\n\n" in body and "/pages/privacy" in body  # what the thanks page said
    assert "Red itchy patch" not in body and "Ana" not in body  # nothing the sender typed goes back out

    assert alert["To"] == app.config["SHOP_SAFETY_EMAIL"] == "safety@tidewater.example"
    assert alert["Subject"] == f"Reaction report {report.reference}: Magnesium Body Cream"
    body = text_of(alert)
    for expected in ("Product: Magnesium Body Cream", "Batch: LOT-2026-11A", "Ana Ruiz <ana@example.com>, 555-0100\nMay we contact them: yes", "Red itchy patch on my forearm",
                     "within 15 business days", f"/admin/reports/{report.id}"):
        assert expected in body, expected
    assert "Red itchy patch on my forearm" in alert.get_body(("html",)).get_content()


def test_a_contact_message_sends_a_receipt_and_tells_staff(app, client, session):
    html = thanks_page(client, send(client, session, QUESTION))
    assert "We've received your message." in html and "stop using" not in html
    assert "we'll reply by email, usually within two business days." in html
    report = session.scalars(select(ContactReport)).one()
    receipt, alert = outbox(app)
    assert (receipt["To"], receipt["Subject"]) == ("lee@example.com", f"We've received your message ({report.reference})")
    assert "We'll reply by email, usually within two business days." in text_of(receipt)
    assert (alert["To"], alert["Subject"]) == ("staff@tidewater.example", f"Contact message {report.reference}")
    assert "Do you ship to Alaska?" in text_of(alert) and "FDA" not in text_of(alert)


def test_the_honeypot_sends_no_mail(app, client, session):
    send(client, session, {**QUESTION, "website": "http://spam.example"})
    assert outbox(app) == []


def test_a_mail_failure_keeps_the_report_and_thanks_the_sender(app, client, session):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False)  # refused
    html = thanks_page(client, send(client, session, REACTION))
    report = session.scalars(select(ContactReport)).one()
    assert f"Your reference is {report.reference}" in html
    queued = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [message.recipient for message in queued] == ["ana@example.com", "safety@tidewater.example"]
    # Kept for `flask send-mail` to retry.
    assert all(message.sent_at is None and message.attempts == 1 and message.last_error for message in queued)


def queued_mail(session) -> list[OutboxMessage]:
    return session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()


def test_a_post_while_mail_is_down_leaves_older_mail_alone(app, client, session):
    """Sending the backlog from a public form would spend an attempt of every queued message
    (order confirmations too) on each post while the mail server is down, and wait for each."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False)  # refused
    thanks_page(client, send(client, session, QUESTION))
    thanks_page(client, send(client, session, REACTION))
    assert [(message.recipient, message.attempts) for message in queued_mail(session)] == [
        ("lee@example.com", 1), ("staff@tidewater.example", 1),  # the first post's, tried once
        ("ana@example.com", 1), ("safety@tidewater.example", 1)]


def test_a_post_sends_its_own_mail_and_cron_sends_the_backlog(app, client, session):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=closed_port(), MAIL_USE_TLS=False)  # refused
    thanks_page(client, send(client, session, QUESTION))
    app.config.update(MAIL_SERVER="")  # delivery works again (to the outbox folder in tests)
    thanks_page(client, send(client, session, REACTION))
    assert [message["To"] for message in outbox(app)] == ["ana@example.com", "safety@tidewater.example"]
    assert [message.sent_at is None for message in queued_mail(session)] == [True, True, False, False]

    result = app.test_cli_runner().invoke(args=["send-mail"])
    assert result.exit_code == 0 and "Sent 2 message(s)." in result.output
    assert sorted(message["To"] for message in outbox(app)) == [
        "ana@example.com", "lee@example.com", "safety@tidewater.example", "staff@tidewater.example"]
    assert all(message.sent_at for message in queued_mail(session))
