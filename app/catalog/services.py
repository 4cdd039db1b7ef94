"""Reading the catalogue for the storefront, and the one place stock levels change."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy import Row, and_, delete, func, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from app.catalog.models import (
    Product, ProductImage, ProductRedirect, StockMovement, StockReason, Variant, render_ingredients,
)
from app.catalog.wording import drug_claims
from app.db import Reader, read_rows
from app.markup import render_markdown


class CatalogError(Exception):
    """A catalogue rule was broken; the message is safe to show."""


def _card_query():
    """One row per listed product: what a product card shows, priced from its active variants."""
    image = aliased(ProductImage)
    first_image_id = (
        select(ProductImage.id).where(ProductImage.product_id == Product.id)
        .order_by(ProductImage.position, ProductImage.id).limit(1).scalar_subquery()
    )
    return (
        select(
            Product.id, Product.slug, Product.name, Product.summary, Product.position,
            func.min(Variant.price_minor).label("price_from"), func.max(Variant.price_minor).label("price_to"),
            func.min(Variant.currency).label("currency"),
            image.path.label("image_path"), image.width.label("image_width"), image.height.label("image_height"),
        )
        .join(Variant, and_(Variant.product_id == Product.id, Variant.is_active.is_(True)))
        .outerjoin(image, image.id == first_image_id)
        .where(Product.is_active.is_(True))
        .group_by(Product.id, image.id)
        .order_by(Product.position, Product.name)
    )


# Built once: storefront pages run these on every request, and building a statement costs
# about as much as running it.
ALL_PRODUCT_CARDS = _card_query()
FEATURED_PRODUCT_CARDS = ALL_PRODUCT_CARDS.where(Product.is_featured.is_(True))


def product_cards(reader: Reader) -> Sequence[Row]:
    """Listed products as rows for cards (lists need no whole products): one query, any size."""
    return read_rows(reader, ALL_PRODUCT_CARDS)


@dataclass(slots=True)
class ProductCard:
    """A card's row, for cards read inside another page's query (`app.db.json_list`)."""

    id: int
    slug: str
    name: str
    summary: str
    position: int
    price_from: int
    price_to: int
    currency: str
    image_path: str | None
    image_width: int | None
    image_height: int | None


def product_cards_from_json(cards: list[dict]) -> list[ProductCard]:
    """Cards from `json_list(...CARDS)`, in the order the card statements list them."""
    return sorted((ProductCard(**card) for card in cards), key=attrgetter("position", "name"))


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


def _change_stock(
    session: Session,
    *,
    variant_id: int,
    on_hand: int,
    reserved: int,
    reason: StockReason,
    condition,
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
                      reason=reason, order_id=order_id, note=note)
    )
    variant = session.identity_map.get(session.identity_key(Variant, variant_id))
    if variant is not None:
        session.expire(variant, ["stock_on_hand", "stock_reserved"])
    return True


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


def reserve_stock(session: Session, *, variant_id: int, quantity: int, order_id: int) -> None:
    """Hold units for an order awaiting payment; raises OutOfStock if too few are free."""
    available = Variant.stock_on_hand - Variant.stock_reserved
    if not _change_stock(session, variant_id=variant_id, on_hand=0, reserved=quantity,
                         reason=StockReason.reserved, order_id=order_id,
                         condition=(available >= quantity) & Variant.is_active.is_(True)):
        raise OutOfStock(variant_id)


def release_stock(session: Session, *, variant_id: int, quantity: int, order_id: int, note: str = "") -> None:
    """Give back units held for an order that will not be paid; StockError if they are not held."""
    if not _change_stock(session, variant_id=variant_id, on_hand=0, reserved=-quantity,
                         reason=StockReason.released, order_id=order_id, note=note,
                         condition=Variant.stock_reserved >= quantity):
        raise _refused(session, variant_id=variant_id, movement=f"release {quantity} reserved unit(s)",
                       order_id=order_id)


def sell_reserved_stock(session: Session, *, variant_id: int, quantity: int, order_id: int) -> None:
    """Turn a paid order's held units into a sale: they leave stock on hand. StockError if they
    are not held."""
    if not _change_stock(session, variant_id=variant_id, on_hand=-quantity, reserved=-quantity,
                         reason=StockReason.sold, order_id=order_id,
                         condition=Variant.stock_reserved >= quantity):
        raise _refused(session, variant_id=variant_id, movement=f"sell {quantity} reserved unit(s)",
                       order_id=order_id)


def restock_sold(session: Session, *, variant_id: int, quantity: int, order_id: int, note: str) -> None:
    """Put units of a cancelled paid order back on the shelf; StockError if the variant is gone."""
    if not _change_stock(session, variant_id=variant_id, on_hand=quantity, reserved=0,
                         reason=StockReason.returned, order_id=order_id, note=note, condition=True):
        raise _refused(session, variant_id=variant_id, movement=f"restock {quantity} sold unit(s)",
                       order_id=order_id)


def adjust_stock(session: Session, *, variant_id: int, change: int, reason: StockReason, note: str = "") -> None:
    """A staff correction to stock on hand; never below the units held for unpaid orders."""
    if change == 0:
        raise CatalogError("Enter a change other than zero.")
    if not _change_stock(session, variant_id=variant_id, on_hand=change, reserved=0, reason=reason, note=note,
                         condition=Variant.stock_on_hand + change >= Variant.stock_reserved):
        raise CatalogError("That would leave less stock than is held for orders awaiting payment.")
    session.flush()


def set_low_stock_threshold(session: Session, *, variant_id: int, threshold: int) -> None:
    if threshold < 0:
        raise CatalogError("The threshold cannot be negative.")
    session.execute(update(Variant).where(Variant.id == variant_id).values(low_stock_threshold=threshold))
    session.flush()


def receive_stock(session: Session, *, variant_id: int, quantity: int, note: str = "") -> None:
    """Add delivered units to stock on hand, recording why."""
    if quantity <= 0:
        raise CatalogError("Received quantity must be a positive whole number.")
    _change_stock(session, variant_id=variant_id, on_hand=quantity, reserved=0,
                  reason=StockReason.received, note=note, condition=True)
    session.flush()


PRODUCT_COPY = ("name", "slug", "summary", "description", "ingredients", "directions", "warnings", "seo_title",
                "seo_description")


def check_cosmetic_wording(fields: dict, names: Iterable[str] = PRODUCT_COPY) -> None:
    """Refuse copy a shopper sees that makes a drug claim (app.catalog.wording), naming each field
    and the words in it to change."""
    found = drug_claims(fields, names)
    if found:
        places = "; ".join(f"{label}: {', '.join(words)}" for label, words in found)
        raise CatalogError("Product copy must stay cosmetic (moisturizes, soothes, relaxes tired muscles): in the US, "
                           "copy that claims to treat, relieve or prevent a condition, to change how the body works, "
                           f"or to work like a drug or an IV makes a cream a drug. Please reword {places}.")


def save_product(session: Session, *, slug: str, product_id: int | None = None, **fields) -> Product:
    """Create or update a product (by id, else by slug), caching the sanitised HTML of its Markdown."""
    check_cosmetic_wording({**fields, "slug": slug})
    if product_id is not None:
        check_slug_free(session, slug=slug, product_id=product_id)
        product = session.get(Product, product_id)
    else:
        product = session.scalars(select(Product).where(Product.slug == slug)).first()
    if product is None:
        product = Product()
        session.add(product)
    elif product.slug != slug:
        _move_product(session, product=product, slug=slug)
    product.slug = slug
    if "ingredients" in fields:
        product.ingredients_html = render_ingredients(fields["ingredients"] or "")
    for markdown_field in ("description", "directions", "warnings"):
        if markdown_field in fields:
            source = fields.pop(markdown_field)
            setattr(product, f"{markdown_field}_markdown", source)
            setattr(product, f"{markdown_field}_html", render_markdown(source))
    for name, value in fields.items():
        setattr(product, name, value)
    session.flush()
    return product


def list_all_products(session: Session) -> list[Product]:
    """Every product, active or not, for staff screens."""
    query = select(Product).options(selectinload(Product.variants)).order_by(Product.position, Product.name)
    return list(session.scalars(query))


def save_variant(session: Session, *, product_id: int, variant_id: int | None = None, **fields) -> Variant:
    """Create or update a variant; its stock changes only through the stock functions above."""
    check_cosmetic_wording(fields, ("size", "scent"))
    sku_owner = session.scalars(select(Variant.id).where(Variant.sku == fields["sku"])).first()
    if sku_owner is not None and sku_owner != variant_id:
        raise CatalogError(f"Another variant already uses SKU {fields['sku']}.")
    if fields["price_minor"] <= 0:
        raise CatalogError("Enter a price above zero.")
    if fields.get("compare_at_minor") is not None and fields["compare_at_minor"] <= fields["price_minor"]:
        raise CatalogError("The compare-at price is the earlier, higher price: make it more than the price, "
                           "or leave it empty.")
    variant = session.get(Variant, variant_id) if variant_id else Variant(product_id=product_id, stock_on_hand=0)
    if variant is None or variant.product_id != product_id:
        raise CatalogError("No such variant on this product.")
    for name, value in fields.items():
        setattr(variant, name, value)
    session.add(variant)
    session.flush()
    return variant


def check_slug_free(session: Session, *, slug: str, product_id: int | None) -> None:
    """Refuse a slug that another product uses (any product, when creating a new one), or that is
    still an old address of another product: its links and bookmarks lead there, and taking it
    over would send them to the wrong product. A product may take back one of its own."""
    owner = session.scalars(select(Product.id).where(Product.slug == slug)).first()
    if owner is not None and owner != product_id:
        raise CatalogError(f"Another product already uses the address /products/{slug}.")
    moved = session.execute(
        select(Product.id, Product.name).join(ProductRedirect, ProductRedirect.product_id == Product.id)
        .where(ProductRedirect.old_slug == slug)
    ).first()
    if moved is not None and moved.id != product_id:
        raise CatalogError(f"The address /products/{slug} was {moved.name}'s and still forwards there, so links "
                           "to it keep working. Choose another address.")


def _move_product(session: Session, *, product: Product, slug: str) -> None:
    """Give a product a new slug, keeping its current one as a redirect to it (what Shopify does
    when a product's handle changes). Taking back an old slug of its own ends that redirect."""
    session.execute(delete(ProductRedirect).where(ProductRedirect.old_slug == slug,
                                                  ProductRedirect.product_id == product.id))
    session.add(ProductRedirect(old_slug=product.slug, product_id=product.id))
