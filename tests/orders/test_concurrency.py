"""Money races on PostgreSQL with real concurrent transactions: refunds of one order at the same moment."""
import secrets

from sqlalchemy import select

from app.extensions import db
from app.orders.models import Order, OrderStatus
from tests.conftest import committed_checkout, postgres_only, run_at_once, send_signed, signed_in_staff

pytestmark = postgres_only
STAFF = 4


def paid_order(app, stripe_server) -> str:
    client, session_id = committed_checkout(app, quantity=2)
    stripe_server.complete(session_id)
    send_signed(client, stripe_server.last_event("checkout.session.completed"))
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        return order.number


def test_refunds_of_one_order_at_once_are_all_in_the_books(committed_app, stripe_server):
    number = paid_order(committed_app, stripe_server)
    staff = signed_in_staff(committed_app, STAFF)

    def refund(index):
        response = staff[index].post(f"/admin/orders/{number}/refund", data={
            "amount": "1.00", "confirm_refund": "y", "request_key": secrets.token_urlsafe(8)})
        return response.status_code

    assert run_at_once(STAFF, refund) == [303] * STAFF
    with committed_app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        charge = stripe_server.objects[stripe_server.objects[order.payment_intent_id]["latest_charge"]]
        assert order.amount_refunded_minor == charge["amount_refunded"] == 100 * STAFF
        assert order.status is OrderStatus.partially_refunded
        assert [event.kind for event in order.events].count("refunded") == STAFF
