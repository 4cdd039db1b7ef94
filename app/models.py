"""Every model, imported in one place so Alembic and the shell see the whole schema."""
from app.cart.models import Cart, CartLine
from app.catalog.models import Product, ProductImage, StockMovement, StockReason, Variant
from app.content.models import Article, Page, article_products

__all__ = [
    "Article",
    "Cart",
    "CartLine",
    "Page",
    "Product",
    "ProductImage",
    "StockMovement",
    "StockReason",
    "Variant",
    "article_products",
]
