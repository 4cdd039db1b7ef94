"""Reading the catalogue for the storefront, and the one place stock levels change."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from app.catalog.models import Product, StockMovement, StockReason, Variant
from app.markup import render_markdown


class CatalogError(Exception):
    """A catalogue rule was broken; the message is safe to show."""


class ProductNotFound(CatalogError):
    pass


def _storefront_products():
    # Images are joined (one to a few rows each); variants come in one extra SELECT ... IN.
    return (
        select(Product)
        .where(Product.is_active.is_(True))
        .options(joinedload(Product.images), selectinload(Product.variants))
        .order_by(Product.position, Product.name)
    )


def list_products(session: Session) -> list[Product]:
    return list(session.scalars(_storefront_products()).unique())


def list_featured_products(session: Session) -> list[Product]:
    query = _storefront_products().where(Product.is_featured.is_(True))
    return list(session.scalars(query).unique())


def get_product(session: Session, *, slug: str) -> Product:
    product = session.scalars(_storefront_products().where(Product.slug == slug)).unique().first()
    if product is None:
        raise ProductNotFound(f"No product called {slug!r}.")
    return product


def choose_variant(product: Product, *, sku: str | None) -> Variant | None:
    """The variant a shopper asked for by SKU, else the first one they can buy."""
    variants = product.active_variants
    by_sku = next((variant for variant in variants if variant.sku == sku), None)
    if by_sku is not None:
        return by_sku
    return next((variant for variant in variants if not variant.is_sold_out), None) or (
        variants[0] if variants else None
    )


def price_range(product: Product) -> tuple[int, int] | None:
    prices = [variant.price_minor for variant in product.active_variants]
    return (min(prices), max(prices)) if prices else None


def receive_stock(session: Session, *, variant_id: int, quantity: int, note: str = "") -> None:
    """Add delivered units to stock on hand, recording why."""
    if quantity <= 0:
        raise CatalogError("Received quantity must be a positive whole number.")
    session.execute(
        update(Variant)
        .where(Variant.id == variant_id)
        .values(stock_on_hand=Variant.stock_on_hand + quantity)
    )
    session.add(
        StockMovement(variant_id=variant_id, delta=quantity, reason=StockReason.received, note=note)
    )
    session.flush()


def save_product(session: Session, *, slug: str, **fields) -> Product:
    """Create or update a product by slug, caching the sanitised HTML of its Markdown fields."""
    product = session.scalars(select(Product).where(Product.slug == slug)).first()
    if product is None:
        product = Product(slug=slug)
        session.add(product)
    for markdown_field in ("description", "directions", "warnings"):
        if markdown_field in fields:
            source = fields.pop(markdown_field)
            setattr(product, f"{markdown_field}_markdown", source)
            setattr(product, f"{markdown_field}_html", render_markdown(source))
    for name, value in fields.items():
        setattr(product, name, value)
    session.flush()
    return product
