"""Home page and the machine-readable routes every shop needs."""
from flask import Response, current_app, jsonify, redirect, render_template, send_from_directory, url_for
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app import caching
from app.catalog.services import product_cards
from app.content.services import list_articles, list_pages
from app.core import bp
from app.core.services import home_page
from app.extensions import db
from app.storefront import read_only, reader


@bp.get("/")
@read_only
def home():
    products, articles = home_page(reader())
    return render_template("core/home.html", products=products, articles=articles)


@bp.get("/healthz")
def healthz():
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok")


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
