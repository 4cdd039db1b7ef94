"""The shared page cache: storefront pages that are the same bytes for every shopper, kept once
for all of them (docs/decisions.md, "A shared page cache").

- Which pages: the endpoints in CACHED_ENDPOINTS. They render in "shared" mode (`g.shared_page`):
  nothing of the visitor's in the HTML. The header's cart count, account links and the
  add-to-cart form's CSRF token come from `/shopper` through static/js/shopper.js.
- Where: Redis (REDIS_URL), shared by every process and server, else a dict in each process.
- Serving: a before_request hook, registered first, answers a hit before any other hook runs:
  no query, no user loaded; the stored gzip or brotli body when the client takes one; 304 for a
  matching If-None-Match.
- A visitor with a message waiting (a flash, marked by the FLASH_COOKIE) gets the page
  rendered for them as before, not stored, so the message shows without JavaScript too.
- Invalidation, in one place: a commit that changed a row of a table in SHOWN_ON_STOREFRONT
  empties the cache; a commit that moved stock empties it only if what pages say of stock (a
  variant's "In stock", "Only 3 left", "Sold out") changed. A new table whose rows these pages
  show is one more line in SHOWN_ON_STOREFRONT.
"""
from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass

import brotli
import redis
from flask import Flask, Response, current_app, g, has_app_context, request, session
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from app.caching import shared_page_headers
from app.catalog.models import StockMovement, Variant, stock_status

log = logging.getLogger(__name__)

CACHED_ENDPOINTS = frozenset({
    "core.home", "catalog.product_list", "catalog.product_detail",
    "content.article_list", "content.article_detail", "content.page",
})
# The only query argument a cached page reads (the product page's preselected variant); others,
# such as a campaign's utm_source, get the same page.
PAGE_ARGUMENTS = ("variant",)

# Tables whose rows the cached pages show: a commit that inserts, updates or deletes one empties
# the cache. Variants are handled apart (below), as most of their changes are stock.
SHOWN_ON_STOREFRONT = frozenset({
    "products", "product_images", "product_redirects", "variant_components",
    "articles", "article_products", "pages",
})
# A variant's columns whose change alone does not alter a page, or alters it only through its
# stock label, which is compared instead.
VARIANT_STOCK_COLUMNS = frozenset({"stock_on_hand", "stock_reserved", "low_stock_threshold", "updated_at"})

FLASH_COOKIE = "flash"  # set while the session holds a message to show; its value means nothing
_MAX_MEMORY_PAGES = 2000
_MAX_ARGUMENT_LENGTH = 100


@dataclass(frozen=True, slots=True)
class CachedPage:
    etag: str
    bodies: dict[str, bytes]  # "identity", "gzip", "br"


def cached_page(body: bytes) -> CachedPage:
    return CachedPage(
        etag=hashlib.blake2b(body, digest_size=10).hexdigest(),
        bodies={"identity": body, "gzip": gzip.compress(body, 6), "br": brotli.compress(body, quality=5)},
    )


class MemoryPages:
    """Each process's own cache (no REDIS_URL): least recently used pages go first."""

    description = "in-process (no REDIS_URL): each process keeps its own copy"

    def __init__(self) -> None:
        self.pages: OrderedDict[str, CachedPage] = OrderedDict()
        self.lock = threading.Lock()
        self.generation_number = 0
        self.stock_digest: str | None = None

    def get(self, key: str) -> CachedPage | None:
        page = self.pages.get(key)
        if page is not None:
            self.pages.move_to_end(key)
        return page

    def generation(self) -> int:
        return self.generation_number

    def put(self, key: str, page: CachedPage, *, generation: int, seconds: int) -> None:
        with self.lock:
            if generation != self.generation_number:  # emptied while this page was rendered
                return
            self.pages[key] = page
            while len(self.pages) > _MAX_MEMORY_PAGES:
                self.pages.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.generation_number += 1
            self.pages.clear()

    def swap_stock_digest(self, digest: str) -> str | None:
        with self.lock:
            previous, self.stock_digest = self.stock_digest, digest
            return previous


# Each script runs atomically in Redis. One hash tag, so that every key sits in one cluster slot.
_PUT = """
if (redis.call('GET', KEYS[1]) or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[2], 'etag', ARGV[2], 'identity', ARGV[3], 'gzip', ARGV[4], 'br', ARGV[5])
redis.call('EXPIRE', KEYS[2], ARGV[6])
redis.call('SADD', KEYS[3], KEYS[2])
redis.call('EXPIRE', KEYS[3], ARGV[6])
return 1
"""
_CLEAR = """
redis.call('INCR', KEYS[1])
local keys = redis.call('SMEMBERS', KEYS[2])
for i = 1, #keys, 1000 do redis.call('DEL', unpack(keys, i, math.min(i + 999, #keys))) end
redis.call('DEL', KEYS[2])
return #keys
"""


