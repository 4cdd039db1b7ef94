"""discount codes: the codes, the products a code is limited to, each order's use of a code; the
code on carts and orders; an order's total now has its discount taken off

Orders paid with a Stripe promotion code (the shop's only discounts before) kept the full price
in total_minor and the discount beside it; their total becomes what was charged.

Revision ID: 0013
Revises: 0009
Create Date: 2026-12-08

"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

orders = sa.table("orders", sa.column("total_minor", sa.Integer), sa.column("discount_minor", sa.Integer))
OLD_TOTAL = "total_minor = subtotal_minor + shipping_minor"
NEW_TOTAL = "total_minor = subtotal_minor + shipping_minor - discount_minor"
SHIPPING_DISCOUNT = ("shipping_discount_minor >= 0 AND shipping_discount_minor <= shipping_minor "
                     "AND shipping_discount_minor <= discount_minor")


def upgrade():
    op.create_table(
        "discount_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.Enum("percent", "fixed", "free_shipping", name="discountkind", native_enum=False,
                                  length=20), nullable=False),
        sa.Column("percent_off", sa.Integer(), nullable=True),
        sa.Column("amount_off_minor", sa.Integer(), nullable=True),
        sa.Column("min_subtotal_minor", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("usage_limit", sa.Integer(), nullable=True),
        sa.Column("per_customer_limit", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("percent_off IS NULL OR (percent_off BETWEEN 1 AND 100)",
                           name=op.f("ck_discount_codes_percent_in_range")),
        sa.CheckConstraint("amount_off_minor IS NULL OR amount_off_minor > 0",
                           name=op.f("ck_discount_codes_amount_positive")),
        sa.CheckConstraint("min_subtotal_minor >= 0", name=op.f("ck_discount_codes_minimum_not_negative")),
        sa.CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name=op.f("ck_discount_codes_usage_limit_positive")),
        sa.CheckConstraint("per_customer_limit IS NULL OR per_customer_limit > 0",
                           name=op.f("ck_discount_codes_per_customer_limit_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_codes")),
        sa.UniqueConstraint("code", name=op.f("uq_discount_codes_code")),
    )
    op.create_table(
        "discount_code_products",
        sa.Column("discount_code_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["discount_code_id"], ["discount_codes.id"], ondelete="CASCADE",
                                name=op.f("fk_discount_code_products_discount_code_id_discount_codes")),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], ondelete="CASCADE",
                                name=op.f("fk_discount_code_products_product_id_products")),
        sa.PrimaryKeyConstraint("discount_code_id", "product_id", name=op.f("pk_discount_code_products")),
    )
    op.create_index(op.f("ix_discount_code_products_product_id"), "discount_code_products", ["product_id"])
    op.create_table(
        "discount_uses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discount_code_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("state", sa.Enum("held", "used", "released", name="usestate", native_enum=False, length=10),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["discount_code_id"], ["discount_codes.id"], ondelete="CASCADE",
                                name=op.f("fk_discount_uses_discount_code_id_discount_codes")),
        sa.ForeignKeyConstraint(["order_id"], ["orders.id"], ondelete="CASCADE",
                                name=op.f("fk_discount_uses_order_id_orders")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discount_uses")),
        sa.UniqueConstraint("order_id", name=op.f("uq_discount_uses_order_id")),
    )
    op.create_index(op.f("ix_discount_uses_discount_code_id"), "discount_uses", ["discount_code_id"])
    op.create_index(op.f("ix_discount_uses_email"), "discount_uses", ["email"])
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount_code", sa.String(length=40), server_default="", nullable=False))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("discount_code", sa.String(length=40), server_default="", nullable=False))
        batch_op.add_column(sa.Column("shipping_discount_minor", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint(op.f("ck_orders_total_adds_up"), type_="check")
    op.execute(orders.update().where(orders.c.discount_minor > 0)
               .values(total_minor=orders.c.total_minor - orders.c.discount_minor))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_orders_total_adds_up"), NEW_TOTAL)
        batch_op.create_check_constraint(op.f("ck_orders_shipping_discount_within"), SHIPPING_DISCOUNT)


def downgrade():
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_orders_shipping_discount_within"), type_="check")
        batch_op.drop_constraint(op.f("ck_orders_total_adds_up"), type_="check")
    op.execute(orders.update().where(orders.c.discount_minor > 0)
               .values(total_minor=orders.c.total_minor + orders.c.discount_minor))
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_check_constraint(op.f("ck_orders_total_adds_up"), OLD_TOTAL)
        batch_op.drop_column("shipping_discount_minor")
        batch_op.drop_column("discount_code")
    with op.batch_alter_table("carts", schema=None) as batch_op:
        batch_op.drop_column("discount_code")
    op.drop_index(op.f("ix_discount_uses_email"), table_name="discount_uses")
    op.drop_index(op.f("ix_discount_uses_discount_code_id"), table_name="discount_uses")
    op.drop_table("discount_uses")
    op.drop_index(op.f("ix_discount_code_products_product_id"), table_name="discount_code_products")
    op.drop_table("discount_code_products")
    op.drop_table("discount_codes")
