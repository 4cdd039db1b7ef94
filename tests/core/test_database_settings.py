"""PostgreSQL's pool and time limits come from the environment (config.engine_options)."""
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from app import create_app
from app.extensions import db
from config import engine_options
from tests.conftest import dispose_engines, make_config, postgres_only


@postgres_only
def test_pool_and_statement_timeout_follow_the_environment(migrated_database, monkeypatch):
    for name, value in {"DATABASE_POOL_SIZE": "3", "DATABASE_MAX_OVERFLOW": "4", "DATABASE_POOL_TIMEOUT_SECONDS": "2",
                        "DATABASE_STATEMENT_TIMEOUT_MS": "300"}.items():
        monkeypatch.setenv(name, value)
    app = create_app(make_config(migrated_database))
    try:
        with app.app_context():
            assert (db.engine.pool.size(), db.engine.pool.timeout()) == (3, 2)
            assert app.config["SQLALCHEMY_ENGINE_OPTIONS"]["max_overflow"] == 4
            with db.engine.connect() as connection:
                assert connection.scalar(sa.text("SHOW statement_timeout")) == "300ms"
                with pytest.raises(OperationalError, match="statement timeout"):
                    connection.execute(sa.text("SELECT pg_sleep(2)"))
    finally:
        dispose_engines(app)


def test_sqlite_gets_no_postgresql_options(monkeypatch):
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    assert engine_options("sqlite:///shop.db") == {"pool_recycle": 1800}
