"""The one input boundary: what a request may carry before any view or query sees it."""
from __future__ import annotations

import re

from flask import Flask, abort, current_app, render_template, request
from sqlalchemy.exc import DataError
from werkzeug.routing import IntegerConverter

from app.extensions import db

# PostgreSQL's INTEGER, the type of every id, count and money column here (SQLite's is wider).
DATABASE_INT_MAX = 2**31 - 1
MAX_PAGE = 100_000
MAX_QUERY_BYTES = 4096

# NUL ends a string in C and PostgreSQL refuses it; the other C0 controls (and DEL) have no
# business in an address or a query, and CR/LF there can split a header.
_CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f]")
_ESCAPED_CONTROL = re.compile(rb"%(?:[01][0-9a-fA-F]|7[fF])|[\x00-\x1f\x7f]")
# A textarea sends tab, CR and LF; nothing a person types sends the rest.
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class DatabaseIntegerConverter(IntegerConverter):
    """`<int:...>` that matches only what fits an INTEGER column: a bigger id is a 404, not a
    database error."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 (werkzeug's names)
                 max: int | None = DATABASE_INT_MAX, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def has_control_characters(text: str, *, multiline: bool = True) -> bool:
    return bool((_CONTROL_IN_TEXT if multiline else _CONTROL_IN_URL).search(text))


def page_number(text: str) -> int:
    """For request.args.get(..., type=page_number): a ValueError gives the default."""
    number = int(text)
    if not 1 <= number <= MAX_PAGE:
        raise ValueError(text)
    return number


def refuse_bad_input() -> None:
    """Before every view: 400 for control characters in the path, the query or a form value
    (keys too), and for an outsized query string. Cheap on the common path: raw bytes first."""
    if _CONTROL_IN_URL.search(request.path):
        abort(400, "The address contains characters it may not.")
    query = request.query_string
    if query:
        if len(query) > MAX_QUERY_BYTES:
            abort(400, "The address is too long.")
        if _ESCAPED_CONTROL.search(query) or not _is_utf8(query):
            abort(400, "The address contains characters it may not.")
    if request.method == "POST" and request.mimetype in _FORM_TYPES:
        for key, value in request.form.items(multi=True):
            if _CONTROL_IN_TEXT.search(key) or _CONTROL_IN_TEXT.search(value):
                abort(400, "The form contains characters it may not: please retype it.")


def _is_utf8(raw: bytes) -> bool:
    """A raw byte that is not UTF-8 (sent by hand: browsers %-escape it) would make werkzeug's
    request.args raise UnicodeDecodeError, a 500."""
    try:
        raw.decode()
    except UnicodeDecodeError:
        return False
    return True


def refuse_out_of_range(error: DataError):
    """The last line, for a value the checks above let through that the database would not
    store (too long, too big): nothing is saved, and the visitor is told, not shown a 500."""
    db.session.rollback()
    current_app.logger.warning("Input refused by the database: %s", error.orig)
    return render_template("errors/error.html", code=400, title="A value was out of range",
                           message="Please go back, check what you entered and try again. Nothing was saved."), 400


def register_input_boundary(app: Flask) -> None:
    # Before any blueprint: each rule takes its converter when it is added.
    app.url_map.converters["int"] = DatabaseIntegerConverter
    app.before_request(refuse_bad_input)
    app.register_error_handler(DataError, refuse_out_of_range)
