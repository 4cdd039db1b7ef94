"""The catalogue: products, variants, images and stock."""
from flask import Blueprint

bp = Blueprint("catalog", __name__)

from app.catalog import routes  # noqa: E402,F401  (routes attach themselves to bp)
from app.catalog.images import image_url  # noqa: E402

bp.add_app_template_global(image_url)
