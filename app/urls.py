"""URLs for templates, kept in dicts: every page builds the same few dozen URLs per request.

Templates write a URL that takes no arguments as `urls['cart.view']`, a static file's as
`static_urls['css/site.css']`, a product's, article's or information page's by slug as
`product_urls[card.slug]`, `article_urls[...]` or `page_urls['shipping']`, an image's as
`image_urls[path]` (app.catalog.images), and any other with Flask's own `url_for`. Each dict
calls url_for the first time a key is asked for.
"""
from __future__ import annotations

from urllib.parse import quote_from_bytes

from flask import current_app, has_request_context, request, url_for
from werkzeug.routing import BuildError

from app.caching import static_fingerprint

_MAX_REMEMBERED_PER_DICT = 4096  # a renamed product or replaced image leaves its old key behind


def _can_remember(endpoint: str, values: dict) -> bool:
    """Only relative URLs built in a request hold for the process: outside one url_for builds
    absolute URLs, `_external` ones depend on the host asked for, and blueprint-relative names
    on the current blueprint."""
    return has_request_context() and not endpoint.startswith(".") and not any(name.startswith("_") for name in values)


def external_url(path: str) -> str:
    """A path from the helpers here as the absolute URL url_for(..., _external=True) would make:
    on SHOP_URL's address when it is set, else on the one the request came to. Without building
    the route again, which cost a product page 3% of its time."""
    config = current_app.config
    if config["SHOP_URL"]:  # pinned by app.pin_public_address
        return f"{config['PREFERRED_URL_SCHEME']}://{config['SERVER_NAME']}{path}"
    return request.host_url.rstrip("/") + path


class EndpointUrls(dict):
    """The URL of each endpoint that takes no arguments, built the first time a template asks.

    Like the memo above, this holds for a process because the shop is mounted in one place."""

    def __missing__(self, endpoint: str) -> str:
        return remember_url(self, endpoint, endpoint)


class StaticUrls(dict):
    """The URL of each static file, built the first time a template asks."""

    def __missing__(self, filename: str) -> str:
        return remember_url(self, filename, "static", **static_url_values(filename))


class SlugUrls(dict):
    """The URL of each page of one endpoint that takes a slug, built the first time a template
    asks: a grid of cards builds one per card, and a url_for call cost a card a third of its time."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self.endpoint = endpoint

    def __missing__(self, slug: str) -> str:
        return remember_url(self, slug, self.endpoint, slug=slug)


# Left as sent in a query: its own delimiters, and the %-escapes a browser already made.
_QUERY_CHARACTERS = "/?:@!$&'()*+,;=-._~%"


def with_this_query(location: str) -> str:
    """location, followed by this request's query string as the browser sent it, for a redirect
    that must keep it (?variant=SKU); a byte a browser would have escaped is escaped."""
    query = quote_from_bytes(request.query_string, safe=_QUERY_CHARACTERS)
    return f"{location}?{query}" if query else location


def static_url_values(filename: str) -> dict[str, str]:
    """url_for's values for a static file: its name, and its content's fingerprint as `v`, so
    that browsers may keep it for a year (app.caching) and a changed file gets a new URL."""
    fingerprint = static_fingerprint(current_app.static_folder or "", filename)
    return {"filename": filename, "v": fingerprint} if fingerprint else {"filename": filename}


def remember_url(urls: dict, key: str, endpoint: str, **values) -> str:
    """url_for(endpoint, **values), kept in urls under key when it holds for the process."""
    try:
        url = url_for(endpoint, **values)
    except BuildError as error:
        # A BuildError is a LookupError, which Jinja would quietly turn into an empty link.
        raise RuntimeError(f"No URL for {key!r}: {error}") from error
    if _can_remember(endpoint, values):
        if len(urls) >= _MAX_REMEMBERED_PER_DICT:
            urls.clear()
        urls[key] = url
    return url
