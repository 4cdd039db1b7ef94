"""The money journey's races on PostgreSQL, with real concurrent transactions: the success page's
check, webhooks, the cart's cancel and staff resolving held money, all at the same moment."""
import copy
from pathlib import Path

from sqlalchemy import select

from app.catalog.models import Variant
from app.extensions import db
from app.orders.models import Order, OrderStatus
from tests.conftest import committed_checkout, postgres_only, run_at_once, send_signed, signed_in_staff

pytestmark = postgres_only
N = 6


def stock_of(sku):
    variant = db.session.scalars(select(Variant).where(Variant.sku == sku)).one()
    return variant.stock_on_hand, variant.stock_reserved


def test_the_success_page_check_racing_webhooks_pays_once_and_mails_once(committed_app, stripe_server):
    with committed_app.app_context():
        before = stock_of("TMC-CRM-4-UNS")
    shopper, sid = committed_checkout(committed_app)
    stripe_server.complete(sid)
    event = stripe_server.last_event("checkout.session.completed")
    clients = [committed_app.test_client() for _ in range(2 * N)]

    def work(i):
        if i % 2:
            return clients[i].post(f"/checkout/success?session_id={sid}").status_code
        e = copy.deepcopy(event)
        e["id"] = f"{e['id']}_{i}"  # distinct deliveries of the same fact
        return send_signed(clients[i], e).status_code

    assert set(run_at_once(2 * N, work)) <= {200, 303}
    with committed_app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        assert stock_of("TMC-CRM-4-UNS") == (before[0] - 1, before[1])
    mails = list(Path(committed_app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))
    assert len(mails) == 1, len(mails)


def test_staff_accepting_and_refunding_held_money_at_once_keep_books_and_stock_right(committed_app, stripe_server):
    with committed_app.app_context():
        before = stock_of("TMC-CRM-4-UNS")
    shopper, sid = committed_checkout(committed_app)
    stripe_server.complete(sid)
    completed = stripe_server.last_event("checkout.session.completed")
    obj = copy.deepcopy(completed["data"]["object"])
    obj.update(status="expired", payment_status="unpaid", payment_intent=None)
    send_signed(shopper, stripe_server.make_event("checkout.session.expired", obj))
    send_signed(shopper, completed)
    with committed_app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.payment_review
        number, intent = order.number, order.payment_intent_id
    staff = signed_in_staff(committed_app, N)

    def work(i):
        r = staff[i].post(f"/admin/orders/{number}/held-payment", data={"decision": "accept" if i % 2 else "refund"})
        return r.status_code

    assert set(run_at_once(N, work)) <= {200, 303}
    with committed_app.app_context():
        order = db.session.scalars(select(Order).where(Order.number == number)).one()
        charge = stripe_server.objects[stripe_server.objects[intent]["latest_charge"]]
        assert order.amount_refunded_minor == charge["amount_refunded"]
        if order.status is OrderStatus.paid:
            assert stock_of("TMC-CRM-4-UNS") == (before[0] - 1, before[1])
        else:
            assert stock_of("TMC-CRM-4-UNS") == before


def test_cancelling_from_the_cart_racing_the_payment_leaves_it_paid_once(committed_app, stripe_server):
    with committed_app.app_context():
        before = stock_of("TMC-CRM-4-UNS")
    shopper, sid = committed_checkout(committed_app)
    stripe_server.complete(sid)
    event = stripe_server.last_event("checkout.session.completed")
    cookie = shopper.get_cookie("cart").value

    def work(i):
        c = committed_app.test_client()
        c.set_cookie("cart", cookie)
        if i % 3 == 0:
            return c.post("/checkout/abandon").status_code
        if i % 3 == 1:
            e = copy.deepcopy(event)
            e["id"] += f"_{i}"
            return send_signed(c, e).status_code
        return c.post(f"/checkout/success?session_id={sid}").status_code

    assert set(run_at_once(N, work)) <= {200, 303}
    with committed_app.app_context():
        order = db.session.scalars(select(Order).order_by(Order.id.desc())).first()
        assert order.status is OrderStatus.paid
        assert stock_of("TMC-CRM-4-UNS") == (before[0] - 1, before[1])
    assert len(list(Path(committed_app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))) == 1
