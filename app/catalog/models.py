"""Products, their variants and images, and the stock movements that explain every stock level."""
from __future__ import annotations

import enum
from datetime import datetime

from markupsafe import escape
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    column,
    false,
    func,
    select,
    table,
)
from sqlalchemy.orm import Mapped, column_property, mapped_column, relationship

from app.db import Base, TimestampMixin, utcnow


def parse_ingredients(ingredients: str) -> tuple[list[tuple[str, list[str]]], list[str]]:
    """A product's INCI list as (groups, notes).

    One group per line; a line may start with the item it is for ("Magnesium Travel Stick: Cera
    Alba, ..."), as a set lists each of its products. Lines starting with "*" are footnotes to the
    list, such as "*Lavender scent only.".
    """
    groups, notes = [], []
    for line in ingredients.splitlines():
        line = line.strip()
        if line.startswith("*"):
            notes.append(line)
        elif line:
            label, _, names = line.rpartition(": ")
            groups.append((label, [name.strip() for name in names.split(",") if name.strip()]))
    return groups, notes


def render_ingredients(ingredients: str) -> str:
    """A product's INCI list as the HTML its page shows: a list per group, a label above a group
    that has one, then the footnotes. Made when the product is saved and kept beside the text,
    as its Markdown fields are: parsing and rendering some thirty names cost every view of the
    page 3% of its time."""
    groups, notes = parse_ingredients(ingredients)
    html = []
    for label, names in groups:
        if label:
            html.append(f'<p class="ingredient-label">{escape(label)}</p>')
        html.append('<ul class="ingredient-list">' + "".join(f"<li>{escape(name)}</li>" for name in names) + "</ul>")
    html.extend(f'<p class="small">{escape(note)}</p>' for note in notes)
    return "\n".join(html)


class Product(TimestampMixin, Base):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description_markdown: Mapped[str] = mapped_column(Text, default="")
    description_html: Mapped[str] = mapped_column(Text, default="")
    ingredients: Mapped[str] = mapped_column(Text, default="")
    ingredients_html: Mapped[str] = mapped_column(Text, default="")  # render_ingredients(ingredients)
    directions_markdown: Mapped[str] = mapped_column(Text, default="")
    directions_html: Mapped[str] = mapped_column(Text, default="")
    warnings_markdown: Mapped[str] = mapped_column(Text, default="")
    warnings_html: Mapped[str] = mapped_column(Text, default="")
    seo_title: Mapped[str] = mapped_column(String(70), default="")
    seo_description: Mapped[str] = mapped_column(String(170), default="")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Published reviews' count and summed stars, kept by app.reviews so lists show the average for free.
    review_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rating_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    variants: Mapped[list[Variant]] = relationship(
        back_populates="product", order_by="Variant.position", cascade="all, delete-orphan"
    )
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    @property
    def primary_image(self) -> ProductImage | None:
        return self.images[0] if self.images else None


