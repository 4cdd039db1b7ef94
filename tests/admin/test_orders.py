"""Staff order work: find, ship with tracking and lots, refund, cancel, notes, export."""
import csv
import email
import email.policy
import io
import re
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.admin.models import AuditEntry
from app.catalog.models import Variant
from app.orders.models import OrderStatus
from tests.conftest import csrf, latest_order, outbox, page_after, post, session_id_from, ship





def test_order_list_filters_and_searches(sign_in, paid_order):
    client = sign_in("fulfilment")
    assert paid_order.number in client.get("/admin/orders").get_data(as_text=True)
    assert paid_order.number in client.get("/admin/orders?status=paid").get_data(as_text=True)
    assert paid_order.number not in client.get("/admin/orders?status=shipped").get_data(as_text=True)
    assert paid_order.number in client.get("/admin/orders?q=jo@example").get_data(as_text=True)
    assert paid_order.number in client.get(f"/admin/orders?q={paid_order.number.lower()}").get_data(as_text=True)
    assert paid_order.number not in client.get("/admin/orders?date_to=2020-01-01").get_data(as_text=True)
    assert client.get("/admin/orders?date_from=not-a-date&page=abc").status_code == 200


def test_order_detail_shows_everything_staff_need(sign_in, paid_order):
    html = sign_in("fulfilment").get(f"/admin/orders/{paid_order.number}").get_data(as_text=True)
    for expected in ("TMC-CRM-4-UNS", paid_order.payment_intent_id, "South San Francisco",
                     "Free standard shipping", "created", "payment started", "paid", "email sent"):
        assert expected in html, expected


def test_shipping_records_tracking_and_lots_emails_the_shopper_and_shows_on_the_account(
        app, sign_in, paid_order, session, shopper):
    client = sign_in("fulfilment")
    html = page_after(client, ship(client, paid_order))
    assert "Marked as shipped" in html
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.shipped and paid_order.carrier == "USPS"
    assert [line.lot_number for line in paid_order.lines] == ["LOT-2026-11A"]
    mails = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
             for path in sorted(Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"))]
    shipped = [mail for mail in mails if "on its way" in mail["Subject"]]
    body = shipped[0].get_body(("plain",)).get_content()
    assert "9400 1000" in body and "batch LOT-2026-11A\n" in body and body.rstrip().endswith(app.config['SHOP_NAME'])
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "order.ship")).one()
    assert entry.before["status"] == "paid" and entry.after["status"] == "shipped"
    assert entry.actor_email == "fulfilment@tidewater.example"


def test_shipping_needs_lots_confirmation_and_a_paid_order(sign_in, paid_order, session):
    client = sign_in("fulfilment")
    assert "Enter the batch (lot) number" in page_after(client, ship(client, paid_order, **{
        f"lot-{paid_order.lines[0].id}": ""}))
    assert "Tick the box to confirm." in page_after(client, ship(client, paid_order, confirm_shipped=""))
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.paid
    page_after(client, ship(client, paid_order))
    assert "Only paid orders that have not shipped yet can be shipped" in page_after(client, ship(client, paid_order))



def test_partial_then_full_refund_through_stripe(app, sign_in, paid_order, session, stripe_server):
    client = sign_in("fulfilment")
    html = page_after(client, post(client, f"/admin/orders/{paid_order.number}/refund", amount="10.00", confirm_refund="y"))
    assert "Refund issued." in html
    session.refresh(paid_order)
    assert (paid_order.status, paid_order.amount_refunded_minor) == (OrderStatus.partially_refunded, 1000)
    sent = stripe_server.requests[-1]
    assert sent["params"]["amount"] == "1000" and sent["idempotency_key"].startswith(f"refund-{paid_order.number}-")
    refund_mail = next(mail for mail in outbox(app) if "refunded" in mail["Subject"])
    assert "We've refunded $10.00 for order" in refund_mail.get_body(("plain",)).get_content()
    remaining = paid_order.amount_paid_minor - 1000
    page_after(client, post(client, f"/admin/orders/{paid_order.number}/refund",
                            amount=f"{remaining / 100:.2f}", confirm_refund="y"))
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.cancelled  # refunded in full before shipping: closed
    assert stripe_server.objects[stripe_server.objects[paid_order.payment_intent_id]["latest_charge"]]["refunded"]


