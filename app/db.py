"""The declarative base every model shares, with a constraint naming convention for Alembic."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

import orjson
from sqlalchemy import (
    Connection, DateTime, Engine, Executable, MetaData, Row, Select, String, Text, event, select, update,
)
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, registry, scoped_session
from sqlalchemy.sql.selectable import ScalarSelect
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UtcDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every database (SQLite hands back naive ones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("Store aware datetimes (use app.db.utcnow()).")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UtcDateTime},
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def hold_row(session: Session, model: type, row_id: int) -> None:
    """Take the row's write lock until the transaction ends, so callers on one row run one at a time.
    An UPDATE locks on PostgreSQL (the row) and SQLite (the database) alike; FOR UPDATE does nothing
    on SQLite."""
    session.execute(update(model).where(model.id == row_id).values(updated_at=utcnow())
                    .execution_options(synchronize_session=False))


# What storefront reads take: a session, or a read-only view's own connection (app/storefront.py).
Reader = Session | scoped_session | Connection


def read_rows(source: Reader, statement: Executable, params: dict | None = None) -> Sequence[Row]:
    """Rows of a statement, run below the ORM on a connection or on the session's connection.

    For data that is only shown: it skips the ORM's flush and result machinery, which took as
    long as the query itself; so nothing pending in the session is flushed first.
    """
    connection = source if isinstance(source, Connection) else source.connection()
    return connection.execute(statement, params).all()


class _JSONArray(TypeDecorator):
    """A json_rows array, sent as text and read with orjson, which reads integers, strings and
    null as the standard library does, several times faster. (psycopg would parse a json value
    itself, with the standard library: the PostgreSQL form below casts it to text.)"""

    impl = Text
    cache_ok = True

    def process_result_value(self, value, dialect):
        return None if value is None else orjson.loads(value)


class json_rows(FunctionElement):
    """An aggregate: the rows it runs over as a JSON array of objects keyed by column name.

    `select(json_rows(Image.path, Image.alt)).where(Image.product_id == Product.id)` as a scalar
    subquery gives a product's images in its own row, so a page with several lists needs one round
    trip, not one per list. The order of the array is unspecified (SQLite before 3.44 cannot order
    inside an aggregate): select a column to sort by and sort in Python.

    Values arrive as JSON, not through the columns' types: integers, strings and null are the
    same on both databases; booleans (1 or true), datetimes and JSON columns are not, so keep to
    the first three.
    """

    type = _JSONArray()
    inherit_cache = True
    name = "json_rows"

    def __init__(self, *columns) -> None:
        keys = [column.key for column in columns]
        if None in keys or len(set(keys)) != len(keys):
            raise ValueError(f"json_rows needs named, distinct columns (label expressions), not {keys}")
        super().__init__(*columns)


def _json_pairs(element: json_rows, compiler, **kw) -> str:
    return ", ".join(
        f"{compiler.render_literal_value(column.key, String())}, {compiler.process(column, **kw)}"
        for column in element.clauses
    )


@compiles(json_rows, "sqlite")
def _json_rows_sqlite(element: json_rows, compiler, **kw) -> str:
    return f"json_group_array(json_object({_json_pairs(element, compiler, **kw)}))"


@compiles(json_rows)
def _json_rows_elsewhere(element: json_rows, compiler, **kw) -> str:
    raise CompileError(f"json_rows is written for SQLite and PostgreSQL, not {compiler.dialect.name}")


@compiles(json_rows, "postgresql")
def _json_rows_postgresql(element: json_rows, compiler, **kw) -> str:
    # json_agg over no rows is NULL, not an empty array.
    return f"coalesce(json_agg(json_build_object({_json_pairs(element, compiler, **kw)})), '[]')::text"


def json_list(statement: Select) -> ScalarSelect:
    """A whole statement's rows as one JSON array, to read as a column of another query."""
    rows = statement.subquery()
    return select(json_rows(*rows.c)).scalar_subquery()


def configure_sqlite(engine: Engine) -> None:
    """Make SQLite check foreign keys and run real transactions (savepoints included).

    pysqlite delays BEGIN until the first write and ignores foreign keys unless asked, so
    SQLAlchemy's documented recipe takes transaction control away from the driver.
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN")
