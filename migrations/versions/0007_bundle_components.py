"""variant_components: a set (bundle variant) draws its stock from its component variants

Links the demo set's variants to their components by SKU, as app/demo_data/products.toml defines
them, and brings the sets' own stock to zero with a recorded correction (their stock is now what
the components allow). Other variants are not touched.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# The demo set (products.toml, "recovery-bundle"): set SKU -> {component SKU: quantity per set}.
DEMO_SETS = {
    "TMC-SET-UNS": {"TMC-CRM-4-UNS": 1, "TMC-STK-06-PEP": 1},
    "TMC-SET-LAV": {"TMC-CRM-4-LAV": 1, "TMC-STK-06-PEP": 1},
}


def upgrade():
    op.create_table(
        "variant_components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bundle_variant_id", sa.Integer(), nullable=False),
        sa.Column("component_variant_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_variant_components_quantity_positive")),
        sa.CheckConstraint("bundle_variant_id <> component_variant_id",
                           name=op.f("ck_variant_components_not_its_own_component")),
        sa.ForeignKeyConstraint(["bundle_variant_id"], ["variants.id"],
                                name=op.f("fk_variant_components_bundle_variant_id_variants"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["component_variant_id"], ["variants.id"],
                                name=op.f("fk_variant_components_component_variant_id_variants"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_variant_components")),
        sa.UniqueConstraint("bundle_variant_id", "component_variant_id",
                            name=op.f("uq_variant_components_bundle_variant_id")),
    )
    with op.batch_alter_table("variant_components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_variant_components_component_variant_id"), ["component_variant_id"],
                              unique=False)
    _link_demo_sets()


def _link_demo_sets():
    connection = op.get_bind()
    variants = sa.table("variants", sa.column("id", sa.Integer), sa.column("sku", sa.String),
                        sa.column("stock_on_hand", sa.Integer), sa.column("stock_reserved", sa.Integer))
    components = sa.table("variant_components", sa.column("bundle_variant_id", sa.Integer),
                          sa.column("component_variant_id", sa.Integer), sa.column("quantity", sa.Integer))
    movements = sa.table("stock_movements", sa.column("variant_id", sa.Integer), sa.column("delta", sa.Integer),
                         sa.column("reserved_delta", sa.Integer), sa.column("reason", sa.String),
                         sa.column("note", sa.String), sa.column("created_at", sa.DateTime(timezone=True)))
    skus = set(DEMO_SETS) | {sku for parts in DEMO_SETS.values() for sku in parts}
    found = {row.sku: row for row in connection.execute(
        sa.select(variants.c.id, variants.c.sku, variants.c.stock_on_hand, variants.c.stock_reserved)
        .where(variants.c.sku.in_(sorted(skus))))}
    for set_sku, parts in DEMO_SETS.items():
        bundle = found.get(set_sku)
        if bundle is None or not all(sku in found for sku in parts):
            continue  # not the demo shop, or staff changed it: nothing to link
        if bundle.stock_reserved:
            raise RuntimeError(
                f"{set_sku} has {bundle.stock_reserved} unit(s) reserved for orders awaiting payment; releasing "
                "them after this upgrade would take them from its components. Let those orders be paid or "
                "expire (flask expire-checkouts), then upgrade again.")
        connection.execute(components.insert(), [
            {"bundle_variant_id": bundle.id, "component_variant_id": found[sku].id, "quantity": quantity}
            for sku, quantity in parts.items()])
        if bundle.stock_on_hand:
            connection.execute(variants.update().where(variants.c.id == bundle.id).values(stock_on_hand=0))
            connection.execute(movements.insert().values(
                variant_id=bundle.id, delta=-bundle.stock_on_hand, reserved_delta=0, reason="correction",
                note=f"A set's stock is now its components' ({', '.join(parts)}); count packed sets into theirs",
                created_at=datetime.now(timezone.utc)))


def downgrade():
    with op.batch_alter_table("variant_components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_variant_components_component_variant_id"))
    op.drop_table("variant_components")
