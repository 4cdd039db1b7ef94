"""Review races on PostgreSQL with real concurrent transactions: one review per line, one
invitation per order, whatever arrives at once."""
from datetime import timedelta

from sqlalchemy import func, select, update

from app.catalog.models import Product
from app.db import utcnow
from app.extensions import db
from app.mail.models import OutboxMessage
from app.orders.models import Order, OrderStatus
from app.reviews.models import Review, ReviewInvitation
from app.reviews.services import review_token, send_review_invitations
from tests.conftest import committed_checkout, postgres_only, run_at_once, send_signed, signed_in_staff

pytestmark = postgres_only
AT_ONCE = 8


def shipped_order(app, stripe_server) -> tuple[str, str]:
    """A paid order shipped a week and a day ago: its number, and its one line's review page."""
    client, session_id = committed_checkout(app)
    stripe_server.complete(session_id, email="pat@example.com")
    send_signed(client, stripe_server.last_event("checkout.session.completed"))
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        [staff] = signed_in_staff(app, 1)
        lots = {f"lot-{line.id}": "LOT-1" for line in order.lines}
        assert staff.post(f"/admin/orders/{order.number}/ship", data={
            "carrier": "USPS", "tracking_number": "9400", "confirm_shipped": "y", **lots}).status_code == 303
        db.session.execute(update(Order).where(Order.id == order.id).values(shipped_at=utcnow() - timedelta(days=8)))
        db.session.commit()
        order = db.session.get(Order, order.id)
        return order.number, f"/reviews/{review_token(order)}/items/{order.lines[0].id}"


def test_the_same_review_sent_at_once_is_saved_once_and_counted_once(committed_app, stripe_server):
    _number, page = shipped_order(committed_app, stripe_server)

    def submit(index):
        return committed_app.test_client().post(page, data={
            "rating": "4", "title": f"Try {index}", "body": "Nice and light, soaks in fast."}).status_code

    assert run_at_once(AT_ONCE, submit) == [303] * AT_ONCE
    with committed_app.app_context():
        assert db.session.scalar(select(func.count(Review.id))) == 1
        product = db.session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
        assert (product.review_count, product.rating_total) == (1, 4)


def test_invitation_runs_at_once_send_one_email(committed_app, stripe_server):
    number, _page = shipped_order(committed_app, stripe_server)

    def invite(_index):
        with committed_app.test_request_context(base_url="http://shop.test"):
            sent = send_review_invitations(db.session)
            db.session.commit()
            db.session.remove()
            return sent

    assert sorted(run_at_once(4, invite)) == [0, 0, 0, 1]
    with committed_app.app_context():
        assert db.session.scalar(select(func.count(ReviewInvitation.id))) == 1
        subjects = db.session.scalars(select(OutboxMessage.subject))
        assert list(subjects).count(f"How was your order {number}?") == 1
