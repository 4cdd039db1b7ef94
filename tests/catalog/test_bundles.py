"""Sets (bundle variants) draw their stock from their components: the Evening Wind-Down Set is a
4 oz cream and the travel stick."""
import json
import re
from html import unescape

import pytest
from sqlalchemy import func, select

from app.catalog.models import StockMovement, StockReason, Variant, VariantComponent
from app.catalog.services import (
    CatalogError, OutOfStock, StockError, adjust_stock, receive_stock, release_stock, reserve_stock,
    restock_sold, sell_reserved_stock, set_bundle_components,
)
from app.orders.models import OrderStatus
from tests.conftest import ADDRESS, act, latest_order, page_after, post

SET, CREAM, STICK = "TMC-SET-UNS", "TMC-CRM-4-UNS", "TMC-STK-06-PEP"


def variant(session, sku: str) -> Variant:
    found = session.scalars(select(Variant).where(Variant.sku == sku)).one()
    session.refresh(found)
    return found


def levels(session, sku: str) -> tuple[int, int]:
    found = variant(session, sku)
    return found.stock_on_hand, found.stock_reserved


def leave_available(session, sku: str, units: int) -> None:
    """Bring a variant's free stock to `units` the way staff would, with a recorded correction."""
    found = variant(session, sku)
    adjust_stock(session, variant_id=found.id, change=units - found.stock_available, reason=StockReason.correction)
    session.commit()


def set_choices(client, slug: str = "recovery-bundle") -> dict[str, str]:
    """A product page's variants: SKU -> stock label."""
    html = unescape(client.get(f"/products/{slug}").get_data(as_text=True))
    return dict(re.findall(r'data-sku="([^"]+)"[^>]*data-stock="([^"]+)"', html))


def json_ld_availability(client) -> dict[str, str]:
    html = client.get("/products/recovery-bundle").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    return {offer["sku"]: offer["availability"].rsplit("/", 1)[1] for offer in data["offers"]}


def test_the_demo_set_is_made_of_the_cream_and_the_stick_and_keeps_no_stock(session):
    the_set = variant(session, SET)
    assert {(part.component.sku, part.quantity) for part in the_set.components} == {(CREAM, 1), (STICK, 1)}
    assert (the_set.stock_on_hand, the_set.stock_reserved) == (0, 0)
    assert the_set.stock_available == min(variant(session, CREAM).stock_available,
                                          variant(session, STICK).stock_available)


def test_selling_one_set_lowers_the_cream_and_the_stick(shopper, session):
    cream, stick = levels(session, CREAM), levels(session, STICK)
    shopper.add(SET, 1)
    page = shopper.checkout().headers["Location"]
    assert levels(session, CREAM) == (cream[0], cream[1] + 1) and levels(session, STICK) == (stick[0], stick[1] + 1)
    act(shopper, page, "pay", **ADDRESS)
    order = latest_order(session)
    assert order.status is OrderStatus.paid
    assert levels(session, CREAM) == (cream[0] - 1, cream[1]) and levels(session, STICK) == (stick[0] - 1, stick[1])
    assert levels(session, SET) == (0, 0)
    moves = session.execute(
        select(Variant.sku, StockMovement.reason, StockMovement.delta, StockMovement.reserved_delta, StockMovement.note)
        .join(Variant, Variant.id == StockMovement.variant_id)
        .where(StockMovement.order_id == order.id).order_by(StockMovement.id)).all()
    assert sorted((sku, reason.value, delta, reserved) for sku, reason, delta, reserved, _ in moves) == [
        (CREAM, "reserved", 0, 1), (CREAM, "sold", -1, -1), (STICK, "reserved", 0, 1), (STICK, "sold", -1, -1)]
    assert {note for *_, note in moves} == {f"Part of 1 x {SET}"}, moves


def test_the_set_is_sold_out_when_a_component_is(client, session, csrf_token):
    leave_available(session, STICK, 0)
    assert variant(session, SET).stock_available == 0
    assert set_choices(client) == {SET: "Sold out", "TMC-SET-LAV": "Sold out"}
    assert json_ld_availability(client) == {SET: "OutOfStock", "TMC-SET-LAV": "OutOfStock"}
    client.post("/cart/add", data={"csrf_token": csrf_token("/products/recovery-bundle"),
                                   "variant_id": variant(session, SET).id, "quantity": "1"})
    assert "is sold out" in client.get("/cart").get_data(as_text=True)
    assert set_choices(client, "magnesium-body-cream")[CREAM] == "In stock"


def test_a_set_offers_as_many_whole_sets_as_its_scarcest_component_allows(client, session, csrf_token):
    the_set = variant(session, SET)
    set_bundle_components(session, bundle_variant_id=the_set.id,
                          components={variant(session, CREAM).id: 1, variant(session, STICK).id: 2})
    session.commit()
    leave_available(session, STICK, 5)  # two sets' worth, and one stick over
    assert variant(session, SET).stock_available == 2
    assert set_choices(client)[SET] == "Only 2 left"
    client.post("/cart/add", data={"csrf_token": csrf_token("/products/recovery-bundle"),
                                   "variant_id": the_set.id, "quantity": "3"})
    assert "only 2 left in stock" in client.get("/cart").get_data(as_text=True)


