"""Learn articles and information pages (shipping, returns, privacy, terms)."""
from flask import abort, render_template

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
        abort(404)
    return render_template("content/article.html", article=article, products=products)


@bp.get("/pages/<slug>")
@read_only
def page(slug: str):
    try:
        page = services.get_page(reader(), slug=slug)
    except services.ContentNotFound:
        abort(404)
    return render_template("content/page.html", page=page)
