"""Who may keep a copy of a response, and for how long: the shop's Cache-Control headers.

- Storefront pages kept by the shared page cache (app.pagecache) hold nothing of the visitor's:
  `public, max-age=0, s-maxage=N` with an ETag, so a CDN may keep them for N seconds and a
  browser asks again each time (If-None-Match, answered 304 while the page is unchanged).
- Every other page's header shows the visitor's cart count and whether they are signed in, so no
  such page may sit in a shared cache (a CDN, a company proxy): by default a response is `private,
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
import os
from pathlib import Path
from urllib.parse import parse_qs

from flask import Blueprint, Flask, Response
from whitenoise import WhiteNoise

DEFAULT = "private, no-cache"
PERSONAL = "private, no-store"
ONE_YEAR = 60 * 60 * 24 * 365

_fingerprints: dict[Path, str] = {}


def shared_cache_control(shared_max_age: int) -> str:
    """For a page that is the same for every visitor (app.pagecache)."""
    return f"public, max-age=0, s-maxage={shared_max_age}"


def shared_page_headers(response: Response, shared_max_age: int) -> None:
    response.headers["Cache-Control"] = shared_cache_control(shared_max_age)
    response.headers["Vary"] = "Accept-Encoding"


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


def keep_shareable(headers: list[tuple[str, str]]) -> None:
    """Final headers of a page marked for shared caches (WSGI, after Flask's own): Flask adds
    `Vary: Cookie` whenever anything looked at the session, as Flask-Login does on every
    request, though such a page's bytes never depend on it; and one that sets a cookie (the
    visitor's own) must not be shared at all."""
    if any(name.lower() == "set-cookie" for name, _value in headers):
        headers[:] = [(name, value) for name, value in headers if name.lower() != "cache-control"]
        headers.append(("Cache-Control", DEFAULT))
        return
    for index, (name, value) in enumerate(headers):
        if name.lower() == "vary":
            kept = ", ".join(part for part in (v.strip() for v in value.split(",")) if part.lower() != "cookie")
            headers[index] = (name, kept or "Accept-Encoding")


def cache_fingerprinted(app: Flask, response: Response, filename: str, fingerprint: str | None) -> Response:
    """A static file asked for under its current fingerprint: cached for a year, unchanged."""
    if (not app.debug and response.status_code in (200, 304) and fingerprint
            and fingerprint == static_fingerprint(app.static_folder or "", filename)):
        response.cache_control.no_cache = None
        response.cache_control.public = True
        response.cache_control.max_age = ONE_YEAR
        response.cache_control.immutable = True
    return response


class FingerprintedStatic:
    """WSGI middleware for production: WhiteNoise serves static/, with the .gz and .br copies
    that `make static` writes beside each file (`python -m whitenoise.compress static`) to
    clients that accept them. Under the file's current fingerprint (?v=) it is kept for good
    (immutable); under any other URL a browser checks each time, as Flask's own serving does.
    The files are listed once at start-up, as WhiteNoise does without autorefresh."""

    PREFIX = "/static/"

    def __init__(self, wsgi_app, folder: str) -> None:
        self.wsgi_app, self.folder = wsgi_app, folder
        self.files = {str(Path(root, name).relative_to(folder)) for root, _dirs, names in os.walk(folder) for name in names}
        self.kept = WhiteNoise(wsgi_app, root=folder, prefix="static/", max_age=ONE_YEAR,
                               immutable_file_test=lambda _path, _url: True)
        self.checked = WhiteNoise(wsgi_app, root=folder, prefix="static/", max_age=0)

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.PREFIX):
            return self.wsgi_app(environ, start_response)
        filename = path[len(self.PREFIX):]
        version = parse_qs(environ.get("QUERY_STRING", "")).get("v", [""])[0]
        if filename in self.files and version and version == static_fingerprint(self.folder, filename):
            return self.kept(environ, start_response)
        return self.checked(environ, start_response)


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
