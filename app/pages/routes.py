"""A product's page: the catalogue's product with its Learn reading (app.pages)."""
from flask import abort, redirect, render_template, request, url_for

from app.catalog import bp
from app.pages.product import ProductNotFound, choose_variant, get_product_page, moved_product_slug
from app.pages.structured_data import product_json_ld, script_json
from app.storefront import read_only, reader
from app.urls import external_url, with_this_query


@bp.get("/products/<slug>")
@read_only
def product_detail(slug: str):
    try:
        product = get_product_page(reader(), slug=slug)
    except ProductNotFound:
        return _moved_or_not_found(slug)
    variant = choose_variant(product, sku=request.args.get("variant"))
    page_url = external_url(url_for("catalog.product_detail", slug=product.slug))
    return render_template(
        "catalog/detail.html",
        product=product,
        selected=variant,
        canonical_url=page_url,
        json_ld=script_json(product_json_ld(product, page_url=page_url)),
    )


def _moved_or_not_found(slug: str):
    """A product's old address answers 301 to its page, keeping the query (?variant=SKU); any
    other unknown slug, or one whose product is inactive, is a 404."""
    current_slug = moved_product_slug(reader(), slug=slug)
    if current_slug is None:
        abort(404)
    response = redirect(with_this_query(url_for("catalog.product_detail", slug=current_slug)), code=301)
    # Browsers keep a 301 with no expiry for good; a day lets a slug taken back by its own
    # product (old -> new -> old) stop bouncing a visitor between the two.
    response.cache_control.max_age = 86400
    response.cache_control.private = True  # as every page (app.caching): a CDN must not keep it
    return response
