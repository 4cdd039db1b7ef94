"""URL building for templates, memoised: every page builds the same few dozen URLs per request."""
from __future__ import annotations

from functools import lru_cache

from flask import url_for


@lru_cache(maxsize=8192)
def _build(endpoint: str, values: tuple) -> str:
    return url_for(endpoint, **dict(values))


def template_url_for(endpoint: str, **values) -> str:
    """url_for for templates.

    A relative URL depends only on its arguments and where the app is mounted, which is fixed
    for a process; external ones (`_external=True`) depend on the host asked for, and
    blueprint-relative endpoints on the current blueprint, so neither is remembered.
    """
    if endpoint.startswith(".") or any(key.startswith("_") for key in values):
        return url_for(endpoint, **values)
    try:
        return _build(endpoint, tuple(sorted(values.items())))
    except TypeError:  # an argument that cannot be a cache key
        return url_for(endpoint, **values)