class RedisPages:
    """One Redis hash per page, shared by every process and server; a set lists them, so that
    emptying the cache deletes them, and a generation number stops a page rendered before that
    from being stored after it. Every page also expires on its own (PAGE_CACHE_SECONDS)."""

    def __init__(self, url: str, prefix: str) -> None:
        self.redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self.description = f"Redis ({self.redis.connection_pool.connection_kwargs.get('host')}, "\
                           f"database {self.redis.connection_pool.connection_kwargs.get('db', 0)})"
        tag = "{" + prefix + "}"
        self.generation_key, self.index_key, self.stock_key = f"{tag}:generation", f"{tag}:pages", f"{tag}:stock"
        self.page_prefix = f"{tag}:page:"
        self._put = self.redis.register_script(_PUT)
        self._clear = self.redis.register_script(_CLEAR)

    def get(self, key: str) -> CachedPage | None:
        fields = self.redis.hgetall(self.page_prefix + key)
        if not fields:
            return None
        return CachedPage(etag=fields.pop(b"etag").decode(), bodies={name.decode(): body for name, body in fields.items()})

    def generation(self) -> int:
        return int(self.redis.get(self.generation_key) or 0)

    def put(self, key: str, page: CachedPage, *, generation: int, seconds: int) -> None:
        bodies = page.bodies
        self._put(keys=[self.generation_key, self.page_prefix + key, self.index_key],
                  args=[generation, page.etag, bodies["identity"], bodies["gzip"], bodies["br"], seconds])

    def clear(self) -> None:
        self._clear(keys=[self.generation_key, self.index_key])

    def swap_stock_digest(self, digest: str) -> str | None:
        previous = self.redis.set(self.stock_key, digest, get=True)
        return previous.decode() if previous is not None else None


Pages = MemoryPages | RedisPages


def pages_of(app: Flask) -> Pages | None:
    return app.extensions.get("page_cache")


def register_page_cache(app: Flask) -> None:
    """Call first in create_app, so that a hit is answered before every other hook; the hook
    that stores pages is registered by register_page_store, after the extensions'."""
    if not app.config["PAGE_CACHE_ENABLED"]:
        return
    url = app.config["REDIS_URL"]
    pages: Pages = RedisPages(url, app.config["PAGE_CACHE_PREFIX"]) if url else MemoryPages()
    app.extensions["page_cache"] = pages
    (app.logger.info if url else app.logger.warning)("Page cache: %s.", pages.description)
    app.before_request(serve_cached_page)


def register_page_store(app: Flask) -> None:
    """After Flask-Compress's hook is registered: after_request hooks run last-registered first,
    so this one stores the page before it is compressed for this response."""
    if "page_cache" in app.extensions:
        app.after_request(store_page)
    app.after_request(mark_waiting_flashes)


def page_key(path: str, args) -> str:
    values = [f"{name}={args[name][:_MAX_ARGUMENT_LENGTH]}" for name in PAGE_ARGUMENTS if name in args]
    return path + ("?" + "&".join(values) if values else "")


def serve_cached_page() -> Response | None:
    if request.endpoint not in CACHED_ENDPOINTS or request.method not in ("GET", "HEAD"):
        return None
    if FLASH_COOKIE in request.cookies:
        return None  # a message waits: rendered for this visitor alone (see module docstring)
    g.shared_page = True  # rendered without the visitor's details, hit or miss
    pages: Pages = current_app.extensions["page_cache"]
    key = page_key(request.path, request.args)
    try:
        page = pages.get(key)
        if page is None:
            g.page_cache = (key, pages.generation())
            return None
    except redis.RedisError as error:
        log.error("Page cache unreachable, rendering %s: %s", key, error)
        return None
    if request.if_none_match.contains_weak(page.etag):
        response = current_app.response_class(status=304)
    else:
        encoding = request.accept_encodings.best_match(("br", "gzip")) if "Accept-Encoding" in request.headers else None
        response = current_app.response_class(page.bodies[encoding or "identity"], mimetype="text/html")
        if encoding:
            response.headers["Content-Encoding"] = encoding
    response.set_etag(page.etag, weak=True)
    shared_page_headers(response, current_app.config["PAGE_CACHE_SHARED_MAX_AGE"])
    return response


