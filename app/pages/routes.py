"""A product's page: the catalogue's product with its Learn reading (app.pages)."""
from urllib.parse import quote

from flask import abort, redirect, request, url_for

from app.catalog import bp
from app.pages.product import (
    ProductNotFound, ProductPage, VariantChoice, choose_variant, get_product_page, moved_product_slug,
    render_product_page,
)
from app.storefront import read_only, reader
from app.urls import with_this_query


@bp.get("/products/<slug>")
@read_only
def product_detail(slug: str):
    try:
        product = get_product_page(reader(), slug=slug)
    except ProductNotFound:
        return _moved_or_not_found(slug)
    sku, size, scent = (request.args.get(name) for name in ("variant", "size", "scent"))
    if size is not None or scent is not None:  # the picker sent without JavaScript on a shared page
        return _chosen_variant_address(product, choose_variant(product, size=size, scent=scent))
    variant = choose_variant(product, sku=sku)
    if sku is not None and (variant is None or variant.sku != sku):  # an old or mistyped link
        return _chosen_variant_address(product, None)
    return render_product_page(product, selected=variant)


@bp.post("/products/<slug>")
@read_only
def product_choose(slug: str):
    """The variant picker without JavaScript: the chosen size and scent, as a shareable address."""
    try:
        product = get_product_page(reader(), slug=slug)
    except ProductNotFound:
        abort(404)
    return _chosen_variant_address(product, choose_variant(product, size=request.form.get("size"),
                                                           scent=request.form.get("scent")))


def _chosen_variant_address(product: ProductPage, variant: VariantChoice | None):
    """To the product's page with this variant chosen, by the one address the page cache keeps for
    it (?variant=SKU): any other spelling of a choice is sent there rather than stored apart."""
    query = f"?variant={quote(variant.sku, safe='')}" if variant else ""
    return redirect(url_for("catalog.product_detail", slug=product.slug) + query + "#choose", code=303)


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
