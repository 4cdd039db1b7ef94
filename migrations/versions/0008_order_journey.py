"""the order's money journey: payment_processing and payment_review states, checkout_url, stock_held,
payment events that wait for their payment

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("status", sa.String),
                  sa.column("stock_held", sa.Boolean), sa.column("needs_review", sa.Boolean),
                  sa.column("review_reason", sa.String), sa.column("held_reason", sa.String))
order_events = sa.table("order_events", sa.column("order_id", sa.Integer), sa.column("kind", sa.String))


def upgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkout_url", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("stock_held", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("held_reason", sa.String(length=255), server_default="", nullable=False))
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_for", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_payment_events_waiting_for"), ["waiting_for"], unique=False)
    # Orders awaiting payment hold their stock; one whose delayed payment was settling (an
    # 'awaiting_payment' event on its timeline) is now in its own state.
    op.execute(orders.update().where(orders.c.status == "pending_payment").values(stock_held=True))
    settling = sa.select(order_events.c.order_id).where(order_events.c.kind == "awaiting_payment")
    op.execute(orders.update().where(orders.c.status == "pending_payment", orders.c.id.in_(settling))
               .values(status="payment_processing"))


def downgrade():
    # The old states: a settling payment was pending; held money was a flagged order, pending if it
    # still held its stock, cancelled if not (so the old expiry never releases stock twice).
    op.execute(orders.update().where(orders.c.status == "payment_processing").values(status="pending_payment"))
    for held, status in ((True, "pending_payment"), (False, "cancelled")):
        op.execute(orders.update().where(orders.c.status == "payment_review", orders.c.stock_held.is_(held))
                   .values(status=status, needs_review=True, review_reason=orders.c.held_reason))
    with op.batch_alter_table("payment_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_events_waiting_for"))
        batch_op.drop_column("waiting_for")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("held_reason")
        batch_op.drop_column("stock_held")
        batch_op.drop_column("checkout_url")