def store_page(response: Response) -> Response:
    pending = g.pop("page_cache", None)
    if (pending is None or request.method != "GET" or response.status_code != 200
            or response.direct_passthrough or response.mimetype != "text/html"):
        return response
    key, generation = pending
    page = cached_page(response.get_data())
    try:
        pages_of(current_app).put(key, page, generation=generation,  # type: ignore[union-attr]
                                  seconds=current_app.config["PAGE_CACHE_SECONDS"])
    except redis.RedisError as error:
        log.error("Page cache unreachable, %s not stored: %s", key, error)
    response.set_etag(page.etag, weak=True)
    shared_page_headers(response, current_app.config["PAGE_CACHE_SHARED_MAX_AGE"])
    return response.make_conditional(request)


def mark_waiting_flashes(response: Response) -> Response:
    """Keep FLASH_COOKIE set exactly while the session holds a message: a request that flashed
    or showed one modified the session, so only those are looked at."""
    if session.modified:
        if session.get("_flashes"):
            response.set_cookie(FLASH_COOKIE, "1", httponly=True, samesite="Lax",
                                secure=current_app.config["SESSION_COOKIE_SECURE"])
        elif FLASH_COOKIE in request.cookies:
            response.delete_cookie(FLASH_COOKIE)
    return response


# Invalidation ------------------------------------------------------------------------------------

_CHANGED_PAGES, _MOVED_STOCK, _STOCK_DIGEST = "page_cache_changed", "page_cache_moved_stock", "page_cache_stock"


def _table_of(instance) -> str | None:
    table = getattr(type(instance), "__table__", None)
    return getattr(table, "name", None)


@event.listens_for(Session, "before_flush")
def _note_changes(session: Session, _flush_context: UOWTransaction, _instances) -> None:
    dirty = [instance for instance in session.dirty if session.is_modified(instance)]
    for instance in (*session.new, *dirty, *session.deleted):
        table = _table_of(instance)
        if table in SHOWN_ON_STOREFRONT:
            session.info[_CHANGED_PAGES] = True
        elif isinstance(instance, StockMovement):
            session.info[_MOVED_STOCK] = True
        elif isinstance(instance, Variant):
            state = inspect(instance)
            if not (state.pending or instance in session.deleted):
                changed = {attr.key for attr in state.attrs if attr.history.has_changes()}
                if not changed or changed <= VARIANT_STOCK_COLUMNS:
                    session.info[_MOVED_STOCK] = True
                    continue
            session.info[_CHANGED_PAGES] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state: ORMExecuteState) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name in SHOWN_ON_STOREFRONT:
        state.session.info[_CHANGED_PAGES] = True
    elif name == "variants":  # the stock module's and the threshold's UPDATEs
        state.session.info[_MOVED_STOCK] = True


_STOCK_LABELS = select(Variant.id, Variant.stock_available, Variant.low_stock_threshold).where(
    Variant.is_active.is_(True)).order_by(Variant.id)


@event.listens_for(Session, "before_commit")
def _read_stock_labels(session: Session) -> None:
    """What pages say of every variant's stock, as this commit leaves it: read before the
    commit, while the session may still query."""
    if _cache() is None:
        return
    session.flush()  # so that what is pending has been noted by _note_changes
    if not session.info.get(_MOVED_STOCK) or session.info.get(_CHANGED_PAGES):
        return
    labels = ",".join(f"{row.id}:{stock_status(row.stock_available, row.low_stock_threshold)[0]}"
                      for row in session.execute(_STOCK_LABELS))
    session.info[_STOCK_DIGEST] = hashlib.blake2b(labels.encode(), digest_size=16).hexdigest()


@event.listens_for(Session, "after_commit")
def _invalidate(session: Session) -> None:
    changed, digest = session.info.pop(_CHANGED_PAGES, False), session.info.pop(_STOCK_DIGEST, None)
    session.info.pop(_MOVED_STOCK, None)
    pages = _cache()
    if pages is None or not (changed or digest):
        return
    try:
        # The first digest a process sees empties the cache too: it cannot know what pages showed.
        if changed or pages.swap_stock_digest(digest) != digest:  # type: ignore[arg-type]
            pages.clear()
    except redis.RedisError as error:  # pages expire on their own (PAGE_CACHE_SECONDS)
        log.error("Page cache unreachable, not emptied after a change: %s", error)


@event.listens_for(Session, "after_transaction_end")
def _forget_changes(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction, committed (handled above) or rolled back
        for key in (_CHANGED_PAGES, _MOVED_STOCK, _STOCK_DIGEST):
            session.info.pop(key, None)


def _cache() -> Pages | None:
    return pages_of(current_app) if has_app_context() else None
