"""Storefront pages that only read the database: their queries run on a connection of their own,
from an engine kept for them (the READS bind) whose connections stay in autocommit, outside any
transaction and outside the ORM session.

A transaction costs such a page two extra round trips on PostgreSQL (BEGIN, then ROLLBACK), and
psycopg forgets its prepared statements at every ROLLBACK, so each query was parsed and planned
anew on every request; without one, psycopg prepares a page's queries after a few requests. The
session's own set-up and tear-down cost a light page about a tenth of its time. An engine of their
own, rather than the main one's connections switched to autocommit and back on every request:
switching, and the main engine's SQLite BEGIN hook (app.db.configure_sqlite), which made
SQLAlchemy dispatch events at every step of every query, cost a product page 7% of its time.
The price: a page's queries no longer share one snapshot, which a page that only shows data can
afford; and each process keeps a second, small pool of connections.

Views marked read_only read through `reader()`; the session stays for what the layout needs of it
(the signed-in shopper, the cart count). A flush in such a view is refused, as a view that writes
must not be marked.
"""
from __future__ import annotations

from functools import wraps

from flask import g, has_app_context
from sqlalchemy import Connection, Engine, event, make_url
from sqlalchemy.orm import Session, scoped_session

from app.extensions import db

READS = "storefront_reads"  # the bind key of the read-only views' engine


def reads_bind(config: dict) -> dict:
    """The SQLALCHEMY_BINDS entry for read-only views' engine: the shop's database, with the
    shop's engine options, in autocommit. Empty for an in-memory SQLite database, which a second
    engine would not share; its reads go through the main engine."""
    url = make_url(config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and (url.database in (None, "", ":memory:")
                                               or url.query.get("mode") == "memory"):
        return {}
    return {READS: {**config["SQLALCHEMY_ENGINE_OPTIONS"], "url": url, "isolation_level": "AUTOCOMMIT"}}


def read_engine() -> Engine:
    engines = db.engines
    return engines.get(READS) or engines[None]


class WriteInReadOnlyView(RuntimeError):
    pass


def read_only(view):
    """Mark a view that only reads. It must return its rendered page, not a stream: its
    connection goes back to the pool as soon as the view returns."""

    @wraps(view)
    def read_only_view(*args, **kwargs):
        g.read_only_view = True
        try:
            # Sessions bound to one connection (the tests' rolled-back transaction) must see
            # every query on it, so then the view reads through the session instead.
            if db.session.session_factory.kw.get("bind") is not None:
                return view(*args, **kwargs)
            with read_engine().connect() as connection:
                g.read_connection = connection
                try:
                    return view(*args, **kwargs)
                finally:
                    del g.read_connection
        finally:
            g.read_only_view = False

    return read_only_view


def reader() -> Connection | scoped_session:
    """What a read-only view reads with: its own connection, else the session."""
    return g.get("read_connection") or db.session


@event.listens_for(Session, "before_flush")
def _refuse_writes_in_read_only_views(_session: Session, _flush_context, _instances) -> None:
    if has_app_context() and g.get("read_only_view"):
        raise WriteInReadOnlyView("A view marked read_only tried to write; remove the mark or the write.")
