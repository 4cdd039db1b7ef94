"""Storefront pages that only read the database run their queries outside a transaction.

A transaction costs such a page two extra round trips on PostgreSQL (BEGIN, then ROLLBACK), and
psycopg forgets its prepared statements at every ROLLBACK, so each query was parsed and planned
anew on every request. Without one, psycopg prepares a page's queries after a few requests. The
price: a page's queries no longer share one snapshot, which a page that only shows data can afford.
Only views that never write may use this, as a write would not wait for a commit: a flush in one
is refused.
"""
from __future__ import annotations

from functools import wraps

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app.db import read_only_options
from app.extensions import db

_READ_ONLY = "read_only_view"


class WriteInReadOnlyView(RuntimeError):
    pass


def read_only(view):
    @wraps(view)
    def read_only_view(*args, **kwargs):
        session = db.session()  # this request's session, not the scoped proxy
        session.info[_READ_ONLY] = True
        bind = session.get_bind()
        # A session bound to one connection (the tests' rolled-back transaction) keeps it as it is.
        if isinstance(bind, Engine) and not session.in_transaction():
            session.connection(execution_options=read_only_options(bind.dialect.name))
        return view(*args, **kwargs)

    return read_only_view


@event.listens_for(Session, "before_flush")
def _refuse_writes_in_read_only_views(session: Session, _flush_context, _instances) -> None:
    if session.info.get(_READ_ONLY):
        raise WriteInReadOnlyView("A view marked read_only tried to write; remove the mark or the write.")
