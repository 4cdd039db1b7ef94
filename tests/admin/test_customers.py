"""Issue 17: the customers page: who bought, how many orders, what they spent, their last order."""
import itertools
import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from app.admin.customers import customer_query
from app.orders.models import Order, OrderStatus
from tests.conftest import DATABASE_URL

NUMBERS = itertools.count(1)
START = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)


def _order(session, email: str, status: OrderStatus = OrderStatus.paid, *, paid: int = 2600, refunded: int = 0,
           currency: str = "USD", days: int = 0, user_id: int | None = None) -> Order:
    order = Order(number=f"TW-CU{next(NUMBERS):06d}", status=status, email=email,
                  currency=currency, subtotal_minor=paid or 2600, shipping_minor=0, total_minor=paid or 2600,
                  amount_paid_minor=paid, amount_refunded_minor=refunded, shipping_method="standard",
                  shipping_method_name="Standard shipping", created_at=START + timedelta(days=days), user_id=user_id)
    session.add(order)
    session.flush()
    return order


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


@pytest.fixture
def bought(session):
    _order(session, "jo@example.com", paid=2600, days=1)
    _order(session, "Jo@Example.com", OrderStatus.shipped, paid=5000, days=3)  # the same person, typed otherwise
    _order(session, "jo@example.com", OrderStatus.partially_refunded, paid=4000, refunded=1500, days=2)
    _order(session, "jo@example.com", OrderStatus.cancelled, paid=0, days=9)  # abandoned: not a purchase
    _order(session, "jo@example.com", OrderStatus.pending_payment, paid=0, days=10)  # not paid yet
    _order(session, "jo@example.com", OrderStatus.payment_review, paid=2600, days=11)  # money not accepted yet
    _order(session, "jo@example.com", paid=3500, currency="CAD", days=4)  # never added to dollars
    _order(session, "sam@example.com", OrderStatus.refunded, paid=2600, refunded=2600, days=5)
    _order(session, "", paid=2600, days=6)  # no email: not a customer anyone can find
    session.commit()


def test_admin_sees_each_buyer_with_orders_spent_and_last_order(sign_in, bought):
    rows = _rows(sign_in("admin").get("/admin/customers").get_data(as_text=True))
    assert [row[:3] + row[4:] for row in rows] == [
        ["sam@example.com", "1", "$0.00", "Guest", "0"],
        ["jo@example.com", "1", "CA$35.00", "Guest", "0"],
        ["jo@example.com", "3", "$101.00", "Guest", "0"],  # 26 + 50 + (40 − 15)
    ]
    assert re.fullmatch(r"11/5/26, 10:00\sAM EST", rows[2][3])  # the latest of Jo's dollar orders, shop time


def test_search_by_whole_email_or_its_start(sign_in, bought):
    admin = sign_in("admin")
    assert [row[0] for row in _rows(admin.get("/admin/customers?q=JO@example.com").get_data(as_text=True))] == [
        "jo@example.com", "jo@example.com"]
    assert [row[0] for row in _rows(admin.get("/admin/customers?q=sa").get_data(as_text=True))] == ["sam@example.com"]
    assert "No customer's email matches." in admin.get("/admin/customers?q=%25").get_data(as_text=True)
    assert "No customer's email matches." in admin.get("/admin/customers?q=_o").get_data(as_text=True)


def test_only_admins_see_customers(sign_in, bought):
    assert sign_in("fulfilment").get("/admin/customers").status_code == 403
    assert sign_in("marketing").get("/admin/customers").status_code == 403
    admin_nav = sign_in("admin").get("/admin/").get_data(as_text=True)
    assert 'href="/admin/customers"' in admin_nav
    assert 'href="/admin/customers"' not in sign_in("fulfilment").get("/admin/").get_data(as_text=True)


def test_pages_of_fifty_in_the_same_few_queries_however_many_customers(sign_in, session, count_queries):
    admin = sign_in("admin")
    _order(session, "first@example.com")
    session.commit()
    with count_queries() as counter:
        assert admin.get("/admin/customers").status_code == 200
    few = counter.count
    for number in range(60):
        _order(session, f"buyer{number:02d}@example.com", days=number)
    session.commit()
    with count_queries() as counter:
        html = admin.get("/admin/customers").get_data(as_text=True)
    assert counter.count == few <= 4, "\n\n".join(counter.statements)
    assert len(_rows(html)) == 50 and "Page 1 of 2 (61 in all)" in html
    second = _rows(admin.get("/admin/customers?page=2").get_data(as_text=True))
    assert [row[0] for row in second][-1] == "first@example.com" and len(second) == 11


@pytest.mark.skipif(not DATABASE_URL.startswith("postgresql"), reason="asks PostgreSQL's planner")
@pytest.mark.parametrize("search", ["jo@example.com", "jo"])
def test_a_search_reads_the_lower_email_index(session, search):
    """With sequential scans priced out, PostgreSQL can answer the search from migration 0015's index."""
    statement = customer_query(search=search).compile(dialect=session.bind.dialect, compile_kwargs={"literal_binds": True})
    session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(session.scalars(text(f"EXPLAIN {statement}")))
    assert "ix_orders_email_lower" in plan, plan
