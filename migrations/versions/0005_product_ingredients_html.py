"""products.ingredients_html: the INCI list as its page shows it, made when the product is saved

Filled here for the products that exist, with the function that fills it on save.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

"""
import sqlalchemy as sa
from alembic import op

from app.catalog.models import render_ingredients

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

products = sa.table("products", sa.column("id", sa.Integer), sa.column("ingredients", sa.Text),
                    sa.column("ingredients_html", sa.Text))


def upgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ingredients_html", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.alter_column("ingredients_html", server_default=None)  # as the model: the app sets it
    connection = op.get_bind()
    for product_id, ingredients in connection.execute(sa.select(products.c.id, products.c.ingredients)).all():
        connection.execute(products.update().where(products.c.id == product_id)
                           .values(ingredients_html=render_ingredients(ingredients)))


def downgrade():
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("ingredients_html")