def test_the_delivery_estimate_stays_with_a_partial_refund_until_the_order_ships(
        sign_in, paid_order, session, shopper):
    def estimate_shown() -> bool:
        html = shopper.client.get(f"/checkout/success?session_id={paid_order.checkout_session_id}")
        return 'id="delivery-estimate"' in html.get_data(as_text=True)

    assert estimate_shown()
    client = sign_in("fulfilment")
    page_after(client, post(client, f"/admin/orders/{paid_order.number}/refund", amount="10.00", confirm_refund="y"))
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.partially_refunded
    assert estimate_shown()  # the parcel still goes
    page_after(client, ship(client, paid_order))
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.shipped
    assert not estimate_shown()


def test_refunds_that_cannot_be_done_are_refused_with_a_reason(app, sign_in, paid_order, session, stripe_server):
    client = sign_in("fulfilment")
    path = f"/admin/orders/{paid_order.number}/refund"
    assert "You can refund at most $52.00" in page_after(client, post(client, path, amount="1000", confirm_refund="y"))
    assert "is not an amount" in page_after(client, post(client, path, amount="ten", confirm_refund="y"))
    assert "more decimal places" in page_after(client, post(client, path, amount="1.005", confirm_refund="y"))
    assert "greater than zero" in page_after(client, post(client, path, amount="0", confirm_refund="y"))
    stripe_server.fail_next(500, times=app.config["STRIPE_MAX_NETWORK_RETRIES"] + 1)  # every attempt
    assert "payment service is unavailable" in page_after(client, post(client, path, amount="5", confirm_refund="y"))
    stripe_server.dispute(paid_order.payment_intent_id)
    assert "charged back" in page_after(client, post(client, path, amount="5", confirm_refund="y"))
    session.refresh(paid_order)
    assert paid_order.amount_refunded_minor == 0 and paid_order.status is OrderStatus.paid


def test_cancelling_a_paid_order_refunds_it_and_restocks(sign_in, paid_order, session):
    variant = session.scalars(select(Variant).where(Variant.sku == "TMC-CRM-4-UNS")).one()
    on_hand = variant.stock_on_hand
    client = sign_in("fulfilment")
    html = page_after(client, post(client, f"/admin/orders/{paid_order.number}/cancel", confirm_cancel="y"))
    assert "Order cancelled" in html
    session.refresh(paid_order)
    session.refresh(variant)
    assert paid_order.status is OrderStatus.cancelled
    assert paid_order.amount_refunded_minor == paid_order.amount_paid_minor
    assert variant.stock_on_hand == on_hand + 2


def test_cancelling_an_unpaid_order_releases_its_stock(sign_in, shopper, session, stripe_server):
    shopper.add("TMC-BTR-4-UNS", 2)
    session_id = session_id_from(shopper.checkout())
    order = latest_order(session)
    client = sign_in("fulfilment")
    page_after(client, post(client, f"/admin/orders/{order.number}/cancel", confirm_cancel="y"))
    session.refresh(order)
    assert order.status is OrderStatus.cancelled
    assert stripe_server.objects[session_id]["status"] == "expired"
    assert shopper.variant("TMC-BTR-4-UNS").stock_reserved == 0


def test_a_shipped_order_cannot_be_cancelled(sign_in, paid_order, session):
    client = sign_in("fulfilment")
    page_after(client, ship(client, paid_order))
    html = page_after(client, post(client, f"/admin/orders/{paid_order.number}/cancel", confirm_cancel="y"))
    assert "has shipped: refund it instead" in html
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.shipped


def test_notes_go_on_the_timeline(sign_in, paid_order):
    client = sign_in("fulfilment")
    html = page_after(client, post(client, f"/admin/orders/{paid_order.number}/notes", text="Gift wrap please"))
    assert "Gift wrap please" in html and "fulfilment@tidewater.example" in html


