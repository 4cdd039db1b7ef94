"""Who may keep a copy of a response, and for how long: the shop's Cache-Control headers.

- Every page's header shows the visitor's cart count and whether they are signed in, so no page
  may sit in a shared cache (a CDN, a company proxy): by default a response is `private,
  no-cache`, which a browser may keep for its back button but must check before reusing.
- Pages that hold a shopper's or a customer's details (cart, checkout, account, the test payment
  page, the contact form, staff screens) are `no-store`: not written to disk, not shown again from the back button
  after signing out on a shared computer; and, but for the cart, `noindex` for search engines.
- Static files are linked with a fingerprint of their content (`?v=`, app.urls.static_url_values),
  so a new version has a new URL: a request carrying the current fingerprint is cached for a year
  as immutable. Development keeps Flask's `no-cache`, as files change there without a restart.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, Flask, Response

DEFAULT = "private, no-cache"
PERSONAL = "private, no-store"
ONE_YEAR = 60 * 60 * 24 * 365

_fingerprints: dict[Path, str] = {}


def static_fingerprint(folder: str, filename: str) -> str:
    """A short digest of a static file's content, read once per process; "" if there is no file."""
    path = Path(folder, filename)
    try:
        return _fingerprints[path]
    except KeyError:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        except OSError:  # a missing file (or folder) gets no fingerprint, and its URL a 404
            return ""
        _fingerprints[path] = digest
        return digest


def cache_fingerprinted(app: Flask, response: Response, filename: str, fingerprint: str | None) -> Response:
    """A static file asked for under its current fingerprint: cached for a year, unchanged."""
    if (not app.debug and response.status_code in (200, 304) and fingerprint
            and fingerprint == static_fingerprint(app.static_folder or "", filename)):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    return response


def keep_no_copies(blueprint: Blueprint, *, indexable: bool = False) -> None:
    """Mark every response of a blueprint whose pages hold personal details as not to be stored
    and, unless indexable, not to be indexed."""
    blueprint.after_request(_no_store if indexable else _no_store_nor_index)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = PERSONAL
    return response


def _no_store_nor_index(response: Response) -> Response:
    response.headers["X-Robots-Tag"] = "noindex"
    return _no_store(response)
