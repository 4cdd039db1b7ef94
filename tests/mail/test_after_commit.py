"""Mail leaves only after the transaction that queued it commits, and never for one rolled back."""
from sqlalchemy import select

from app.mail.models import OutboxMessage
from app.jobs.queue import run_committed_jobs
from app.mail.services import commit_then_send, queue_email
from tests.conftest import outbox


def queue(session, subject: str) -> None:
    queue_email(session, recipient="sam@example.com", subject=subject, template="account_exists",
                link="https://shop.test/account/sign-in", user=None)


def test_a_rolled_back_transaction_sends_nothing(app, session):
    with app.test_request_context():
        queue(session, "Never sent")
        session.rollback()
        commit_then_send(session)
    assert outbox(app) == []
    assert session.scalars(select(OutboxMessage).where(OutboxMessage.subject == "Never sent")).first() is None


def test_mail_is_handed_over_only_once_its_transaction_commits(app, session):
    with app.test_request_context():
        queue(session, "After commit")
        run_committed_jobs(session)  # not committed yet: nothing goes
        assert outbox(app) == []
        session.commit()
        run_committed_jobs(session)
    assert [mail["Subject"] for mail in outbox(app)] == ["After commit"]


def test_a_message_queued_in_a_savepoint_that_rolled_back_is_not_sent(app, session):
    with app.test_request_context():
        queue(session, "Kept")
        savepoint = session.begin_nested()
        queue(session, "Undone")
        savepoint.rollback()
        commit_then_send(session)
    assert [mail["Subject"] for mail in outbox(app)] == ["Kept"]
