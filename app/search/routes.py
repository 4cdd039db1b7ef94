"""/search: a plain GET form's results, so it works without JavaScript."""
from flask import render_template, request

from app.search import bp, services
from app.storefront import read_only, reader


@bp.get("/search")
@read_only
def search():
    outcome = services.search(reader(), query=request.args.get("q", ""))
    return render_template("search/results.html", outcome=outcome)