def test_a_cart_line_for_a_set_is_checked_against_its_components(shopper, session):
    shopper.add(SET, 3)
    leave_available(session, CREAM, 2)
    html = unescape(shopper.client.get("/cart").get_data(as_text=True))
    assert "Only 2 left in stock" in html


def test_a_set_is_reserved_all_or_nothing(session):
    the_set = variant(session, SET)
    leave_available(session, STICK, 1)
    cream = levels(session, CREAM)
    count = session.scalar(select(func.count(StockMovement.id)))
    with pytest.raises(OutOfStock) as raised:
        reserve_stock(session, variant_id=the_set.id, quantity=2, order_id=41)
    assert raised.value.variant_id == the_set.id
    assert levels(session, CREAM) == cream  # the cream taken before the stick refused is put back
    assert session.scalar(select(func.count(StockMovement.id))) == count


def test_a_withdrawn_set_or_component_cannot_be_reserved(session):
    the_set, stick = variant(session, SET), variant(session, STICK)
    stick.is_active = False
    session.flush()
    assert variant(session, SET).stock_available == 0
    with pytest.raises(OutOfStock):
        reserve_stock(session, variant_id=the_set.id, quantity=1, order_id=41)
    stick.is_active, the_set.is_active = True, False
    session.flush()
    with pytest.raises(OutOfStock):
        reserve_stock(session, variant_id=the_set.id, quantity=1, order_id=41)


def test_release_sell_and_restock_of_a_set_move_its_components(session):
    the_set = variant(session, SET)
    cream, stick = levels(session, CREAM), levels(session, STICK)
    reserve_stock(session, variant_id=the_set.id, quantity=2, order_id=41)
    release_stock(session, variant_id=the_set.id, quantity=1, order_id=41, note="Shopper left")
    sell_reserved_stock(session, variant_id=the_set.id, quantity=1, order_id=41)
    restock_sold(session, variant_id=the_set.id, quantity=1, order_id=41, note="Order cancelled")
    assert levels(session, CREAM) == cream and levels(session, STICK) == stick
    notes = session.scalars(select(StockMovement.note).where(StockMovement.order_id == 41,
                                                             StockMovement.reason == StockReason.returned)).all()
    assert notes == [f"Order cancelled (part of 1 x {SET})"] * 2
    with pytest.raises(StockError, match=f"Cannot release 1 reserved unit.* of {CREAM}"):
        release_stock(session, variant_id=the_set.id, quantity=1, order_id=41)
    assert levels(session, CREAM) == cream and levels(session, STICK) == stick


def test_staff_cannot_change_a_sets_own_stock(session):
    the_set = variant(session, SET)
    for change in (lambda: adjust_stock(session, variant_id=the_set.id, change=5, reason=StockReason.received),
                   lambda: receive_stock(session, variant_id=the_set.id, quantity=5)):
        with pytest.raises(CatalogError, match=f"This is a set.*{CREAM}, {STICK}"):
            change()
    assert levels(session, SET) == (0, 0)


@pytest.mark.parametrize("components, message", [
    ({}, "at least one component"),
    ({"TMC-CRM-4-UNS": 0}, "quantity above zero"),
    ({"TMC-SET-LAV": 1}, "not other sets"),
    ({"TMC-SET-UNS": 1}, "its own components"),
])
def test_a_set_is_made_of_plain_variants(session, components, message):
    with pytest.raises(CatalogError, match=message):
        set_bundle_components(session, bundle_variant_id=variant(session, SET).id,
                              components={variant(session, sku).id: quantity for sku, quantity in components.items()})


def test_a_component_or_a_variant_with_stock_cannot_become_a_set(session):
    with pytest.raises(CatalogError, match="part of another set"):
        set_bundle_components(session, bundle_variant_id=variant(session, STICK).id,
                              components={variant(session, "TMC-BTR-4-UNS").id: 1})
    with pytest.raises(CatalogError, match="holds stock of its own"):
        set_bundle_components(session, bundle_variant_id=variant(session, "TMC-BTR-4-UNS").id,
                              components={variant(session, "TMC-BTR-4-VAN").id: 1})


def test_admin_stock_shows_a_sets_components_instead_of_its_own_levels(sign_in, session):
    client = sign_in("fulfilment")
    the_set = variant(session, SET)
    listing = client.get("/admin/stock").get_data(as_text=True)
    row = re.search(rf">{SET}</a></th>(.*?)</tr>", listing, re.S).group(1)
    assert "a set: from its components" in row
    detail = unescape(client.get(f"/admin/stock/{the_set.id}").get_data(as_text=True))
    assert "This is a set: it keeps no stock of its own" in detail and CREAM in detail and STICK in detail
    assert "Save adjustment" not in detail
    html = page_after(client, post(client, f"/admin/stock/{the_set.id}/adjust", change="5", reason="received"))
    assert "This is a set" in html
    assert levels(session, SET) == (0, 0)


def test_the_dashboard_lists_a_set_low_on_its_components(sign_in, session):
    leave_available(session, CREAM, 2)
    html = sign_in("fulfilment").get("/admin/").get_data(as_text=True)
    assert f">{SET}</a>" in html and "2 available, threshold" in html


def test_links_are_unique_and_positive_in_the_database(session):
    the_set, cream = variant(session, SET), variant(session, CREAM)
    session.add(VariantComponent(bundle_variant_id=the_set.id, component_variant_id=cream.id, quantity=1))
    with pytest.raises(Exception):
        session.flush()
