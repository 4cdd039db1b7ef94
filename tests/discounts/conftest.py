"""Discount tests: codes set up as staff would leave them, carts that apply them through the pages."""
import pytest
from sqlalchemy import select

from app.catalog.models import Product
from app.discounts.models import DiscountCode, DiscountKind
from tests.conftest import csrf_token_from


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


@pytest.fixture
def make_code(session):
    """make_code("SAVE10", percent_off=10, ...) -> a code in the database (a staff form's result)."""

    def make(code: str, kind: DiscountKind = DiscountKind.percent, *, products: tuple[str, ...] = (),
             **terms) -> DiscountCode:
        row = DiscountCode(code=code, kind=kind, **{"min_subtotal_minor": 0, "active": True, "note": "", **terms})
        row.products = list(session.scalars(select(Product).where(Product.slug.in_(products)))) if products else []
        session.add(row)
        session.flush()
        return row

    return make


@pytest.fixture
def apply_code(shopper):
    """Type a code into the cart's box and press Apply: the cart page the shopper sees next."""

    def apply(text: str) -> str:
        token = csrf_token_from(shopper.client.get("/cart").get_data(as_text=True))
        response = shopper.client.post("/cart/discount", data={"csrf_token": token, "code": text})
        assert response.status_code == 303, response.status_code
        return shopper.client.get(response.headers["Location"]).get_data(as_text=True)

    return apply
