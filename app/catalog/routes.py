"""Storefront pages for the catalogue: the product list (a product's page is app.pages')."""
from flask import render_template

from app.catalog import bp, services
from app.storefront import read_only, reader


@bp.get("/products")
@read_only
def product_list():
    products = services.product_cards(reader())
    return render_template("catalog/list.html", products=products)
