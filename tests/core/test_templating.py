"""Templates escape their output with app.templating's escape_output: the same text as
markupsafe's escape, for every kind of value a template prints."""
import pytest
from flask import render_template_string
from markupsafe import Markup, escape
from sqlalchemy import select

from app.catalog.models import Product


class HasHtml:
    def __html__(self) -> str:
        return "<em>already safe</em>"


@pytest.mark.parametrize("value", [
    "plain", "<script>alert('x')</script> & \"quoted\"", "", "Crème · 4 oz",
    0, 12, -3, True, None, 1.5, Markup("<b>marked safe</b>"), HasHtml(),
])
def test_output_is_escaped_as_markupsafe_escapes_it(app, value):
    with app.test_request_context("/"):
        assert render_template_string("{{ value }}|{% set x %}{{ value }}{% endset %}{{ x }}", value=value) \
            == f"{escape(value)}|{escape(value)}"


def test_a_product_name_with_markup_is_shown_as_text(client, session):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-relief-cream")).one()
    product.name = "Relief <script>alert(1)</script> & \"Co\""
    session.commit()
    for page in ("/products/magnesium-relief-cream", "/products", "/"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert(1)" not in html, page
        assert "Relief &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in html, page
