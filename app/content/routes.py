"""Learn articles and information pages (shipping, returns, privacy, terms)."""
from flask import abort, redirect, render_template, url_for

from app.content import bp, services
from app.storefront import read_only, reader


@bp.get("/learn")
@read_only
def article_list():
    return render_template("content/list.html", articles=services.list_articles(reader()))


@bp.get("/learn/<slug>")
@read_only
def article_detail(slug: str):
    try:
        article, products = services.get_article(reader(), slug=slug)
    except services.ContentNotFound:
        return _moved_or_not_found("article", "content.article_detail", slug)
    return render_template("content/article.html", article=article, products=products)


@bp.get("/pages/<slug>")
@read_only
def page(slug: str):
    try:
        page = services.get_page(reader(), slug=slug)
    except services.ContentNotFound:
        return _moved_or_not_found("page", "content.page", slug)
    return render_template("content/page.html", page=page)


def _moved_or_not_found(kind: str, endpoint: str, slug: str):
    """An old slug answers 301 to the current address (as a product's does); anything else 404.
    An unpublished article's old address still ends in its 404."""
    current = services.moved_slug(reader(), kind=kind, slug=slug)
    if current is None:
        abort(404)
    response = redirect(url_for(endpoint, slug=current), code=301)
    response.cache_control.max_age = 86400  # see app.pages.routes: a slug may be taken back
    response.cache_control.private = True
    return response
