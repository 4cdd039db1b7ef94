"""The Alembic migrations build exactly the schema the models describe, on this run's database."""
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from app import create_app
from app.db import Base
from app.extensions import db
from tests.conftest import DATABASE_URL, _TEMP_DIR, make_config, reset_database


@pytest.fixture
def empty_database_url() -> str:
    """A second, empty database of the same kind as the suite's."""
    url = sa.make_url(DATABASE_URL)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:///{_TEMP_DIR / 'migrations.db'}"
    name = f"{url.database}_migrations"
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
        if not exists:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def test_upgrade_from_empty_matches_the_models_and_downgrades_cleanly(empty_database_url):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
            tables = set(sa.inspect(connection).get_table_names())
        assert differences == [], f"models and migrations drift apart: {differences}"
        assert set(Base.metadata.tables) <= tables

        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_upgrade_to_0005_renders_the_ingredients_of_products_already_saved(empty_database_url):
    reset_database(empty_database_url)
    app = create_app(make_config(empty_database_url))
    with app.app_context():
        upgrade(revision="0004")
        products = sa.Table("products", sa.MetaData(), autoload_with=db.engine)
        now = sa.func.current_timestamp()
        with db.engine.begin() as connection:
            connection.execute(products.insert().values(
                slug="old-cream", name="Old Cream", summary="", description_markdown="", description_html="",
                ingredients="Aqua, Glycerin\n*Organic.", directions_markdown="", directions_html="",
                warnings_markdown="", warnings_html="", seo_title="", seo_description="", is_active=True,
                is_featured=False, position=1, created_at=now, updated_at=now))
        upgrade()
        with db.engine.connect() as connection:
            html = connection.scalar(sa.text("SELECT ingredients_html FROM products WHERE slug = 'old-cream'"))
        db.engine.dispose()
    assert html == '<ul class="ingredient-list"><li>Aqua</li><li>Glycerin</li></ul>\n<p class="small">*Organic.</p>'
