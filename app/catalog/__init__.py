"""The catalogue: products, variants, images and stock."""
from flask import Blueprint

bp = Blueprint("catalog", __name__)

from app.catalog import routes  # noqa: E402,F401  (routes attach themselves to bp)