def test_csv_export_streams_orders_in_the_date_range(app, sign_in, paid_order):
    client = sign_in("fulfilment")
    placed_on = paid_order.created_at.astimezone(ZoneInfo(app.config["SHOP_TIMEZONE"])).date()  # the shop's day
    response = client.get(f"/admin/orders/export.csv?date_from={placed_on.isoformat()}")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == "attachment; filename=orders.csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    ours = next(row for row in rows if row["number"] == paid_order.number)
    assert ours["paid"] == "52.00" and ours["items"] == "2 x TMC-CRM-4-UNS" and ours["country"] == "US"
    empty = client.get("/admin/orders/export.csv?date_to=2020-01-01").get_data(as_text=True)
    assert empty.strip().count("\n") == 0


def test_dashboard_shows_orders_revenue_chart_action_list_and_low_stock(sign_in, paid_order):
    html = sign_in("admin").get("/admin/").get_data(as_text=True)
    assert re.search(r'<span class="stat-figure">1</span> orders today', html)
    assert '<svg viewBox="0 0 720 220" class="chart"' in html
    assert "$52.00" in html
    assert paid_order.number in html
    assert "TMC-CRM-2-LAV" in html and "TMC-CRM-8-LAV" in html


def test_the_same_refund_form_sent_twice_refunds_once(sign_in, paid_order, session, stripe_server):
    client = sign_in("fulfilment")
    form = {"csrf_token": csrf(client), "request_key": "one-form", "amount": "5.00", "confirm_refund": "y"}
    first = page_after(client, client.post(f"/admin/orders/{paid_order.number}/refund", data=form))
    second = page_after(client, client.post(f"/admin/orders/{paid_order.number}/refund", data=form))
    assert "Refund issued." in first and "already issued" in second
    session.refresh(paid_order)
    assert paid_order.amount_refunded_minor == 500
    charge = stripe_server.objects[stripe_server.objects[paid_order.payment_intent_id]["latest_charge"]]
    assert charge["amount_refunded"] == 500


def test_a_flagged_order_cannot_ship_until_someone_marks_it_reviewed(sign_in, paid_order, session, stripe_server,
                                                                    deliver):
    stripe_server.dispute(paid_order.payment_intent_id)
    deliver(stripe_server.last_event("charge.dispute.created"))
    client = sign_in("fulfilment")
    assert "flagged for review" in page_after(client, ship(client, paid_order))
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.paid
    assert "Say what you found" in page_after(client, post(client, f"/admin/orders/{paid_order.number}/review",
                                                           decision=""))
    html = page_after(client, post(client, f"/admin/orders/{paid_order.number}/review",
                                   decision="Cardholder confirmed the purchase; dispute withdrawn."))
    assert "Marked as reviewed." in html and "dispute withdrawn" in html
    assert "Marked as shipped" in page_after(client, ship(client, paid_order))


def test_a_shipped_order_refunded_in_part_can_neither_be_cancelled_nor_shipped_again(
        sign_in, paid_order, session, stripe_server):
    order = paid_order
    staff = sign_in("fulfilment")
    page_after(staff, ship(staff, order))
    page_after(staff, post(staff, f"/admin/orders/{order.number}/refund", amount="1.00", confirm_refund="y"))
    html = page_after(staff, post(staff, f"/admin/orders/{order.number}/cancel", confirm_cancel="y"))
    assert "has shipped: refund it instead" in html
    html = page_after(staff, ship(staff, order, tracking_number="SECOND", **{
        f"lot-{line.id}": "LOT-B" for line in order.lines}))
    assert "have not shipped yet" in html
    session.refresh(order)
    assert order.amount_refunded_minor == 100 and order.tracking_number != "SECOND"
    assert [line.lot_number for line in order.lines] != ["LOT-B"]
    charge = stripe_server.objects[stripe_server.objects[order.payment_intent_id]["latest_charge"]]
    assert charge["amount_refunded"] == 100
