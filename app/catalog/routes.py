"""Storefront pages for the catalogue: the product list and a product's page."""
from flask import abort, render_template, request

from app.catalog import bp, services
from app.catalog.product_page import ProductNotFound, choose_variant, get_product_page
from app.catalog.structured_data import product_json_ld, script_json
from app.storefront import read_only, reader
from app.urls import external_url, template_url_for


@bp.get("/products")
@read_only
def product_list():
    products = services.product_cards(reader())
    return render_template("catalog/list.html", products=products)


@bp.get("/products/<slug>")
@read_only
def product_detail(slug: str):
    try:
        product = get_product_page(reader(), slug=slug)
    except ProductNotFound:
        abort(404)
    variant = choose_variant(product, sku=request.args.get("variant"))
    page_url = external_url(template_url_for("catalog.product_detail", slug=product.slug))
    return render_template(
        "catalog/detail.html",
        product=product,
        selected=variant,
        canonical_url=page_url,
        json_ld=script_json(product_json_ld(product, page_url=page_url)),
    )
