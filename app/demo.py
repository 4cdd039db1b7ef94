"""Loads the demo catalogue, Learn articles and pages from app/demo_data into an empty shop."""
from __future__ import annotations

import tomllib
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Role
from app.accounts.services import register
from app.catalog.models import Product, ProductImage, Variant
from app.catalog.services import receive_stock, save_product, set_bundle_components
from app.content.services import save_article, save_page

DEMO_DATA = Path(__file__).parent / "demo_data"
# Local demo sign-ins, printed by `flask seed-demo` in development; never created in production.
DEMO_STAFF = (
    ("admin@tidewater.example", Role.admin, "demo-admin-pass"),
    ("fulfilment@tidewater.example", Role.fulfilment, "demo-fulfilment-pass"),
    ("marketing@tidewater.example", Role.marketing, "demo-marketing-pass"),
)


def read_front_matter(path: Path) -> tuple[dict, str]:
    """Split a `+++` TOML front-matter block from the Markdown body after it."""
    _, front, body = path.read_text(encoding="utf-8").split("+++", 2)
    return tomllib.loads(front), body.strip() + "\n"


def load_demo_data(session: Session) -> bool:
    """Fill an empty shop; returns False (and changes nothing) if it has products already."""
    if session.scalar(select(func.count(Product.id))):
        return False
    catalogue = tomllib.loads((DEMO_DATA / "products.toml").read_text(encoding="utf-8"))
    sets = {}
    for entry in catalogue["products"]:
        sets.update(_load_product(session, entry))
    skus = dict(session.execute(select(Variant.sku, Variant.id)).all())
    for set_id, components in sets.items():
        set_bundle_components(session, bundle_variant_id=set_id,
                              components={skus[sku]: quantity for sku, quantity in components.items()})
    for path in sorted((DEMO_DATA / "articles").glob("*.md")):
        meta, body = read_front_matter(path)
        save_article(
            session,
            slug=meta["slug"],
            title=meta["title"],
            summary=meta["summary"],
            body_markdown=body,
            sources=meta.get("sources", []),
            reviewed_on=meta["reviewed_on"],
            position=meta.get("position", 0),
            product_slugs=meta.get("related_products", []),
        )
    for path in sorted((DEMO_DATA / "pages").glob("*.md")):
        meta, body = read_front_matter(path)
        save_page(session, slug=meta["slug"], title=meta["title"],
                  summary=meta.get("summary", ""), body_markdown=body)
    for email, role, password in DEMO_STAFF:
        register(session, email=email, password=password, name=role.value.capitalize(), role=role)
    return True


def _load_product(session: Session, entry: dict) -> dict[int, dict[str, int]]:
    """Save a product and its variants; returns its sets' components ({set variant id: {SKU:
    quantity}}) to link once every product is in."""
    entry = dict(entry)
    sets = {}
    images = entry.pop("images", [])
    variants = entry.pop("variants", [])
    entry["is_featured"] = entry.pop("featured", False)
    product = save_product(session, **entry)
    product.images = [
        ProductImage(path=image["path"], alt=image["alt"], position=index)
        for index, image in enumerate(images)
    ]
    image_by_path = {image.path: image for image in product.images}
    for variant_entry in variants:
        variant_entry = dict(variant_entry)
        variant_entry["image"] = image_by_path[variant_entry["image"]] if "image" in variant_entry else None
        stock = variant_entry.pop("stock", 0)
        components = variant_entry.pop("components", None)
        variant_entry["compare_at_minor"] = variant_entry.get("compare_at_minor") or None
        variant = Variant(product=product, stock_on_hand=0, **variant_entry)
        session.add(variant)
        session.flush()
        if stock:
            receive_stock(session, variant_id=variant.id, quantity=stock, note="Opening stock")
        if components:
            sets[variant.id] = components
    return sets
