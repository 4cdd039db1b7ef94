"""Indexes for every staff filter and lookup: the order list newest first (alone, by status, by the
review flag, by dates), search by part of an email (trigrams on PostgreSQL), the dashboard's paid
orders by day. ix_orders_status gives way to (status, created_at, id), which serves it too.

On a live PostgreSQL shop with many orders, build them first by hand with CREATE INDEX
CONCURRENTLY under these names (docs/operations.md); this migration then skips the ones that exist.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08

"""
from alembic import op

revision = "0010"
down_revision = "0013"
branch_labels = None
depends_on = None

_ORDERED = {"ix_orders_created_at": ["created_at", "id"],
            "ix_orders_status_created_at": ["status", "created_at", "id"],
            "ix_orders_needs_review_created_at": ["needs_review", "created_at", "id"],
            "ix_orders_paid_at": ["paid_at"]}


def upgrade():
    postgres = op.get_bind().dialect.name == "postgresql"
    for name, columns in _ORDERED.items():
        op.create_index(name, "orders", columns, if_not_exists=True)
    if postgres:  # pg_trgm: migration 0009
        op.create_index("ix_orders_email_search", "orders", ["email"], postgresql_using="gin",
                        postgresql_ops={"email": "gin_trgm_ops"}, if_not_exists=True)
    else:
        op.create_index("ix_orders_email_search", "orders", ["email"], if_not_exists=True)
    op.drop_index("ix_orders_email", table_name="orders")
    op.drop_index("ix_orders_status", table_name="orders")


def downgrade():
    op.create_index("ix_orders_status", "orders", ["status"])
    op.create_index("ix_orders_email", "orders", ["email"])
    op.drop_index("ix_orders_email_search", table_name="orders")
    for name in reversed(list(_ORDERED)):
        op.drop_index(name, table_name="orders")
