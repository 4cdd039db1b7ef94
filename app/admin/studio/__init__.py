"""The marketing studio's screens (under /admin/content) and its public share-preview page."""
from app.admin.studio import routes, routes_publish, routes_revisions  # noqa: F401
