"""index article_products by product_id

A product page reads its articles by product; the primary key (article_id, product_id) could not
serve that lookup, so every product page scanned the whole table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

"""
from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("article_products", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_article_products_product_id"), ["product_id"], unique=False)


def downgrade():
    with op.batch_alter_table("article_products", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_article_products_product_id"))
