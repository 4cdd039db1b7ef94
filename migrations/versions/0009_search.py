"""search_documents: the site search's index of listed products and published articles

SQLite: an FTS5 virtual table (Porter stemming over unicode61). PostgreSQL: a table whose weighted
tsvector (title A, scents B, summary C, body D) and trigram words (title and scents, for typos)
are generated columns, with GIN indexes; and the pg_trgm extension. Filled here for the rows that
exist, with the function the app keeps it current with (app.search.index.reindex). Not in the
models' metadata: migrations/env.py leaves it out of autogenerate.

pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. Downgrading
leaves it installed, as other things may use it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08

"""
from alembic import op

from app.search.index import reindex

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_WEIGHTED = " || ".join(f"setweight(to_tsvector('english'::regconfig, {column}), '{weight}')"
                        for column, weight in (("title", "A"), ("keywords", "B"), ("summary", "C"), ("body", "D")))


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("CREATE VIRTUAL TABLE search_documents USING fts5("
                   "kind UNINDEXED, ref_id UNINDEXED, slug UNINDEXED, title, keywords, summary, body, "
                   "tokenize = 'porter unicode61 remove_diacritics 2')")
    else:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(f"""
            CREATE TABLE search_documents (
                kind varchar(10) NOT NULL,
                ref_id integer NOT NULL,
                slug varchar(120) NOT NULL,
                title text NOT NULL,
                keywords text NOT NULL,
                summary text NOT NULL,
                body text NOT NULL,
                document tsvector GENERATED ALWAYS AS ({_WEIGHTED}) STORED,
                words text GENERATED ALWAYS AS (title || ' ' || keywords) STORED,
                CONSTRAINT pk_search_documents PRIMARY KEY (kind, ref_id)
            )""")
        op.execute("CREATE INDEX ix_search_documents_document ON search_documents USING gin (document)")
        op.execute("CREATE INDEX ix_search_documents_words ON search_documents USING gin (words gin_trgm_ops)")
    reindex(op.get_bind())


def downgrade():
    op.execute("DROP TABLE search_documents")
