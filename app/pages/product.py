"""A product's storefront page: what it shows, read in one query."""
from __future__ import annotations

from dataclasses import dataclass
from operator import itemgetter

from flask import current_app
from sqlalchemy import bindparam, select

from app.catalog.images import image_url
from app.catalog.models import (
    Product, ProductImage, ProductRedirect, Variant, is_discounted, stock_status, variant_label,
)
from app.catalog.services import CatalogError
from app.content.cards import ArticleLink, article_links_from_json
from app.content.models import Article, article_products
from app.db import Reader, json_rows, read_rows
from app.money import format_money
from app.reviews.reading import ProductReviews, newest_reviews, product_reviews


class ProductNotFound(CatalogError):
    pass


# Built once, as building a statement costs about as much as running it. The page reads plain
# rows, not models: it only shows them, and loading a product's graph into the ORM cost more than
# rendering the page. Its variants, images and articles come back in the product's own row, as
# JSON arrays: one round trip, where a query per list cost PostgreSQL a round trip each.
_PRODUCT_PAGE = select(
    Product.id, Product.slug, Product.name, Product.summary, Product.description_html,
    Product.ingredients_html, Product.directions_html, Product.warnings_html, Product.seo_title,
    Product.seo_description,
    select(json_rows(
        Variant.id, Variant.sku, Variant.size, Variant.scent, Variant.price_minor, Variant.compare_at_minor,
        Variant.currency, Variant.stock_available.label("available"), Variant.low_stock_threshold,
        Variant.position,
    )).where(Variant.product_id == Product.id, Variant.is_active.is_(True)).scalar_subquery().label("variants"),
    select(json_rows(
        ProductImage.id, ProductImage.path, ProductImage.alt, ProductImage.width, ProductImage.height,
        ProductImage.position,
    )).where(ProductImage.product_id == Product.id).scalar_subquery().label("images"),
    select(json_rows(Article.slug, Article.title, Article.summary, Article.position))
    .join(article_products, article_products.c.article_id == Article.id)
    .where(article_products.c.product_id == Product.id, Article.is_published.is_(True))
    .scalar_subquery().label("articles"),
    Product.review_count, Product.rating_total, newest_reviews(Product.id).label("reviews"),
).where(Product.is_active.is_(True), Product.slug == bindparam("slug"))


# Not frozen: a frozen dataclass sets each field through object.__setattr__, which made building a
# page's rows five times as slow. The same holds for the card rows (ProductCard, ArticleLink).
@dataclass(slots=True)
class VariantChoice:
    """A variant a shopper can pick on the product page, with what the page says of it worked
    out once: the template and the JSON-LD read each of these more than once."""

    id: int
    sku: str
    label: str
    price_minor: int
    currency: str
    price: str
    compare_at: str  # the price before a discount, formatted; "" when there is none
    is_sold_out: bool
    stock_label: str
    stock_state: str


@dataclass(slots=True)
class PageImage:
    src: str  # image_url(path), made once: the gallery and the JSON-LD both use it
    alt: str
    width: int
    height: int


@dataclass(slots=True)
class ProductPage:
    """What a product's page shows: the product, its active variants, images and Learn articles."""

    id: int
    slug: str
    name: str
    summary: str
    description_html: str
    directions_html: str
    warnings_html: str
    seo_title: str
    seo_description: str
    ingredients_html: str
    variants: list[VariantChoice]
    images: list[PageImage]
    articles: list[ArticleLink]
    reviews: ProductReviews

    @property
    def can_be_bought(self) -> bool:
        return any(not variant.is_sold_out for variant in self.variants)


_BY_POSITION = itemgetter("position", "id")


def _variant_choice(fields: dict, locale: str) -> VariantChoice:
    price_minor, compare_at_minor, currency = fields["price_minor"], fields["compare_at_minor"], fields["currency"]
    available = fields["available"]  # a set's, what its components allow
    stock_label, stock_state = stock_status(available, fields["low_stock_threshold"])
    return VariantChoice(
        id=fields["id"], sku=fields["sku"], label=variant_label(fields["size"], fields["scent"]),
        price_minor=price_minor, currency=currency, price=format_money(price_minor, currency, locale),
        compare_at=(format_money(compare_at_minor, currency, locale)
                    if is_discounted(price_minor, compare_at_minor) else ""),
        is_sold_out=available <= 0, stock_label=stock_label, stock_state=stock_state,
    )


def get_product_page(reader: Reader, *, slug: str) -> ProductPage:
    """An active product by slug, as its page shows it; ProductNotFound if there is none."""
    rows = read_rows(reader, _PRODUCT_PAGE, {"slug": slug})
    if not rows:
        raise ProductNotFound(f"No product called {slug!r}.")
    product = rows[0]
    locale = current_app.config["SHOP_LOCALE"]
    return ProductPage(
        id=product.id, slug=product.slug, name=product.name, summary=product.summary,
        description_html=product.description_html, directions_html=product.directions_html,
        warnings_html=product.warnings_html, seo_title=product.seo_title,
        seo_description=product.seo_description, ingredients_html=product.ingredients_html,
        variants=[_variant_choice(fields, locale) for fields in sorted(product.variants, key=_BY_POSITION)],
        images=[PageImage(image_url(image["path"]), image["alt"], image["width"], image["height"])
                for image in sorted(product.images, key=_BY_POSITION)],
        articles=article_links_from_json(product.articles),
        reviews=product_reviews(count=product.review_count, total=product.rating_total, rows=product.reviews),
    )


_MOVED_PRODUCT = (
    select(Product.slug).join(ProductRedirect, ProductRedirect.product_id == Product.id)
    .where(ProductRedirect.old_slug == bindparam("slug"), Product.is_active.is_(True))
)


def moved_product_slug(reader: Reader, *, slug: str) -> str | None:
    """The current slug of the active product that had this one before, if any. Asked only after
    get_product_page found nothing, so a product's page never pays for it."""
    rows = read_rows(reader, _MOVED_PRODUCT, {"slug": slug})
    return rows[0].slug if rows else None


def choose_variant(product: ProductPage, *, sku: str | None) -> VariantChoice | None:
    """The variant a shopper asked for by SKU, else the first one they can buy."""
    variants = product.variants
    by_sku = next((variant for variant in variants if variant.sku == sku), None)
    if by_sku is not None:
        return by_sku
    return next((variant for variant in variants if not variant.is_sold_out), None) or (
        variants[0] if variants else None
    )
