"""A product's storefront page: what it shows, read in one query."""
from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter

from flask import current_app, render_template, url_for
from sqlalchemy import bindparam, select

from app.catalog.images import image_url, rendition_name, srcsets
from app.catalog.models import (
    Product, ProductImage, ProductRedirect, Variant, is_discounted, stock_status, variant_label,
)
from app.catalog.services import CatalogError
from app.content.cards import ArticleLink, article_links_from_json
from app.content.models import Article, article_products
from app.db import Reader, json_rows, read_rows
from app.money import format_money
from app.pages.structured_data import product_json_ld, script_json
from app.urls import external_url
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
        Variant.position, Variant.image_id,
    )).where(Variant.product_id == Product.id, Variant.is_active.is_(True)).scalar_subquery().label("variants"),
    select(json_rows(
        ProductImage.id, ProductImage.path, ProductImage.alt, ProductImage.width, ProductImage.height,
        ProductImage.position, ProductImage.renditions, ProductImage.is_social,
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
    size: str
    scent: str
    label: str
    price_minor: int
    currency: str
    price: str
    compare_at: str  # the price before a discount, formatted; "" when there is none
    is_sold_out: bool
    stock_label: str
    stock_state: str
    image_index: int = 0  # the picture shown when it is chosen: its own, else the gallery's first
    saving: str = ""  # "Save $6" beside the smallest size's price per ounce; "" when none


@dataclass(slots=True)
class PageImage:
    src: str  # image_url(path), made once: the gallery and the JSON-LD both use it
    alt: str
    width: int
    height: int
    srcset: str = ""  # web widths in the image's own format; "" for demo art (SVG scales itself)
    webp_srcset: str = ""
    is_social: bool = False
    social_src: str = ""  # the copy link previews show: at most 1280 wide, never WebP


@dataclass(slots=True)
class OptionValue:
    """One radio of the Size or Scent group: which value, whether it is picked, and why it cannot be."""

    value: str
    checked: bool
    unavailable: str  # "Not made in 8 oz"; "" when the combination exists
    note: str  # "Sold out" when the combination exists and has none left


@dataclass(slots=True)
class ProductPage:
    """What a product's page shows: the product, its active variants, images and Learn articles.
    Studio previews build one from a draft with dataclasses.replace and render it with
    render_product_page, so a preview is the public page exactly."""

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

    @property
    def social_image(self) -> PageImage | None:
        """The picture link previews show: the one staff chose, else the first raster image."""
        raster = [image for image in self.images if image.social_src]
        return next((image for image in raster if image.is_social), raster[0] if raster else None)

    def options(self, name: str) -> list[str]:
        """The sizes or scents (name "size" or "scent") in the order of the variants."""
        return list(dict.fromkeys(getattr(variant, name) for variant in self.variants))


_BY_POSITION = itemgetter("position", "id")
_OUNCES = re.compile(r"(\d+(?:\.\d+)?) ?oz")


def _variant_choice(fields: dict, locale: str, image_index: dict[int, int]) -> VariantChoice:
    price_minor, compare_at_minor, currency = fields["price_minor"], fields["compare_at_minor"], fields["currency"]
    available = fields["available"]  # a set's, what its components allow
    stock_label, stock_state = stock_status(available, fields["low_stock_threshold"])
    return VariantChoice(
        id=fields["id"], sku=fields["sku"], size=fields["size"], scent=fields["scent"],
        label=variant_label(fields["size"], fields["scent"]),
        price_minor=price_minor, currency=currency, price=format_money(price_minor, currency, locale),
        compare_at=(format_money(compare_at_minor, currency, locale)
                    if is_discounted(price_minor, compare_at_minor) else ""),
        is_sold_out=available <= 0, stock_label=stock_label, stock_state=stock_state,
        image_index=image_index.get(fields["image_id"], 0),
    )


def _note_savings(variants: list[VariantChoice], locale: str) -> None:
    """Each larger jar's saving against buying its ounces in the smallest jar of the same scent.
    Only sizes that are a plain weight ("4 oz") compare; a set's size does not."""
    ounces = {variant.id: float(match[1]) for variant in variants
              if (match := _OUNCES.fullmatch(variant.size))}
    for variant in variants:
        peers = [peer for peer in variants if peer.scent == variant.scent and peer.id in ounces
                 and peer.currency == variant.currency]
        if variant.id not in ounces or not peers:
            continue
        smallest = min(peers, key=lambda peer: ounces[peer.id])
        saving = round(smallest.price_minor / ounces[smallest.id] * ounces[variant.id]) - variant.price_minor
        if saving > 0 and smallest.id != variant.id:
            variant.saving = f"Save {format_money(saving, variant.currency, locale)}"


def _page_image(fields: dict) -> PageImage:
    path, width, renditions = fields["path"], fields["width"], fields["renditions"]
    srcset, webp_srcset = srcsets(path, width, renditions)
    if renditions:  # an upload: link previews get its widest web copy up to 1280, in its own format
        widest = max(int(each) for each in renditions.split(","))
        kind = path.rsplit(".", 1)[1]
        social = image_url(path if width <= 1280 or kind == "webp" else rendition_name(path, widest, kind))
    else:
        social = "" if path.endswith(".svg") else image_url(path)  # previews do not show SVG
    return PageImage(image_url(path), fields["alt"], width, fields["height"], srcset, webp_srcset,
                     bool(fields["is_social"]), social)


def get_product_page(reader: Reader, *, slug: str) -> ProductPage:
    """An active product by slug, as its page shows it; ProductNotFound if there is none."""
    rows = read_rows(reader, _PRODUCT_PAGE, {"slug": slug})
    if not rows:
        raise ProductNotFound(f"No product called {slug!r}.")
    product = rows[0]
    locale = current_app.config["SHOP_LOCALE"]
    images = sorted(product.images, key=_BY_POSITION)
    image_index = {image["id"]: index for index, image in enumerate(images)}
    variants = [_variant_choice(fields, locale, image_index) for fields in sorted(product.variants, key=_BY_POSITION)]
    _note_savings(variants, locale)
    return ProductPage(
        id=product.id, slug=product.slug, name=product.name, summary=product.summary,
        description_html=product.description_html, directions_html=product.directions_html,
        warnings_html=product.warnings_html, seo_title=product.seo_title,
        seo_description=product.seo_description, ingredients_html=product.ingredients_html,
        variants=variants, images=[_page_image(image) for image in images],
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


def choose_variant(product: ProductPage, *, sku: str | None = None, size: str | None = None,
                   scent: str | None = None) -> VariantChoice | None:
    """The variant a shopper asked for: by SKU (a shared link), else by size and scent (the picker
    without JavaScript). A scent not made in the chosen size gives way to one that is; with
    nothing asked, the first variant they can buy."""
    variants = product.variants
    for wanted in (
        lambda variant: variant.sku == sku,
        lambda variant: variant.size == size and variant.scent == scent,
        lambda variant: variant.size == size and not variant.is_sold_out,
        lambda variant: variant.size == size,
        lambda variant: not variant.is_sold_out,
        lambda variant: True,
    ):
        found = next((variant for variant in variants if wanted(variant)), None)
        if found is not None:
            return found
    return None


def option_values(product: ProductPage, selected: VariantChoice, name: str) -> list[OptionValue]:
    """The Size ("size") or Scent ("scent") radios for the chosen variant. Every size can be
    chosen; a scent not made in the chosen size is shown disabled, with that reason."""
    if name == "size":
        return [OptionValue(size, size == selected.size, "", "") for size in product.options("size")]
    made = {variant.scent: variant for variant in product.variants if variant.size == selected.size}
    return [OptionValue(scent, scent == selected.scent,
                        "" if scent in made else f"Not made in {selected.size}",
                        "Sold out" if scent in made and made[scent].is_sold_out else "")
            for scent in product.options("scent")]


def render_product_page(product: ProductPage, *, selected: VariantChoice | None, **extra) -> str:
    """The public product page for PRODUCT with SELECTED chosen. Extra values reach the template
    (a preview's banner, say)."""
    page_url = external_url(url_for("catalog.product_detail", slug=product.slug))
    return render_template(
        "catalog/detail.html", product=product, selected=selected, canonical_url=page_url,
        json_ld=script_json(product_json_ld(product, page_url=page_url)),
        sizes=option_values(product, selected, "size") if selected else [],
        scents=option_values(product, selected, "scent") if selected else [],
        **extra,
    )
