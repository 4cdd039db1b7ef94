"""Staff create and edit discount codes (admin and marketing); the order list, order page and CSV show them."""
import csv
import io
import re

from sqlalchemy import select

from app.catalog.models import Product
from app.discounts.models import DiscountCode, DiscountKind
from tests.conftest import latest_order, page_after, post, session_id_from


def code_form(**changes) -> dict:
    return {"code": "spring-10", "kind": "percent", "percent_off": "10", "amount_off": "", "min_subtotal": "30.00",
            "starts_at": "2026-03-01T00:00", "ends_at": "2026-04-01T00:00", "usage_limit": "100",
            "per_customer_limit": "1", "active": "y", "note": "Spring newsletter", **changes}


def test_marketing_creates_a_code_stored_upper_case_with_its_terms(sign_in, session):
    staff = sign_in("marketing")
    html = page_after(staff, post(staff, "/admin/discounts/new", **code_form()))
    assert "Saved the code SPRING-10." in html and "SPRING-10" in html
    code = session.scalars(select(DiscountCode)).one()
    assert (code.code, code.kind, code.percent_off, code.min_subtotal_minor, code.usage_limit,
            code.per_customer_limit) == ("SPRING-10", DiscountKind.percent, 10, 3000, 100, 1)
    # Typed on the shop's clock (SHOP_TIMEZONE, New York): midnight there is 05:00 UTC in March.
    assert code.starts_at.isoformat() == "2026-03-01T05:00:00+00:00" and code.products == []
    assert 'value="2026-03-01T00:00"' in staff.get(f"/admin/discounts/{code.id}").get_data(as_text=True)


def test_codes_are_unique_whatever_their_case(sign_in, session):
    staff = sign_in("admin")
    post(staff, "/admin/discounts/new", **code_form())
    html = page_after(staff, post(staff, "/admin/discounts/new", **code_form(code="Spring-10")))
    assert "There is already a code SPRING-10" in html
    assert len(session.scalars(select(DiscountCode)).all()) == 1


def test_an_amount_off_limited_to_a_product(sign_in, session):
    staff = sign_in("marketing")
    butter = session.scalars(select(Product).where(Product.slug == "magnesium-body-butter")).one()
    post(staff, "/admin/discounts/new", **code_form(kind="fixed", percent_off="", amount_off="7.50",
                                                      products=str(butter.id)))
    code = session.scalars(select(DiscountCode)).one()
    assert (code.amount_off_minor, code.percent_off, [p.slug for p in code.products]) == (750, None, [butter.slug])
    page = staff.get(f"/admin/discounts/{code.id}").get_data(as_text=True)
    assert 'value="7.50"' in page


def test_bad_terms_are_explained_and_nothing_is_saved(sign_in, session):
    staff = sign_in("marketing")
    cases = [
        (code_form(percent_off=""), "Enter the percentage off, from 1 to 100."),
        (code_form(percent_off="250"), "Percentage off: a whole number from 1 to 100."),
        (code_form(kind="fixed", amount_off="ten"), "is not an amount"),
        (code_form(ends_at="2026-02-01T00:00"), "The end must come after the start."),
        (code_form(code="SPRING 10"), "Discount codes are made of letters"),
        (code_form(code="X" * 41), "Field cannot be longer than 40 characters."),
        (code_form(usage_limit="0"), "Uses in all: a whole number of 1 or more"),
        (code_form(usage_limit="9" * 400), "Uses in all"),
        (code_form(kind="bogus"), "Not a valid choice"),
        (code_form(products="999999"), "One of the chosen products no longer exists"),
        (code_form(products="9" * 20), "One of the chosen products no longer exists"),  # past any integer column
        (code_form(min_subtotal="-5"), "The minimum subtotal must be zero or more."),
    ]
    for form, message in cases:
        response = post(staff, "/admin/discounts/new", **form)
        assert response.status_code in (200, 303), (form, response.status_code)
        assert message in page_after(staff, response), message
    assert session.scalars(select(DiscountCode)).all() == []


def test_the_staff_routes_need_a_csrf_token_and_the_right_role(sign_in, session):
    staff = sign_in("marketing")
    assert staff.post("/admin/discounts/new", data=code_form()).status_code == 400
    for role in ("fulfilment",):
        other = sign_in(role)
        assert other.get("/admin/discounts").status_code == 403
        assert other.post("/admin/discounts/new", data=code_form()).status_code in (400, 403)
    assert session.scalars(select(DiscountCode)).all() == []


def test_the_list_counts_held_and_paid_uses_and_orders_show_the_code(
        sign_in, shopper, make_code, apply_code, session, stripe_server, deliver):
    make_code("SAVE20", percent_off=20, usage_limit=5)
    shopper.add("TMC-CRM-4-UNS", 1)
    apply_code("save20")
    session_id = session_id_from(shopper.checkout())
    order = latest_order(session)
    staff = sign_in("admin")

    def uses(paid: int, held: int) -> bool:
        rows = staff.get("/admin/discounts").get_data(as_text=True)
        return bool(re.search(rf'SAVE20</a>.*?<td class="numeric">{paid}</td>\s*<td class="numeric">{held}</td>', rows, re.S))

    assert uses(paid=0, held=1)
    stripe_server.complete(session_id)
    deliver(stripe_server.last_event("checkout.session.completed"))
    assert uses(paid=1, held=0)
    page = staff.get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert "Discount (SAVE20)" in page and 'id="order-total">$26.75' in page  # $26.00 - $5.20 + $5.95
    row = next(csv.DictReader(io.StringIO(staff.get("/admin/orders/export.csv").get_data(as_text=True))))
    assert (row["number"], row["discount"], row["discount_code"], row["total"], row["paid"]) == (
        order.number, "5.20", "SAVE20", "26.75", "26.75")
