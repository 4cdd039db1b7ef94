"""Two app servers behind one load balancer: stock, rate limits, payments and the shared page
cache hold across both, and a server killed mid-checkout loses no order and charges no one twice."""
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.models import Product
from tests.conftest import postgres_only, product_form, run_at_once, session_id_from_location
from tests.scale.conftest import Browser

pytestmark = postgres_only
SKU = "TMC-CRM-4-UNS"
KILL_TEST_BUYERS = 30  # in the test that kills a server


def stock_of(cluster, sku: str = SKU) -> tuple[int, int]:
    (row,) = cluster.sql("SELECT stock_on_hand, stock_reserved FROM variants WHERE sku = :sku", sku=sku)
    return tuple(row)


def set_stock(cluster, units: int) -> int:
    """This many units on the shelf and none held (orders of earlier tests closed as cancelled)."""
    cluster.sql("UPDATE orders SET status = 'cancelled', stock_held = false "
                "WHERE status IN ('pending_payment', 'payment_processing')")
    (row,) = cluster.sql("UPDATE variants SET stock_on_hand = :units, stock_reserved = 0 WHERE sku = :sku "
                         "RETURNING id", units=units, sku=SKU)
    return row.id


def buyers_with_carts(cluster, count: int, variant_id: int) -> list[Browser]:
    """`count` shoppers, alternately on each server, from different addresses, one unit in each cart."""
    browsers = [Browser(cluster.servers[index % 2], address=f"10.1.{index // 200}.{index % 200 + 1}")
                for index in range(count)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        list(pool.map(lambda browser: browser.add_to_cart(variant_id), browsers))
    return browsers


def test_fifty_buyers_on_two_servers_for_the_last_five_units_buy_exactly_five(cluster):
    variant_id = set_stock(cluster, 5)
    browsers = buyers_with_carts(cluster, 50, variant_id)
    answers = run_at_once(50, lambda index: browsers[index].check_out(f"buyer{index}@example.com"))
    to_payment = [answer.headers["Location"] for answer in answers
                  if answer.status_code == 303 and "/pay/" in answer.headers.get("Location", "")]
    assert len(to_payment) == 5
    assert all(answer.status_code == 303 for answer in answers), [answer.status_code for answer in answers]
    assert stock_of(cluster) == (5, 5)  # the five pending orders hold every unit

    for location in to_payment:
        cluster.stripe.complete(session_id_from_location(location))
    cluster.deliver_events(cluster.servers[1])
    paid = cluster.sql("SELECT o.number FROM orders o JOIN order_lines l ON l.order_id = o.id "
                       "WHERE l.variant_id = :v AND o.status = 'paid'", v=variant_id)
    assert len(paid) == 5
    assert stock_of(cluster) == (0, 0)


def test_a_rate_limit_reached_on_one_server_holds_on_the_other(cluster):
    one, two = (Browser(server, address="10.9.9.9") for server in cluster.servers)
    wrong = {"email": "admin@tidewater.example", "password": "not-the-password"}
    statuses = [one.post("/account/sign-in", wrong, token_from="/account/sign-in").status_code for _ in range(5)]
    assert 429 not in statuses
    assert two.post("/account/sign-in", wrong, token_from="/account/sign-in").status_code == 429
    elsewhere = Browser(cluster.servers[1], address="10.9.9.10")  # the limit is per address
    assert elsewhere.post("/account/sign-in", wrong, token_from="/account/sign-in").status_code != 429


def test_a_server_killed_mid_checkout_loses_no_order_and_charges_no_one_twice(cluster):
    variant_id = set_stock(cluster, 20)
    before = {row.id for row in cluster.sql("SELECT id FROM orders")}
    earlier_sessions = set(cluster.stripe.objects)
    browsers = buyers_with_carts(cluster, KILL_TEST_BUYERS, variant_id)
    one, two = cluster.servers

    def check_out(index: int):
        if index == 0:  # while the others' checkouts are being served, the second server loses its power
            time.sleep(0.3)
            two.kill()
            return None
        try:
            return browsers[index].check_out(f"buyer{index}@example.com")
        except OSError:  # requests' ConnectionError: the server died under this request
            return None

    try:
        answers = run_at_once(KILL_TEST_BUYERS, check_out)
        sessions = [session_id_from_location(answer.headers["Location"]) for answer in answers
                    if answer is not None and "/pay/" in answer.headers.get("Location", "")]
        assert sessions, "no checkout reached the payment page"
        # Shoppers who reached Stripe pay (two of them twice over, as a double-clicked Pay would try);
        # everyone else walks away.
        for session_id in sessions[::2]:
            cluster.stripe.complete(session_id)
        cluster.deliver_events(one)
        cluster.deliver_events(one)  # Stripe retries: the same events again change nothing

        # Time moves past every checkout's expiry; cron closes what is still open.
        cluster.sql("UPDATE orders SET checkout_expires_at = now() - interval '1 hour' "
                    "WHERE status = 'pending_payment'")
        cluster.flask("expire-checkouts")  # asks Stripe about each: a paid one is applied, not cancelled

        orders = cluster.sql("SELECT id, number, status, stock_held, checkout_session_id, payment_intent_id, "
                             "amount_paid_minor, total_minor FROM orders WHERE id <> ALL(:before)",
                             before=list(before))
        by_session = {order.checkout_session_id: order for order in orders}
        completed = [obj for key, obj in cluster.stripe.objects.items() if key not in earlier_sessions
                     and obj.get("object") == "checkout.session" and obj["status"] == "complete"]
        # No order lost: every payment the provider took belongs to an order that is paid for it.
        for payment in completed:
            order = by_session.get(payment["id"])
            assert order is not None, f"{payment['id']} was paid but has no order"
            assert (order.status, order.amount_paid_minor) == ("paid", order.total_minor)
        # No one charged twice: one paid checkout per order, one payment each.
        paid = [order for order in orders if order.status == "paid"]
        assert len(paid) == len(completed) == len(sessions[::2])
        assert len({order.payment_intent_id for order in paid}) == len(paid)
        # Every reservation ends paid or released.
        assert {order.status for order in orders} <= {"paid", "cancelled"}
        assert not [order.number for order in orders if order.stock_held]
        assert stock_of(cluster) == (20 - len(paid), 0)
    finally:
        two.launch()  # back for the next test (the servers_up fixture waits for it)


def test_a_product_edited_through_one_server_is_fresh_on_the_others_cached_page(cluster):
    page = "/products/magnesium-body-cream"
    shopper = Browser(cluster.servers[1], address="10.7.0.1")
    first = shopper.get(page)
    assert first.status_code == 200 and "Rewritten on server one." not in first.text
    assert shopper.get(page).headers["ETag"] == first.headers["ETag"]  # the shared copy, from Redis
    cluster.flask("create-admin", "owner@example.com", ADMIN_PASSWORD="a long admin password for scale tests")
    admin = Browser(cluster.servers[0], address="10.7.0.2")
    signed_in = admin.post("/account/sign-in", {"email": "owner@example.com",
                                                "password": "a long admin password for scale tests"})
    assert signed_in.status_code in (302, 303), re.findall(r"flash[^>]*>([^<]+)|error[^>]*>([^<]+)", signed_in.text)
    with Session(cluster.engine) as session:
        cream = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
        form = product_form(cream, summary="Rewritten on server one.")
    saved = admin.post(f"/admin/products/{cream.id}", form, token_from=f"/admin/products/{cream.id}")
    assert saved.status_code in (302, 303), saved.text[-2000:]
    fresh = shopper.get(page)
    assert "Rewritten on server one." in fresh.text and fresh.headers["ETag"] != first.headers["ETag"]
