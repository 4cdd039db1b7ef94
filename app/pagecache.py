"""The shared page cache: storefront pages that are the same bytes for every shopper, kept once
for all of them (docs/decisions.md, "A shared page cache").

- Which pages: the endpoints in CACHED_ENDPOINTS. They render in "shared" mode (`g.shared_page`):
  nothing of the visitor's in the HTML. The header's cart count, account links and the
  add-to-cart form's CSRF token come from `/shopper` through static/js/shopper.js.
- Where: Redis (REDIS_URL), shared by every process and server, else a dict in each process.
- Serving: WSGI middleware (ServeCachedPages) answers a hit before Flask sees the request: no
  query, session or user loaded; the stored gzip or brotli body when the client takes one; 304
  for a matching If-None-Match. Flask's hooks render and store a miss.
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
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import parse_qs

import brotli
import redis
from flask import Flask, Response, current_app, g, has_app_context, request, session
from sqlalchemy import event, inspect, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction
from werkzeug.exceptions import SecurityError
from werkzeug.http import parse_accept_header, parse_etags
from werkzeug.wsgi import get_host

from app.caching import shared_cache_control, shared_page_headers
from app.catalog.models import StockMovement, Variant, stock_status
from app.metrics import CACHE_LOOKUPS
from app.observability import REQUEST_ID_HEADER, announce_fallback, record_request, request_id_from

log = logging.getLogger(__name__)

CACHED_ENDPOINTS = frozenset({
    "core.home", "catalog.product_list", "catalog.product_detail",
    "content.article_list", "content.article_detail", "content.page",
})
# The only query argument a cached page reads (the product page's preselected variant; the page
# sends an unknown SKU, or a size and scent, to the one address of a real variant, so junk values
# are never stored); others, such as a campaign's utm_source, get the same page.
PAGE_ARGUMENTS = ("variant",)

# Tables whose rows the cached pages show: a commit that inserts, updates or deletes one empties
# the cache. Variants are handled apart (below), as most of their changes are stock.
SHOWN_ON_STOREFRONT = frozenset({
    "products", "product_images", "product_redirects", "variant_components",
    "articles", "article_products", "pages", "content_redirects", "home_page", "reviews",
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
    """Each process's own cache (no REDIS_URL): least recently used pages go first. A change made
    through one process cannot empty the others' copies, so each page stays at most
    `seconds` (PAGE_CACHE_LOCAL_SECONDS): exact for one process (`make run`), a few seconds
    stale at worst for several."""

    def __init__(self, seconds: int) -> None:
        self.description = f"in-process (no REDIS_URL): each process keeps its own copies, for {seconds} s at most"
        self.pages: OrderedDict[str, tuple[float, CachedPage]] = OrderedDict()
        self.lock = threading.Lock()
        self.seconds = seconds
        self.generation_number = 0
        self.stock_digest: str | None = None

    def get(self, key: str, encoding: str = "identity") -> tuple[str, bytes] | None:
        """The page's ETag and its body in this encoding (identity, gzip or br), if stored."""
        entry = self.pages.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        try:
            self.pages.move_to_end(key)
        except KeyError:  # emptied by another thread meanwhile; the page in hand is still whole
            pass
        page = entry[1]
        return page.etag, page.bodies[encoding]

    def generation(self) -> int:
        return self.generation_number

    def put(self, key: str, page: CachedPage, *, generation: int, seconds: int) -> None:
        with self.lock:
            if generation != self.generation_number:  # emptied while this page was rendered
                return
            self.pages[key] = (time.monotonic() + min(seconds, self.seconds), page)
            self.pages.move_to_end(key)
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

    def get(self, key: str, encoding: str = "identity") -> tuple[str, bytes] | None:
        """The page's ETag and its body in this encoding (identity, gzip or br), if stored: only
        the one body crosses the network."""
        etag, body = self.redis.hmget(self.page_prefix + key, ["etag", encoding])
        return None if etag is None else (etag.decode(), body)

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
    """Call before the WSGI middleware that fixes the request's address (ProxyFix) is added, so
    that the page cache's sees the same request as Flask; the hook that stores pages is
    registered by register_page_store, after the extensions'."""
    if not app.config["PAGE_CACHE_ENABLED"]:
        return
    url = app.config["REDIS_URL"]
    pages: Pages = (RedisPages(url, app.config["PAGE_CACHE_PREFIX"]) if url
                    else MemoryPages(app.config["PAGE_CACHE_LOCAL_SECONDS"]))
    app.extensions["page_cache"] = pages
    if url:
        app.logger.info("Page cache: %s.", pages.description)
    else:
        announce_fallback(app, "page cache", pages.description)
    app.wsgi_app = ServeCachedPages(app, pages)  # type: ignore[method-assign]
    app.before_request(prepare_shared_page)


def register_page_store(app: Flask) -> None:
    """After Flask-Compress's hook is registered: after_request hooks run last-registered first,
    so this one stores the page before it is compressed for this response."""
    if "page_cache" in app.extensions:
        app.after_request(store_page)
    app.after_request(mark_waiting_flashes)


