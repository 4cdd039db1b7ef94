"""Every model, imported in one place so Alembic and the shell see the whole schema."""
from app.accounts.models import Role, User
from app.admin.models import AuditEntry
from app.cart.models import Cart, CartLine
from app.catalog.models import Product, ProductImage, ProductRedirect, StockMovement, StockReason, Variant
from app.contact.models import ContactReport, ReportKind, ReportStatus
from app.content.models import Article, ContentRedirect, Page, article_products
from app.core.models import HomePage
from app.discounts.models import DiscountCode, DiscountUse, discount_code_products
from app.mail.models import OutboxMessage
from app.orders.models import Order, OrderEvent, OrderLine, OrderStatus
from app.payments.models import PaymentEvent
from app.reviews.models import Review, ReviewInvitation
from app.studio.models import Revision

__all__ = [
    "Article",
    "AuditEntry",
    "ContactReport",
    "ContentRedirect",
    "ReportKind",
    "ReportStatus",
    "Revision",
    "Role",
    "User",
    "Cart",
    "CartLine",
    "DiscountCode",
    "DiscountUse",
    "HomePage",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OrderStatus",
    "OutboxMessage",
    "Page",
    "PaymentEvent",
    "Product",
    "ProductImage",
    "ProductRedirect",
    "Review",
    "ReviewInvitation",
    "StockMovement",
    "StockReason",
    "Variant",
    "article_products",
    "discount_code_products",
]
