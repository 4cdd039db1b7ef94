"""product images: web-size copies, the link-preview picture, and a picture per variant

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op


revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renditions", sa.String(length=60), server_default="", nullable=False))
        batch_op.add_column(sa.Column("is_social", sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_variants_image_id"), ["image_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_variants_image_id_product_images"), "product_images",
                                    ["image_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("variants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_variants_image_id_product_images"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_variants_image_id"))
        batch_op.drop_column("image_id")
    with op.batch_alter_table("product_images", schema=None) as batch_op:
        batch_op.drop_column("is_social")
        batch_op.drop_column("renditions")
