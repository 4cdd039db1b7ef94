"""Site search over the catalogue and Learn articles: the index (index.py), the one search function
(services.py), its highlighted snippets (highlight.py) and the /search page.

A layer above the catalogue and content, which it reads; neither of them knows it exists: the
index follows their changes from the session's flushes (index.py).
"""
from flask import Blueprint

bp = Blueprint("search", __name__)

from app.search import index, routes  # noqa: E402,F401  (index: its flush hook keeps the index current)