def page_key(environ: dict) -> str:
    """The path, and the arguments in PAGE_ARGUMENTS, from the WSGI environ, as the middleware
    and Flask's hooks both see it."""
    path, query = environ.get("PATH_INFO") or "/", environ.get("QUERY_STRING", "")
    if not query:
        return path
    args = parse_qs(query)
    values = [f"{name}={args[name][0][:_MAX_ARGUMENT_LENGTH]}" for name in PAGE_ARGUMENTS if name in args]
    return path + ("?" + "&".join(values) if values else "")


_WAITING_FLASH = re.compile(rf"(?:^|;)\s*{FLASH_COOKIE}=")


class ServeCachedPages:
    """WSGI middleware that answers a request for a stored page before Flask sees it: no request
    context, session, user, hook or query; the stored gzip or brotli body when the client takes
    one; 304 for a matching If-None-Match. Anything else, and every miss, goes on to Flask, whose
    prepare_shared_page and store_page hooks render and store the page. Only paths that a cached
    endpoint's route can match are looked up (read from the URL map), so other pages cost no
    round trip to Redis."""

    def __init__(self, app: Flask, pages: Pages) -> None:
        self.app, self.wsgi_app, self.pages = app, app.wsgi_app, pages
        self.cache_control = shared_cache_control(app.config["PAGE_CACHE_SHARED_MAX_AGE"])
        self.routes: tuple[frozenset[str], tuple[str, ...]] | None = None

    def cacheable_paths(self) -> tuple[frozenset[str], tuple[str, ...]]:
        """Exact paths of the cached endpoints' fixed routes, and prefixes of those with arguments.
        Read at the first request, when every blueprint is registered."""
        if self.routes is None:
            rules = [rule.rule for rule in self.app.url_map.iter_rules() if rule.endpoint in CACHED_ENDPOINTS]
            self.routes = (frozenset(rule for rule in rules if "<" not in rule),
                           tuple(rule.split("<")[0] for rule in rules if "<" in rule))
        return self.routes

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        accepted = environ.get("HTTP_ACCEPT_ENCODING")
        encoding = (parse_accept_header(accepted).best_match(("br", "gzip")) if accepted else None) or "identity"
        page = self.lookup(environ, encoding)
        if page is None:
            return self.wsgi_app(environ, start_response)
        etag, body = page
        request_id = request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))
        headers = [("ETag", f'W/"{etag}"'), ("Cache-Control", self.cache_control), ("Vary", "Accept-Encoding"),
                   (REQUEST_ID_HEADER, request_id)]
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            status, body = 304, b""
            start_response("304 Not Modified", headers)
        else:
            status = 200
            headers += [("Content-Type", "text/html; charset=utf-8"), ("Content-Length", str(len(body)))]
            if encoding != "identity":
                headers.append(("Content-Encoding", encoding))
            start_response("200 OK", headers)
        record_request(endpoint="cached_page", method=environ["REQUEST_METHOD"], path=environ.get("PATH_INFO") or "/",
                       status=status, seconds=time.perf_counter() - started, request_id=request_id)
        return [] if environ["REQUEST_METHOD"] == "HEAD" or not body else [body]

    def lookup(self, environ, encoding: str) -> tuple[str, bytes] | None:
        if environ["REQUEST_METHOD"] not in ("GET", "HEAD") or _WAITING_FLASH.search(environ.get("HTTP_COOKIE", "")):
            return None
        path = environ.get("PATH_INFO") or "/"
        exact, prefixes = self.cacheable_paths()
        if path not in exact and not path.startswith(prefixes):
            return None
        trusted_hosts = self.app.config.get("TRUSTED_HOSTS")
        if trusted_hosts:
            try:
                get_host(environ, trusted_hosts)
            except SecurityError:
                return None  # Flask refuses it
        try:
            found = self.pages.get(page_key(environ), encoding)
        except redis.RedisError as error:
            log.error("Page cache unreachable, rendering %s: %s", path, error)
            found = None
        CACHE_LOOKUPS.labels("miss" if found is None else "hit").inc()
        return found


def prepare_shared_page() -> None:
    """A request the middleware did not answer, for a cached endpoint: rendered without the
    visitor's details (unless a message waits for them) and stored by store_page."""
    if request.endpoint not in CACHED_ENDPOINTS or request.method not in ("GET", "HEAD"):
        return
    if FLASH_COOKIE in request.cookies:
        return  # a message waits: rendered for this visitor alone (see module docstring)
    g.shared_page = True
    if request.method == "GET":
        try:
            g.page_cache = (page_key(request.environ), current_app.extensions["page_cache"].generation())
        except redis.RedisError as error:
            log.error("Page cache unreachable, %s not stored: %s", request.path, error)


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
    response.make_conditional(request)  # 304 for a matching If-None-Match
    return response


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
    if not session.info.get(_MOVED_STOCK):
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
        # Kept even when the cache is emptied anyway, so that the next comparison starts from what
        # pages now say. The first digest a cache sees empties it: it cannot know what they said.
        moved = digest is not None and pages.swap_stock_digest(digest) != digest
        if changed or moved:
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
