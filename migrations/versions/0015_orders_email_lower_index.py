"""orders: an index on lower(email), for the customers page (grouped and searched by email) and for
attaching a guest's orders to a new account

On PostgreSQL it uses text_pattern_ops, so a search by the start of an email (LIKE 'jo%') reads
the index whatever the database's collation.

Revision ID: 0015
Revises: 0009
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_orders_email_lower ON orders (lower(email) text_pattern_ops)")
    else:
        op.create_index("ix_orders_email_lower", "orders", [sa.text("lower(email)")])


def downgrade():
    op.drop_index("ix_orders_email_lower", table_name="orders")
