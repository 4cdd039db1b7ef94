"""Issue 14, defect 5: bad input on staff screens gives the form again or a 400/404, never a 500,
and changes nothing. Each case through HTTP: what staff see and what the database keeps."""
import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.admin.models import AuditEntry
from app.catalog.models import Product, StockMovement, Variant
from app.orders.models import Order, OrderStatus
from tests.conftest import page_after, post, product_form, ship


def _user(session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


def test_order_list_with_an_unknown_status_shows_the_form_again(sign_in):
    response = sign_in("fulfilment").get("/admin/orders?status=no-such-status")
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_order_list_and_export_with_date_to_9999_12_31_are_refused_cleanly(sign_in, paid_order):
    client = sign_in("fulfilment")
    response = client.get("/admin/orders?date_to=9999-12-31")
    assert response.status_code == 200 and "Enter a date between" in response.get_data(as_text=True)
    assert client.get("/admin/orders/export.csv?date_to=9999-12-31").status_code == 400
    assert client.get("/admin/orders/export.csv?date_from=0001-01-01").status_code == 400


@pytest.mark.parametrize("path", ["/admin/orders", "/admin/audit"])
@pytest.mark.parametrize("page", [str(2**31), str(2**63), "9" * 50, "-5", "0"])
def test_a_huge_or_negative_page_number_shows_a_page(sign_in, path, page):
    assert sign_in("admin").get(f"{path}?page={page}").status_code == 200


@pytest.mark.parametrize("path", ["/admin/stock/{id}", "/admin/products/{id}", "/admin/products/1/variants/{id}",
                                  "/admin/staff/{id}", "/admin/reports/{id}"])
def test_a_huge_id_on_a_staff_screen_is_a_404(sign_in, path):
    assert sign_in("admin").get(path.format(id=2**31)).status_code == 404
    assert sign_in("admin").get(path.format(id=2**64)).status_code == 404


@pytest.mark.parametrize("price", ["1e18", "1e309", "21474836.48", "-1e18", "99999999999999999999"])
@pytest.mark.parametrize("field", ["price", "compare_at"])
def test_a_price_past_what_the_column_holds_shows_the_form_again(sign_in, session, price, field):
    admin = sign_in("admin")
    variant = session.scalars(select(Variant).order_by(Variant.id)).first()
    before = (variant.price_minor, variant.compare_at_minor)
    data = {"sku": variant.sku, "size": variant.size, "scent": variant.scent, "price": "16.00", "compare_at": "",
            "weight_grams": "100", "position": "0", "is_active": "y", field: price}
    response = post(admin, f"/admin/products/{variant.product_id}/variants/{variant.id}", **data)
    assert response.status_code == 200
    assert "more than the shop can record" in response.get_data(as_text=True)
    session.refresh(variant)
    assert (variant.price_minor, variant.compare_at_minor) == before


def test_the_largest_price_a_column_holds_is_accepted(sign_in, session):
    admin = sign_in("admin")
    variant = session.scalars(select(Variant).order_by(Variant.id)).first()
    response = post(admin, f"/admin/products/{variant.product_id}/variants/{variant.id}", sku=variant.sku,
                    size=variant.size, scent=variant.scent, price="21474836.47", compare_at="", weight_grams="100",
                    position="0", is_active="y")
    assert response.status_code == 303
    session.refresh(variant)
    assert variant.price_minor == 2**31 - 1


def test_nul_in_staff_text_fields_is_a_400_and_changes_nothing(sign_in, session, paid_order):
    admin = sign_in("admin")
    product = session.scalars(select(Product).order_by(Product.id)).first()
    variant = product.variants[0]
    audit_before = session.scalar(select(func.count(AuditEntry.id)))
    movements_before = session.scalar(select(func.count(StockMovement.id)))
    attempts = [
        (f"/admin/products/{product.id}", product_form(product, description="Nice\x00")),
        (f"/admin/products/{product.id}/variants/{variant.id}",
         {"sku": variant.sku, "size": "4 oz\x00", "scent": variant.scent, "price": "16.00", "weight_grams": "100",
          "position": "0"}),
        (f"/admin/stock/{variant.id}/adjust", {"change": "1", "reason": "received", "note": "box\x00"}),
        (f"/admin/orders/{paid_order.number}/ship", {"carrier": "USPS\x00", "tracking_number": "1",
                                                     "confirm_shipped": "y"}),
        (f"/admin/orders/{paid_order.number}/notes", {"text": "a note\x00"}),
        (f"/admin/staff/{_user(session, 'marketing@tidewater.example').id}",
         {"email": "marketing@tidewater.example", "name": "M\x00", "role": "marketing", "is_active": "y"}),
    ]
    for path, data in attempts:
        assert post(admin, path, **data).status_code == 400, path
    assert admin.get("/admin/orders?q=TW%00").status_code == 400
    assert session.scalar(select(func.count(AuditEntry.id))) == audit_before
    assert session.scalar(select(func.count(StockMovement.id))) == movements_before
    session.refresh(paid_order)
    assert paid_order.status is OrderStatus.paid and not paid_order.carrier


def test_a_lot_number_over_60_characters_is_refused_and_nothing_ships(sign_in, session, paid_order):
    client = sign_in("fulfilment")
    html = page_after(client, ship(client, paid_order, **{f"lot-{line.id}": "L" * 61 for line in paid_order.lines}))
    assert "at most 60 characters" in html
    order = session.get(Order, paid_order.id)
    session.refresh(order)
    assert order.status is OrderStatus.paid
