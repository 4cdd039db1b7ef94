"""The same payment event, delivered twice or many times at once, queues one confirmation email."""
from rq.job import Job
from sqlalchemy import select

from app.extensions import db
from app.jobs.queue import job_queue
from app.mail.models import OutboxMessage
from app.mail.services import mail_job_id
from app.orders.models import Order, OrderStatus
from tests.conftest import committed_checkout, outbox, postgres_only, run_at_once, send_signed
from tests.jobs.conftest import REDIS_URL, work_off

REDELIVERIES = 6


def confirmations(session, order: Order) -> list[OutboxMessage]:
    return session.scalars(select(OutboxMessage).where(
        OutboxMessage.order_id == order.id, OutboxMessage.subject.like("%is confirmed"))).all()


def test_a_redelivered_payment_event_queues_no_second_confirmation(app, session, redis, paid_order, stripe_server,
                                                                     deliver):
    assert deliver(stripe_server.last_event("checkout.session.completed")).status_code == 200  # Stripe retries
    [confirmation] = confirmations(session, paid_order)
    assert job_queue(redis).job_ids == [mail_job_id(confirmation.id)]
    work_off(redis)
    assert [mail["Subject"] for mail in outbox(app)] == [f"Your order {paid_order.number} is confirmed"]


@postgres_only
def test_the_same_payment_event_delivered_at_once_queues_one_confirmation(committed_app, stripe_server, redis):
    committed_app.config["REDIS_URL"] = REDIS_URL
    client, session_id = committed_checkout(committed_app)
    stripe_server.complete(session_id)
    event = stripe_server.last_event("checkout.session.completed")
    browsers = [committed_app.test_client() for _ in range(REDELIVERIES)]

    statuses = run_at_once(REDELIVERIES, lambda index: send_signed(browsers[index], event).status_code)
    assert set(statuses) <= {200, 409} and 200 in statuses, statuses
    with committed_app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        [confirmation] = confirmations(db.session, order)
        mail_jobs = [job for job in Job.fetch_many(job_queue(redis).job_ids, connection=redis)
                     if job.func_name == "app.mail.services.send_queued_email"]
        assert [job.args for job in mail_jobs] == [(confirmation.id,)]
        work_off(redis)
        assert [mail["To"] for mail in outbox(committed_app)] == ["pat@example.com"]
