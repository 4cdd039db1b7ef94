"""Styled error pages, and a clear message instead of a bare 400 when a form's token is stale."""
from urllib.parse import quote

from flask import Flask, Response, current_app, g, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, SecurityError

from app.extensions import db, login_manager
from app.urls import with_this_query

MESSAGES = {
    400: ("Something in that request was not right", "Please go back and try again."),
    403: ("You can't open this page", "Your account does not have access to it."),
    404: ("We can't find that page", "It may have moved, or the link may be mistyped."),
    405: ("That doesn't work here", "This address does not accept that kind of request."),
    413: ("That file is too large", "Uploads can be at most 10 MB. Please choose a smaller file."),
    429: ("Too many tries", "Please wait a minute and try again."),
    500: ("Something went wrong on our side", "We have been told. Please try again shortly."),
}


def _render_error(code: int, title: str, message: str):
    return render_template("errors/error.html", code=code, title=title, message=message), code


PATH_CHARACTERS = "/-._~!$&'()*+,;=:@"  # RFC 3986's characters of a path, left as they are
# Pages found by a slug, which staff can only write in lower case.
SLUG_PAGES = frozenset({"catalog.product_detail", "content.article_detail", "content.page"})


def _tidied_address() -> str | None:
    """For a GET that found no page, as a mistyped or hand-shortened link would: the address
    without a trailing slash (`/products/`), and with a slug in lower case
    (`/products/Magnesium-Body-Cream`), when that is a page; the query is kept."""
    path = request.path
    tidied = path.rstrip("/")
    # "//host" would be read as another site: a missing page is all such a path gets.
    if request.method not in ("GET", "HEAD") or not tidied or tidied.startswith("//"):
        return None
    try:
        endpoint, _values = current_app.create_url_adapter(request).match(tidied, method=request.method)
    except HTTPException:  # no such page (or a redirect of its own): keep the 404
        return None
    if endpoint in SLUG_PAGES:
        tidied = tidied.lower()
    if tidied == path:
        return None
    # The path arrives decoded: encoded again, "%3F" stays part of it instead of starting a query,
    # and a "%0D%0A" cannot end the Location header.
    return with_this_query(request.script_root + quote(tidied, safe=PATH_CHARACTERS))


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError):
        return _render_error(
            400,
            "This form has expired",
            "For your security each form can only be sent from this site, while you are on it. "
            "Please go back, reload the page and try again. Nothing was changed.",
        )

    @app.errorhandler(SecurityError)
    def _unknown_host(error: SecurityError):
        # A Host header outside SHOP_URL and EXTRA_HOSTS: no URL can be built for it, so no page.
        return Response("Unknown host.\n", status=400, mimetype="text/plain")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if error.code not in MESSAGES:
            return error
        if error.code == 404 and (tidied := _tidied_address()):
            return redirect(tidied, 301)
        title, message = MESSAGES[error.code]
        return _render_error(error.code, title, message)

    @app.errorhandler(500)
    def _server_error(error):
        db.session.rollback()
        # The database may be why we are here, so the page's header must not query it: no cart
        # count, and the visitor shown as signed out rather than loaded again.
        g.cart_item_count = 0
        app.logger.error("Unhandled error on %s %s", request.method, request.path, exc_info=error)
        title, message = MESSAGES[500]
        # Rendered straight from Jinja's environment: render_template would run Flask-Login's
        # context processor, which loads the signed-in user from the database.
        page = current_app.jinja_env.get_template("errors/error.html").render(
            code=500, title=title, message=message, current_user=login_manager.anonymous_user())
        return page, 500
