"""Templates escape their output as Jinja's default environment does (markupsafe), and pages may
hold any UTF-8 text."""
import json
import re

import pytest
from flask import render_template_string
from markupsafe import Markup, escape
from sqlalchemy import select

from app.catalog.models import Product


class HasHtml:
    def __html__(self) -> str:
        return "<em>already safe</em>"


@pytest.mark.parametrize("value", [
    "plain", "<script>alert('x')</script> & \"quoted\"", "", 0, 12, -3, True, None, 1.5,
    Markup("<b>marked safe</b>"), HasHtml(),
])
def test_output_is_escaped_as_markupsafe_escapes_it(app, value):
    with app.test_request_context("/"):
        rendered = render_template_string("{{ value }}|{% set x %}{{ value }}{% endset %}{{ x }}", value=value)
    assert rendered == f"{escape(value)}|{escape(value)}"


def test_a_product_name_with_markup_is_shown_as_text(client, session):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    product.name = "Relief <script>alert(1)</script> & \"Co\""
    session.commit()
    for page in ("/products/magnesium-body-cream", "/products", "/"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert(1)" not in html, page
        assert "Relief &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in html, page


def test_storefront_pages_read_as_written(client, session):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    product.name = "Crème de magnésium"
    product.seo_description = "Doux · 25 °C"
    session.commit()
    for page in ("/products/magnesium-body-cream", "/products", "/"):
        assert "Crème de magnésium" in client.get(page).get_data(as_text=True), page
    response = client.get("/products/magnesium-body-cream")
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert "<h1>Crème de magnésium</h1>" in html
    json_ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert json_ld["name"] == "Crème de magnésium"
    assert json_ld["description"] == "Doux · 25 °C"
