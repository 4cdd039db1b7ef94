"""product_redirects: a product's earlier slugs, so its old addresses answer 301 to its page

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27

"""
import sqlalchemy as sa
from alembic import op


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_redirects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_slug", sa.String(length=120), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"],
                                name=op.f("fk_product_redirects_product_id_products"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_redirects")),
        sa.UniqueConstraint("old_slug", name=op.f("uq_product_redirects_old_slug")),
    )
    with op.batch_alter_table("product_redirects", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_product_redirects_product_id"), ["product_id"], unique=False)


def downgrade():
    with op.batch_alter_table("product_redirects", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_product_redirects_product_id"))
    op.drop_table("product_redirects")
