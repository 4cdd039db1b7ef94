"""Templates escape their output with app.templating's escape_output: markupsafe's escaping, with
anything beyond ASCII written as a character reference so that pages stay ASCII."""
import json
import re
from html import unescape
from pathlib import Path

import pytest
from flask import render_template_string
from jinja2 import DictLoader, Environment
from markupsafe import Markup, escape
from sqlalchemy import select

from app.catalog.models import Product
from app.templating import ShopEnvironment

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


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


def test_text_beyond_ascii_is_written_as_character_references(app):
    with app.test_request_context("/"):
        rendered = render_template_string("{{ value }}", value="Crème <b> · 25 °C 😀")
    assert rendered == "Cr&#232;me &lt;b&gt; &#183; 25 &#176;C &#128512;"
    assert unescape(rendered) == "Crème <b> · 25 °C 😀"


def test_templates_write_characters_beyond_ascii_as_entities():
    """Literal text is sent as written: one "·" would make every page it is on wider to encode."""
    offenders = [f"{path.relative_to(TEMPLATES)}:{number}"
                 for path in TEMPLATES.rglob("*.html")
                 for number, line in enumerate(path.read_text().splitlines(), 1) if not line.isascii()]
    assert offenders == []


def test_a_product_name_with_markup_is_shown_as_text(client, session):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    product.name = "Relief <script>alert(1)</script> & \"Co\""
    session.commit()
    for page in ("/products/magnesium-body-cream", "/products", "/"):
        html = client.get(page).get_data(as_text=True)
        assert "<script>alert(1)" not in html, page
        assert "Relief &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;Co&#34;" in html, page


def test_storefront_pages_stay_ascii_and_read_as_written(client, session):
    product = session.scalars(select(Product).where(Product.slug == "magnesium-body-cream")).one()
    product.name = "Crème de magnésium"
    product.seo_description = "Doux · 25 °C"
    session.commit()
    for page in ("/products/magnesium-body-cream", "/products", "/", "/learn", "/cart"):
        html = client.get(page).get_data(as_text=True)
        assert html.isascii(), page
    html = client.get("/products/magnesium-body-cream").get_data(as_text=True)
    assert "<h1>Cr&#232;me de magn&#233;sium</h1>" in html
    json_ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1))
    assert json_ld["name"] == "Crème de magnésium"
    assert json_ld["description"] == "Doux · 25 °C"


LAYOUT = "<main>{% block body %}{% endblock %}</main><footer>{{ shop }}</footer>"
PAGE = """{% extends "layout.html" %}{% block body %}<h1>{{ title }}</h1>
{% for item in items %}<li class="{{ item.kind }}">{{ item.name }} &middot; {{ item.price }}</li>
{% else %}<p>None</p>{% endfor %}{% if note %}<p>{{ note }} / {{ title }}</p>{% endif %}
{% macro card(x) %}<b>{{ x }}</b>{{ x|upper }}{% endmacro %}{{ card(title) }}{% set kept %}{{ title }}!{% endset %}{{ kept }}
{% endblock %}"""


@pytest.mark.parametrize("items", [[], [{"kind": "a", "name": "<Cream>", "price": "$16.00"}, {"kind": "b", "name": "Butter", "price": 3}]])
def test_joined_output_renders_as_jinja_renders_it(app, items):
    """The shop's code generator yields each run of text and values in one piece (fewer yields
    through the layout's generators); what a page says must not change."""
    templates = {"layout.html": LAYOUT, "page.html": PAGE}
    values = {"title": "Tired <muscles>", "items": items, "note": "Patch test", "shop": "Tidewater"}
    shop = ShopEnvironment(app, loader=DictLoader(templates), autoescape=True)
    plain = Environment(loader=DictLoader(templates), autoescape=True, finalize=None)
    plain_code = plain.compile(PAGE, "page.html", raw=True)
    shop_code = shop.compile(PAGE, "page.html", raw=True)

    rendered = shop.get_template("page.html").render(values)
    assert rendered == plain.get_template("page.html").render(values)
    assert "<h1>Tired &lt;muscles&gt;</h1>" in rendered
    assert shop_code.count("yield ") < plain_code.count("yield ") / 2
