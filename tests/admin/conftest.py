"""Admin tests pay and refund through the local Stripe-compatible server."""
import pytest

from tests.conftest import csrf_token_from, latest_order, session_id_from


@pytest.fixture
def config_overrides(config_overrides, stripe_settings):
    return {**config_overrides, **stripe_settings}


@pytest.fixture
def paid_order(shopper, session, stripe_server, deliver):
    """An order paid through Checkout, its webhook applied: (order, shopper)."""
    shopper.add("TMC-CRM-4-UNS", 2)
    session_id = session_id_from(shopper.checkout(email="jo@example.com"))
    stripe_server.complete(session_id, email="jo@example.com")
    deliver(stripe_server.last_event("checkout.session.completed"))
    return latest_order(session)


def csrf(client, path: str = "/admin/") -> str:
    return csrf_token_from(client.get(path).get_data(as_text=True))


def product_form(product, **changes) -> dict:
    """The product edit form as staff see it filled in for this product, with some fields changed:
    posting it changes nothing else."""
    form = {"name": product.name, "slug": product.slug, "summary": product.summary,
            "description": product.description_markdown, "ingredients": product.ingredients,
            "directions": product.directions_markdown, "warnings": product.warnings_markdown,
            "seo_title": product.seo_title, "seo_description": product.seo_description,
            "position": str(product.position), **({"is_active": "y"} if product.is_active else {}),
            **({"is_featured": "y"} if product.is_featured else {})}
    return {**form, **changes}
