"""Fixed URLs in templates (`urls[...]`, `static_urls[...]`, `page_urls[...]`...): each one
names a real route or file."""
import re
from pathlib import Path

import pytest
from flask import render_template_string, url_for

from tests.conftest import fingerprinted_url

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
STATIC = TEMPLATES.parent / "static"
SOURCES = "\n".join(path.read_text() for path in TEMPLATES.rglob("*.html"))
ENDPOINTS = sorted(set(re.findall(r"\burls\['([^']+)'\]", SOURCES)))
STATIC_FILES = sorted(set(re.findall(r"\bstatic_urls\['([^']+)'\]", SOURCES)))
PAGES = sorted(set(re.findall(r"\bpage_urls\['([^']+)'\]", SOURCES)))


def test_templates_use_fixed_urls():
    """The scan below finds what it checks (a renamed helper would leave it checking nothing)."""
    assert "cart.view" in ENDPOINTS and "css/site.css" in STATIC_FILES and "shipping" in PAGES


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_fixed_url_builds_to_its_route(app, endpoint):
    with app.test_request_context("/"):
        assert render_template_string(f"{{{{ urls['{endpoint}'] }}}}") == url_for(endpoint)


@pytest.mark.parametrize(("helper", "key", "expected"),
                         [("static_urls", name, fingerprinted_url(name)) for name in STATIC_FILES]
                         + [("page_urls", slug, f"/pages/{slug}") for slug in PAGES]
                         + [("product_urls", "magnesium-body-butter", "/products/magnesium-body-butter"),
                            ("article_urls", "how-common-is-back-pain", "/learn/how-common-is-back-pain"),
                            ("image_urls", "img/products/body-cream-lavender.svg",
                             fingerprinted_url("img/products/body-cream-lavender.svg"))])
def test_every_static_file_and_slug_url_answers(app, client, helper, key, expected):
    with app.test_request_context("/"):
        url = render_template_string(f"{{{{ {helper}['{key}'] }}}}")
    assert url == expected
    assert client.get(url).status_code == 200


def test_a_mistyped_endpoint_fails_loudly_instead_of_rendering_an_empty_link(app):
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="cart.vew"):
        render_template_string("<a href=\"{{ urls['cart.vew'] }}\">Cart</a>")
