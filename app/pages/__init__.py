"""Storefront pages that show more than one package's data: a product's page, with its Learn reading.

Composed here, a layer above the catalogue and content, so that neither of those imports the
other (content links to products; only this layer puts articles on a product's page). The page
keeps the catalogue's address and endpoint: its route joins the catalogue's blueprint.
"""
from app.pages import routes  # noqa: F401  (the route attaches itself to the catalogue's blueprint)
