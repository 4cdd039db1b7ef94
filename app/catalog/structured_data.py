"""schema.org Product JSON-LD for a product page, so search engines can show price and stock."""
from __future__ import annotations

from urllib.parse import urlencode

from flask import current_app, url_for

from app.catalog.images import image_url
from app.catalog.services import ProductPage
from app.money import to_major


def product_json_ld(product: ProductPage) -> dict:
    brand = current_app.config["SHOP_NAME"]
    page_url = url_for("catalog.product_detail", slug=product.slug, _external=True)
    offers = [
        {
            "@type": "Offer",
            "sku": variant.sku,
            "name": f"{product.name}, {variant.label}",
            "price": str(to_major(variant.price_minor, variant.currency)),
            "priceCurrency": variant.currency,
            "availability": "https://schema.org/"
            + ("OutOfStock" if variant.is_sold_out else "InStock"),
            "url": f"{page_url}?{urlencode({'variant': variant.sku})}",
            "itemCondition": "https://schema.org/NewCondition",
        }
        for variant in product.variants
    ]
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.seo_description or product.summary,
        "brand": {"@type": "Brand", "name": brand},
        "image": [image_url(image.path, external=True) for image in product.images],
        "url": page_url,
        "offers": offers,
    }
