"""Reading the catalogue for the storefront, and saving products and variants. Stock levels change
in app.catalog.stock, whose functions are re-exported here."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from sqlalchemy import Row, and_, delete, func, select, update
from sqlalchemy.orm import Session, aliased, selectinload

from app.catalog.errors import CatalogError
from app.catalog.models import Product, ProductImage, ProductRedirect, Variant, render_ingredients
from app.catalog.stock import (  # noqa: F401 (callers take the stock functions from here)
    OutOfStock, StockError, adjust_stock, lock_stock_rows, receive_stock, release_stock, reserve_stock, restock_sold,
    sell_reserved_stock, set_bundle_components,
)
from app.claims import drug_claims
from app.db import Reader, read_rows
from app.markup import render_markdown


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
            Product.review_count, Product.rating_total,
            func.min(Variant.price_minor).label("price_from"), func.max(Variant.price_minor).label("price_to"),
            func.min(Variant.currency).label("currency"),
            image.path.label("image_path"), image.width.label("image_width"), image.height.label("image_height"),
            image.renditions.label("image_renditions"),
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
    review_count: int
    rating_total: int
    price_from: int
    price_to: int
    currency: str
    image_path: str | None
    image_width: int | None
    image_height: int | None
    image_renditions: str | None


def product_cards_from_json(cards: list[dict]) -> list[ProductCard]:
    """Cards from `json_list(...CARDS)`, in the order the card statements list them."""
    return sorted((ProductCard(**card) for card in cards), key=attrgetter("position", "name"))


def set_low_stock_threshold(session: Session, *, variant_id: int, threshold: int) -> None:
    if threshold < 0:
        raise CatalogError("The threshold cannot be negative.")
    session.execute(update(Variant).where(Variant.id == variant_id).values(low_stock_threshold=threshold))
    session.flush()


PRODUCT_COPY = ("name", "slug", "summary", "description", "ingredients", "directions", "warnings", "seo_title",
                "seo_description")


def check_cosmetic_wording(fields: dict, names: Iterable[str] = PRODUCT_COPY) -> None:
    """Refuse copy a shopper sees that makes a drug claim (app.claims), naming each field
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


def variant_with_options(session: Session, *, variant_id: int, size: str, scent: str) -> int:
    """The id of the active variant of VARIANT_ID's product in SIZE and SCENT, or CatalogError."""
    sibling = aliased(Variant)
    found = session.scalar(
        select(sibling.id).join(Variant, Variant.product_id == sibling.product_id)
        .where(Variant.id == variant_id, sibling.size == size, sibling.scent == scent, sibling.is_active.is_(True)))
    if found is None:
        raise CatalogError(f"That scent is not made in {size}. Choose another scent or size.")
    return found


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
