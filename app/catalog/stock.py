"""The one place stock levels change, each change writing a stock movement; sets (bundle
variants) move their components' stock. `app.catalog.services` re-exports these functions."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from sqlalchemy import ColumnElement, delete, exists, or_, select, true, update
from sqlalchemy.orm import Session, aliased

from app.catalog.errors import CatalogError
from app.catalog.models import StockMovement, StockReason, Variant, VariantComponent


class OutOfStock(CatalogError):
    def __init__(self, variant_id: int, message: str = "Not enough stock.") -> None:
        super().__init__(message)
        self.variant_id = variant_id


class StockError(CatalogError):
    """A stock movement the variant's levels cannot take (units released or sold that were never
    held, or a variant that is gone): the order and the stock disagree, so nothing changed."""

    def __init__(self, variant_id: int, message: str) -> None:
        super().__init__(message)
        self.variant_id = variant_id


# A set's own stock columns stay 0: a plain variant's UPDATE must not match one.
IS_BUNDLE = exists().where(VariantComponent.bundle_variant_id == Variant.id)
_AVAILABLE = Variant.stock_on_hand - Variant.stock_reserved
Condition = Callable[[int], ColumnElement[bool]]


def _change_stock(
    session: Session,
    *,
    variant_id: int,
    on_hand: int,
    reserved: int,
    reason: StockReason,
    condition: ColumnElement[bool],
    order_id: int | None = None,
    note: str = "",
) -> bool:
    """Apply one stock change in a single conditional UPDATE, and record it if it happened.

    The condition is checked by the database inside the UPDATE, so two shoppers racing for the
    last unit cannot both pass it (PostgreSQL re-checks a row after waiting for its lock;
    SQLite runs writers one at a time).
    """
    result = session.execute(
        update(Variant)
        .where(Variant.id == variant_id, condition)
        .values(
            stock_on_hand=Variant.stock_on_hand + on_hand,
            stock_reserved=Variant.stock_reserved + reserved,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    session.add(
        StockMovement(variant_id=variant_id, delta=on_hand, reserved_delta=reserved,
                      reason=reason, order_id=order_id, note=note[:255])
    )
    # This variant, and any loaded set made of it, show the new levels when next read.
    changed = session.identity_map.get(session.identity_key(Variant, variant_id))
    for loaded in list(session.identity_map.values()):
        if isinstance(loaded, Variant):
            session.expire(loaded, ["stock_on_hand", "stock_reserved", "stock_available"]
                           if loaded is changed else ["stock_available"])
    return True


class _ComponentRefused(Exception):
    def __init__(self, variant_id: int) -> None:
        self.variant_id = variant_id


def _move(session: Session, *, variant_id: int, quantity: int, on_hand: int, reserved: int,
          reason: StockReason, condition: Condition, order_id: int, note: str = "",
          bundle_must_be_active: bool = False) -> int | None:
    """Move `quantity` units of a variant (on_hand and reserved are -1, 0 or 1 per unit), or of
    each component of a set times its quantity, all or nothing. None when done, else the id of
    the variant whose levels refused it."""
    if _change_stock(session, variant_id=variant_id, on_hand=on_hand * quantity, reserved=reserved * quantity,
                     reason=reason, order_id=order_id, note=note,
                     condition=condition(quantity) & ~IS_BUNDLE):
        return None
    bundle = aliased(Variant)
    components = session.execute(
        select(VariantComponent.component_variant_id, VariantComponent.quantity, bundle.sku, bundle.is_active)
        .join(bundle, bundle.id == VariantComponent.bundle_variant_id)
        .where(VariantComponent.bundle_variant_id == variant_id)
        # One order for every transaction, so two that take the same components cannot deadlock.
        .order_by(VariantComponent.component_variant_id)
    ).all()
    if not components or (bundle_must_be_active and not components[0].is_active):
        return variant_id
    part_of = f"{quantity} x {components[0].sku}"
    try:
        with session.begin_nested():  # a component that refuses undoes the ones before it
            for component_id, per_set, _, _ in components:
                units = quantity * per_set
                if not _change_stock(session, variant_id=component_id, on_hand=on_hand * units,
                                     reserved=reserved * units, reason=reason, order_id=order_id,
                                     note=f"{note} (part of {part_of})" if note else f"Part of {part_of}",
                                     condition=condition(units)):
                    raise _ComponentRefused(component_id)
    except _ComponentRefused as refused:
        return refused.variant_id
    return None


def _refused(session: Session, *, variant_id: int, movement: str, order_id: int) -> StockError:
    """The error for a movement that matched nothing, naming the variant and its levels as they
    are now (read only on this path, so a movement that succeeds costs no query)."""
    row = session.execute(
        select(Variant.sku, Variant.stock_on_hand, Variant.stock_reserved).where(Variant.id == variant_id)
    ).first()
    if row is None:
        return StockError(variant_id, f"Cannot {movement} for order {order_id}: variant {variant_id} no longer exists.")
    return StockError(variant_id, f"Cannot {movement} of {row.sku} (variant {variant_id}) for order {order_id}: "
                                  f"it has {row.stock_on_hand} on hand, {row.stock_reserved} reserved.")


def lock_stock_rows(session: Session, *, variant_ids: Iterable[int]) -> None:
    """Lock the rows an order's stock movements will touch (its variants and a set's components)
    in id order, so two orders moving the same units in different orders wait for each other
    instead of deadlocking (PostgreSQL; SQLite runs writers one at a time anyway)."""
    ids = sorted(set(variant_ids))
    components = select(VariantComponent.component_variant_id).where(VariantComponent.bundle_variant_id.in_(ids))
    session.execute(select(Variant.id).where(or_(Variant.id.in_(ids), Variant.id.in_(components)))
                    # NO KEY UPDATE, as the stock UPDATEs take: it does not wait on the key-share locks
                    # that inserting rows which point at a variant (order lines) hold.
                    .order_by(Variant.id).with_for_update(key_share=True))


def reserve_stock(session: Session, *, variant_id: int, quantity: int, order_id: int) -> None:
    """Hold units for an order awaiting payment (a set's from its components); raises
    OutOfStock, naming the variant ordered, if too few are free."""
    if _move(session, variant_id=variant_id, quantity=quantity, on_hand=0, reserved=1,
             reason=StockReason.reserved, order_id=order_id, bundle_must_be_active=True,
             condition=lambda units: (_AVAILABLE >= units) & Variant.is_active.is_(True)) is not None:
        raise OutOfStock(variant_id)


def release_stock(session: Session, *, variant_id: int, quantity: int, order_id: int, note: str = "") -> None:
    """Give back units held for an order that will not be paid; StockError if they are not held."""
    refused = _move(session, variant_id=variant_id, quantity=quantity, on_hand=0, reserved=-1,
                    reason=StockReason.released, order_id=order_id, note=note,
                    condition=lambda units: Variant.stock_reserved >= units)
    if refused is not None:
        raise _refused(session, variant_id=refused, movement=f"release {quantity} reserved unit(s)",
                       order_id=order_id)


def sell_reserved_stock(session: Session, *, variant_id: int, quantity: int, order_id: int) -> None:
    """Turn a paid order's held units into a sale: they leave stock on hand. StockError if they
    are not held."""
    refused = _move(session, variant_id=variant_id, quantity=quantity, on_hand=-1, reserved=-1,
                    reason=StockReason.sold, order_id=order_id,
                    condition=lambda units: Variant.stock_reserved >= units)
    if refused is not None:
        raise _refused(session, variant_id=refused, movement=f"sell {quantity} reserved unit(s)",
                       order_id=order_id)


def restock_sold(session: Session, *, variant_id: int, quantity: int, order_id: int, note: str) -> None:
    """Put units of a cancelled paid order back on the shelf; StockError if the variant is gone."""
    refused = _move(session, variant_id=variant_id, quantity=quantity, on_hand=1, reserved=0,
                    reason=StockReason.returned, order_id=order_id, note=note, condition=lambda units: true())
    if refused is not None:
        raise _refused(session, variant_id=refused, movement=f"restock {quantity} sold unit(s)",
                       order_id=order_id)


def _bundle_refusal(session: Session, *, variant_id: int) -> CatalogError | None:
    """Staff change a set's stock through its components; the message names them."""
    skus = session.scalars(
        select(Variant.sku).join(VariantComponent, VariantComponent.component_variant_id == Variant.id)
        .where(VariantComponent.bundle_variant_id == variant_id).order_by(Variant.sku)
    ).all()
    if not skus:
        return None
    return CatalogError(f"This is a set: its stock is what its components allow ({', '.join(skus)}). "
                        "Change theirs instead.")


def adjust_stock(session: Session, *, variant_id: int, change: int, reason: StockReason, note: str = "") -> None:
    """A staff correction to stock on hand; never below the units held for unpaid orders."""
    if change == 0:
        raise CatalogError("Enter a change other than zero.")
    if not _change_stock(session, variant_id=variant_id, on_hand=change, reserved=0, reason=reason, note=note,
                         condition=(Variant.stock_on_hand + change >= Variant.stock_reserved) & ~IS_BUNDLE):
        raise _bundle_refusal(session, variant_id=variant_id) or CatalogError(
            "That would leave less stock than is held for orders awaiting payment.")
    session.flush()


def receive_stock(session: Session, *, variant_id: int, quantity: int, note: str = "") -> None:
    """Add delivered units to stock on hand, recording why."""
    if quantity <= 0:
        raise CatalogError("Received quantity must be a positive whole number.")
    if not _change_stock(session, variant_id=variant_id, on_hand=quantity, reserved=0,
                         reason=StockReason.received, note=note, condition=~IS_BUNDLE):
        raise _bundle_refusal(session, variant_id=variant_id) or CatalogError("No such variant.")
    session.flush()


def set_bundle_components(session: Session, *, bundle_variant_id: int, components: Mapping[int, int]) -> None:
    """Make a variant a set of these variants ({component variant id: quantity per set}),
    replacing any components it had. Sets are not made of sets, and a set holds no stock of its own."""
    variant = session.get(Variant, bundle_variant_id)
    if variant is None:
        raise CatalogError("No such variant.")
    if session.scalar(select(exists().where(VariantComponent.component_variant_id == bundle_variant_id))):
        raise CatalogError(f"{variant.sku} is part of another set, so it cannot be a set itself.")
    if not components or any(quantity <= 0 for quantity in components.values()):
        raise CatalogError("A set needs at least one component, each in a quantity above zero.")
    if bundle_variant_id in components:
        raise CatalogError("A set cannot be one of its own components.")
    if session.scalar(select(exists().where(VariantComponent.bundle_variant_id.in_(list(components))))):
        raise CatalogError("A set's components must be variants sold on their own, not other sets.")
    if variant.stock_on_hand or variant.stock_reserved:
        raise CatalogError(f"{variant.sku} holds stock of its own: bring it to zero before making it a set.")
    session.execute(delete(VariantComponent).where(VariantComponent.bundle_variant_id == bundle_variant_id))
    session.add_all(VariantComponent(bundle_variant_id=bundle_variant_id, component_variant_id=component_id,
                                     quantity=quantity) for component_id, quantity in sorted(components.items()))
    session.flush()
    session.expire(variant, ["components", "stock_available"])