class ProductRedirect(Base):
    """An address a product had before staff changed its slug: /products/<old_slug> answers with a
    301 to the product's page. It names the product, not the slug it moved to, so after any number
    of renames every old address leads to the current one in a single hop."""

    __tablename__ = "product_redirects"

    id: Mapped[int] = mapped_column(primary_key=True)
    old_slug: Mapped[str] = mapped_column(String(120), unique=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ProductImage(Base):
    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(255))  # relative to static/, or "uploads/..." (app.catalog.images)
    alt: Mapped[str] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(Integer, default=800)
    height: Mapped[int] = mapped_column(Integer, default=800)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The narrower copies made at upload, "320,640" (each in the original's format and WebP);
    # "" for demo art in static/ and images uploaded before copies were made.
    renditions: Mapped[str] = mapped_column(String(60), default="", server_default="")
    # The picture link previews (Open Graph, Twitter cards) show; at most one per product.
    is_social: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    product: Mapped[Product] = relationship(back_populates="images")


def variant_label(size: str, scent: str) -> str:
    return f"{size} / {scent}"


def stock_status(available: int, low_stock_threshold: int) -> tuple[str, str]:
    """What shoppers are told of a variant's stock: its label, and its badge style (soldout, low
    or instock)."""
    if available <= 0:
        return "Sold out", "soldout"
    if available <= low_stock_threshold:
        return f"Only {available} left", "low"
    return "In stock", "instock"


def is_discounted(price_minor: int, compare_at_minor: int | None) -> bool:
    return bool(compare_at_minor and compare_at_minor > price_minor)


class VariantComponent(Base):
    """What one unit of a bundle variant (a set) is made of: selling a set sells `quantity` of
    each component. A set keeps no stock of its own; it has what its components allow."""

    __tablename__ = "variant_components"
    __table_args__ = (
        UniqueConstraint("bundle_variant_id", "component_variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("bundle_variant_id <> component_variant_id", name="not_its_own_component"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bundle_variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"))
    # RESTRICT: deleting a variant a set is made of would leave the set with stock it cannot have.
    component_variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(Integer, default=1)

    component: Mapped[Variant] = relationship(foreign_keys=[component_variant_id])


# The component variants as seen from a set's row: a plain table clause, as the Variant mapping
# that would give an alias is still being built where the set's stock expression needs it.
_component_variants = table(
    "variants", column("id", Integer), column("stock_on_hand", Integer), column("stock_reserved", Integer),
    column("is_active", Boolean),
).alias("component_variants")
_components = VariantComponent.__table__


class Variant(TimestampMixin, Base):
    __tablename__ = "variants"
    __table_args__ = (
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
        CheckConstraint("stock_on_hand >= 0", name="stock_not_negative"),
        CheckConstraint("stock_reserved >= 0", name="reserved_not_negative"),
        CheckConstraint("stock_reserved <= stock_on_hand", name="reserved_within_stock"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[str] = mapped_column(String(40))
    scent: Mapped[str] = mapped_column(String(60))
    price_minor: Mapped[int] = mapped_column(Integer)
    compare_at_minor: Mapped[int | None] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    stock_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    # Units held for orders awaiting payment: on hand, but not for sale to anyone else.
    stock_reserved: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)
    weight_grams: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The picture the product page shows when this variant is chosen (a scent's jar, say).
    image_id: Mapped[int | None] = mapped_column(ForeignKey("product_images.id", ondelete="SET NULL"), index=True)

    # Units for sale. A set's are its components' (as many whole sets as each allows, none if one
    # is withdrawn); read in the same query as the variant, so no page or cart line pays a query for it.
    stock_available: Mapped[int] = column_property(func.coalesce(
        select(func.min(case(
            (_component_variants.c.is_active.is_(True),
             (_component_variants.c.stock_on_hand - _component_variants.c.stock_reserved) // _components.c.quantity),
            else_=0,
        )))
        .select_from(_components.join(_component_variants,
                                      _component_variants.c.id == _components.c.component_variant_id))
        .where(_components.c.bundle_variant_id == id)
        .correlate_except(_components, _component_variants)
        .scalar_subquery(),
        stock_on_hand - stock_reserved,
    ))

    product: Mapped[Product] = relationship(back_populates="variants")
    image: Mapped[ProductImage | None] = relationship()
    # A set's components; empty for a variant sold as it is.
    components: Mapped[list[VariantComponent]] = relationship(
        foreign_keys=[VariantComponent.bundle_variant_id], order_by=VariantComponent.component_variant_id,
        cascade="all, delete-orphan",
    )

    @property
    def is_listed(self) -> bool:
        return self.is_active and self.product.is_active

    @property
    def label(self) -> str:
        return variant_label(self.size, self.scent)

    @property
    def is_sold_out(self) -> bool:
        return self.stock_available <= 0

    @property
    def picture(self) -> ProductImage | None:
        """Its own picture, else the product's first: found among the product's images, which
        the cart loads with it, so a cart line's thumbnail costs no query."""
        own = next((image for image in self.product.images if image.id == self.image_id), None)
        return own or self.product.primary_image


class StockReason(enum.Enum):
    received = "received"
    reserved = "reserved"
    released = "released"
    sold = "sold"
    damaged = "damaged"
    correction = "correction"
    returned = "returned"


class StockMovement(Base):
    """One row per change to a variant's stock on hand or reservations: the trail staff read."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(primary_key=True)
    variant_id: Mapped[int] = mapped_column(ForeignKey("variants.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int] = mapped_column(Integer)  # change to stock on hand
    reserved_delta: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The order behind a reservation or sale; a plain id, so the catalogue never imports orders.
    order_id: Mapped[int | None] = mapped_column(Integer, index=True)
    reason: Mapped[StockReason] = mapped_column(Enum(StockReason, native_enum=False, length=20))
    note: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
