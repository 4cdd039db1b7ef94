"""Money races on PostgreSQL with real concurrent transactions: refunds of one order at the same moment."""
import re
import secrets

from sqlalchemy import select

from app.cart.cookie import new_cart_token, signed_cart_token
from app.cart.models import Cart, CartLine
from app.catalog.models import Variant
from app.extensions import db
from app.orders.models import Order, OrderStatus
from tests.conftest import DEMO_PASSWORDS, WEBHOOK_SECRET, postgres_only, run_at_once
from tests.fakes.stripe_server import event_payload, sign_payload

pytestmark = postgres_only
STAFF = 4


def paid_order(app, stripe_server) -> str:
    with app.app_context():
        variant = db.session.scalars(select(Variant).where(Variant.sku == "TMC-CRM-4-UNS")).one()
        cart = Cart(token=new_cart_token(), lines=[CartLine(variant=variant, quantity=2, seen_price_minor=variant.price_minor)])
        db.session.add(cart)
        db.session.commit()
        cookie = signed_cart_token(cart.token)
    client = app.test_client()
    client.set_cookie("cart", cookie)
    location = client.post("/checkout", data={"shipping": "standard", "email": "pat@example.com"}).headers["Location"]
    stripe_server.complete(re.search(r"/pay/(cs_test_\w+)", location).group(1))
    payload = event_payload(stripe_server.last_event("checkout.session.completed"))
    client.post("/webhooks/stripe", data=payload, content_type="application/json",
                headers={"Stripe-Signature": sign_payload(payload, WEBHOOK_SECRET)})
    with app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        return order.number


def test_refunds_of_one_order_at_once_are_all_in_the_books(committed_app, stripe_server):
    number = paid_order(committed_app, stripe_server)
    staff = []
    for _ in range(STAFF):
        client = committed_app.test_client()
        signed_in = client.post("/account/sign-in", data={"email": "fulfilment@tidewater.example",
                                                          "password": DEMO_PASSWORDS["fulfilment"]})
        assert signed_in.status_code == 303
        staff.append(client)

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
