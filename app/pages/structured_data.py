"""schema.org Product JSON-LD for a product page, so search engines can show price and stock."""
from __future__ import annotations

import codecs
from functools import lru_cache
from urllib.parse import quote, urlsplit

import orjson
from flask import current_app
from markupsafe import Markup

from app.pages.product import ProductPage
from app.money import to_major


@lru_cache(maxsize=4096)
def _price(amount_minor: int, currency: str) -> str:
    return str(to_major(amount_minor, currency))


@lru_cache(maxsize=4096)
def _query_value(text: str) -> str:
    return quote(text, safe="")


def product_json_ld(product: ProductPage, *, page_url: str) -> dict:
    """page_url is the product page's canonical address; the images' are made from the same origin."""
    scheme, host, *_ = urlsplit(page_url)
    origin = f"{scheme}://{host}"
    offers = [
        {
            "@type": "Offer",
            "sku": variant.sku,
            "name": f"{product.name}, {variant.label}",
            "price": _price(variant.price_minor, variant.currency),
            "priceCurrency": variant.currency,
            "availability": "https://schema.org/"
            + ("OutOfStock" if variant.is_sold_out else "InStock"),
            "url": f"{page_url}?variant={_query_value(variant.sku)}",
            "itemCondition": "https://schema.org/NewCondition",
        }
        for variant in product.variants
    ]
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.seo_description or product.summary,
        "brand": {"@type": "Brand", "name": current_app.config["SHOP_NAME"]},
        "image": [origin + image.src for image in product.images],
        "url": page_url,
        "offers": offers,
    }


def script_json(data: dict) -> Markup:
    """data as JSON to put inside a <script> element, escaped as Jinja's tojson filter escapes it
    so that it cannot close the element, and in ASCII (see app/templating.py). orjson, as the
    standard library's encoder took a twelfth of a product page's time for its few offers."""
    # In bytes, where each search is a memchr: on the decoded str the four replaces cost
    # 53,000 instructions.
    escaped = (orjson.dumps(data).replace(b"<", b"\\u003c").replace(b">", b"\\u003e")
               .replace(b"&", b"\\u0026").replace(b"'", b"\\u0027"))
    if escaped.isascii():
        return Markup(escaped.decode("ascii"))
    return Markup(escaped.decode().encode("ascii", _JSON_ESCAPES).decode("ascii"))


def _json_escapes(error: UnicodeError) -> tuple[str, int]:
    """An encoding error handler: the characters ASCII lacks as JSON \\u escapes (UTF-16 code
    units, so a pair for each character beyond the BMP)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    units = error.object[error.start:error.end].encode("utf-16-be")
    return "".join(f"\\u{units[i]:02x}{units[i + 1]:02x}" for i in range(0, len(units), 2)), error.end


# A handler the encoder calls once for each run of such characters: a regular expression
# searching the bytes for them cost more than the rest of the page's JSON-LD.
_JSON_ESCAPES = "shop-json-ascii"
codecs.register_error(_JSON_ESCAPES, _json_escapes)
