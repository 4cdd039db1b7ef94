"""The application factory: reads like a table of contents of the shop."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request
from werkzeug.middleware.proxy_fix import ProxyFix

from app.caching import FingerprintedStatic, cache_fingerprinted
from config import Config, config_from_environment


def create_app(config: type[Config] | None = None) -> Flask:
    config = config or config_from_environment()
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(config)
    config.init_app(app)
    pin_public_address(app)
    register_page_cache(app)  # its middleware answers a cached page before Flask sees the request
    if app.config["SHOP_URL"]:
        app.wsgi_app = PublicScheme(app.wsgi_app, app.config["PREFERRED_URL_SCHEME"])  # type: ignore[method-assign]
    if app.config["TRUSTED_PROXY_COUNT"]:
        hops = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    register_observability(app)  # first, so its request id and timer see every other hook
    register_extensions(app)
    register_page_store(app)
    register_input_boundary(app)
    register_blueprints(app)
    register_static_caching(app)
    register_template_helpers(app)
    register_error_handlers(app)
    register_security_headers(app)
    register_commands(app)
    register_shared_macros(app)
    register_jobs(app)
    return app


class PublicScheme:
    """WSGI middleware: with SHOP_URL set, requests are taken to have come in its scheme, so
    external URLs (reset links, Stripe's return pages) are https even behind a TLS-terminating
    proxy that does not say so (TRUSTED_PROXY_COUNT unset)."""

    def __init__(self, wsgi_app, scheme: str) -> None:
        self.wsgi_app, self.scheme = wsgi_app, scheme

    def __call__(self, environ, start_response):
        environ["wsgi.url_scheme"] = self.scheme
        return self.wsgi_app(environ, start_response)


def register_static_caching(app: Flask) -> None:
    """A static file asked for under its current fingerprint (?v=) is cached for a year; in
    production WhiteNoise serves them, with their gzip and brotli copies (app.caching)."""
    if app.config["STATIC_FILES_WHITENOISE"]:
        app.wsgi_app = FingerprintedStatic(app.wsgi_app, app.static_folder or "")  # type: ignore[method-assign]

    @app.after_request
    def cache_static_file(response):
        if request.endpoint == "static" and request.view_args:
            return cache_fingerprinted(app, response, request.view_args["filename"], request.args.get("v"))
        return response


_DEFAULT_PORTS = {"http": 80, "https": 443}


def pin_public_address(app: Flask) -> None:
    """With SHOP_URL set, external URLs use it and other Host headers are refused (see config.py)."""
    if not app.config["SHOP_URL"]:
        return
    address = urlsplit(app.config["SHOP_URL"])
    # A host name or IPv4 address: Werkzeug's trusted-host check cannot match an IPv6 one.
    if (address.scheme not in _DEFAULT_PORTS or not address.hostname or ":" in address.hostname
            or address.username or address.path not in ("", "/") or address.query or address.fragment):
        raise RuntimeError(f"SHOP_URL must look like https://shop.example.com, not {app.config['SHOP_URL']!r}")
    try:
        host = address.hostname.encode("idna").decode("ascii")  # as url_for writes it
    except UnicodeError:
        raise RuntimeError(f"SHOP_URL has a host name that cannot be a domain: {app.config['SHOP_URL']!r}") from None
    keeps_port = address.port and address.port != _DEFAULT_PORTS[address.scheme]
    app.config["SERVER_NAME"] = f"{host}:{address.port}" if keeps_port else host
    app.config["PREFERRED_URL_SCHEME"] = address.scheme
    app.config["TRUSTED_HOSTS"] = [host, *app.config["EXTRA_HOSTS"]]


def register_page_cache(app: Flask) -> None:
    from app.pagecache import register_page_cache as register

    register(app)


def register_page_store(app: Flask) -> None:
    from app.pagecache import register_page_store as register

    register(app)


def register_extensions(app: Flask) -> None:
    from app import models  # noqa: F401  (every table known before the first query or migration)
    from app.accounts.protection import load_signed_in_user
    from app.db import configure_sqlite
    from app.extensions import compress, csrf, db, limiter, login_manager, migrate
    from app.storefront import reads_bind

    app.config["SQLALCHEMY_BINDS"] = {**app.config.get("SQLALCHEMY_BINDS", {}), **reads_bind(app.config)}
    db.init_app(app)
    with app.app_context():
        configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.user_loader(load_signed_in_user)
    limiter.init_app(app)
    compress.init_app(app)


def register_observability(app: Flask) -> None:
    from app.observability import register_observability as register

    register(app)


def register_input_boundary(app: Flask) -> None:
    from app.inputs import register_input_boundary as register

    register(app)


def register_blueprints(app: Flask) -> None:
    from app.accounts import bp as accounts_bp
    from app.admin import bp as admin_bp
    from app.cart import bp as cart_bp
    from app.catalog import bp as catalog_bp
    from app.checkout import bp as checkout_bp
    from app.contact import bp as contact_bp
    from app.content import bp as content_bp
    from app.core import bp as core_bp
    from app.payments import bp as payments_bp
    from app.search import bp as search_bp
    from app.reviews import bp as reviews_bp
    from app import pages  # noqa: F401  (a product's page joins the catalogue's blueprint)

    for blueprint in (core_bp, catalog_bp, cart_bp, checkout_bp, payments_bp, content_bp, accounts_bp,
                      contact_bp, search_bp, reviews_bp):
        app.register_blueprint(blueprint)
    app.register_blueprint(admin_bp, url_prefix="/admin")
    from app.admin.shared_preview import bp as shared_preview_bp

    app.register_blueprint(shared_preview_bp)


def register_template_helpers(app: Flask) -> None:
    from app.catalog.images import image_urls, srcsets
    from app.dates import register_date_filters
    from app.money import register_money_filter
    from app.urls import EndpointUrls, SlugUrls, StaticUrls, external_url

    register_money_filter(app)
    register_date_filters(app)
    app.jinja_env.globals.update(
        urls=EndpointUrls(), static_urls=StaticUrls(),
        product_urls=SlugUrls("catalog.product_detail"), article_urls=SlugUrls("content.article_detail"),
        page_urls=SlugUrls("content.page"), image_urls=image_urls, external_url=external_url,
        image_srcsets=srcsets,
    )
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True


def register_shared_macros(app: Flask) -> None:
    """The storefront's card grids and disclaimer as template globals: an {% import %} is run
    again on every render. Last, as a macro module sees only the globals that exist when it is
    built (and, in development, edits to these files need a restart)."""
    from jinja2.runtime import Macro

    for macros in ("_macros/products.html", "_macros/content.html"):
        module = app.jinja_env.get_template(macros).module
        app.jinja_env.globals.update({name: macro for name, macro in vars(module).items() if isinstance(macro, Macro)})


def register_error_handlers(app: Flask) -> None:
    from app.errors import register_error_handlers as register

    register(app)


def register_security_headers(app: Flask) -> None:
    from app.security import register_security_headers as register

    register(app)


def register_jobs(app: Flask) -> None:
    """Background jobs (mail among them) start only after the transaction that asked for them
    commits: queued to RQ by the commit, or, without Redis, run when the request returns (app.jobs)."""
    from app.extensions import db
    from app.jobs.queue import register_jobs as register
    from app.jobs.queue import run_committed_jobs

    register(app)

    @app.after_request
    def run_jobs_of_this_request(response):
        if db.session.registry.has():  # a page that never opened a session asked for nothing
            run_committed_jobs(db.session)
        return response


def register_commands(app: Flask) -> None:
    from app.cli import register_commands as register

    register(app)
