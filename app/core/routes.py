"""Home page and the machine-readable routes every shop needs."""
import hmac

from flask import Response, abort, current_app, jsonify, redirect, render_template, request, send_from_directory, url_for

from app import caching
from app.catalog.services import product_cards
from app.content.services import list_articles, list_pages
from app.core import bp
from app.core.services import home_page
from app.extensions import db
from app.metrics import exposition
from app.observability import readiness
from app.storefront import read_only, reader


@bp.get("/")
@read_only
def home():
    hero, products, articles = home_page(reader())
    return render_template("core/home.html", hero=hero, products=products, articles=articles)


@bp.get("/healthz")
def healthz():
    """The process answers: a load balancer restarts it if not. Nothing else is checked, so a
    database outage does not get every app server restarted (that is /readyz's question)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """May this server take traffic: the database (and Redis, if used) answer in time."""
    checks = readiness(db.engine, current_app.config["REDIS_URL"],
                       timeout=current_app.config["READINESS_TIMEOUT_SECONDS"])
    ready = all(result == "ok" for result in checks.values())
    return jsonify(status="ok" if ready else "unavailable", **checks), 200 if ready else 503


@bp.get("/metrics")
def metrics():
    """Prometheus metrics, for trusted addresses or the bearer of METRICS_TOKEN only."""
    config = current_app.config
    token = config["METRICS_TOKEN"]
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ")
    # Through a proxy the app was not told to trust (TRUSTED_PROXY_COUNT=0), the address is the
    # proxy's own, often 127.0.0.1: it says nothing of who asks.
    untold_proxy = "X-Forwarded-For" in request.headers and not config["TRUSTED_PROXY_COUNT"]
    trusted_address = request.remote_addr in config["METRICS_ALLOWED_ADDRESSES"] and not untold_proxy
    if not trusted_address and not (token and hmac.compare_digest(bearer.encode(), token.encode())):
        abort(403)
    return Response(exposition(config["PROMETHEUS_MULTIPROC_DIR"]),
                    mimetype="text/plain; version=0.0.4; charset=utf-8")


@bp.get("/sitemap.xml")
@read_only
def sitemap():
    source = reader()
    urls = [url_for("core.home", _external=True), url_for("catalog.product_list", _external=True)]
    urls += [url_for("catalog.product_detail", slug=p.slug, _external=True) for p in product_cards(source)]
    urls.append(url_for("content.article_list", _external=True))
    urls += [url_for("content.article_detail", slug=a.slug, _external=True) for a in list_articles(source)]
    urls += [url_for("content.page", slug=p.slug, _external=True) for p in list_pages(source)]
    body = render_template("core/sitemap.xml", urls=urls)
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    # The cart stays crawlable (an empty cart is harmless); checkout, accounts and admin are not, nor
    # search results (endless query variations of pages already in the sitemap).
    lines = ["User-agent: *", "Disallow: /checkout", "Disallow: /account", "Disallow: /admin", "Disallow: /search",
             f"Sitemap: {url_for('core.sitemap', _external=True)}"]
    return Response("\n".join(lines) + "\n", mimetype="text/plain")


@bp.get("/favicon.ico")
def favicon():
    """Browsers and crawlers ask here whatever the page's <link rel="icon"> says."""
    return redirect(url_for("static", filename="img/favicon.svg"), 301)


@bp.get("/media/<path:filename>")
def media(filename: str):
    """Staff-uploaded images (decoded and cleaned when uploaded, app.catalog.images). Each file is
    named by a digest of its upload and never rewritten, so browsers and CDNs may keep it for good."""
    response = send_from_directory(current_app.config["UPLOAD_FOLDER"], filename, max_age=caching.ONE_YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response
