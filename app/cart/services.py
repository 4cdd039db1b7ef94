"""The cart's rules: what may be added, how much, and what the shopper is told when things change."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from app.cart.models import Cart, CartLine
from app.catalog.models import Product, Variant
from app.db import Reader
from app.discounts.services import DiscountError, Line, Offer, check_uses, find_code, offer

MAX_QUANTITY_PER_LINE = 10


class CartError(Exception):
    """A cart rule was broken; the message is written for the shopper."""


def get_cart(session: Session, *, token: str | None) -> Cart | None:
    """The cart with its lines, variants, products and images loaded in one query."""
    if not token:
        return None
    query = (
        select(Cart)
        .where(Cart.token == token)
        .options(
            joinedload(Cart.lines)
            .joinedload(CartLine.variant)
            .joinedload(Variant.product)
            .joinedload(Product.images)
        )
    )
    return session.scalars(query).unique().first()


# Built once: the header shows the count on every page of a shopper with a cart.
_ITEM_COUNT = (
    select(func.coalesce(func.sum(CartLine.quantity), 0))
    .join(Cart, Cart.id == CartLine.cart_id)
    .where(Cart.token == bindparam("token"))
)


def item_count(reader: Reader, *, token: str | None) -> int:
    if not token:
        return 0
    return int(reader.scalar(_ITEM_COUNT, {"token": token}))


def create_cart(session: Session, *, token: str, user_id: int | None = None) -> Cart:
    cart = Cart(token=token, user_id=user_id)
    session.add(cart)
    session.flush()
    return cart


def variant_sku(session: Session, *, variant_id: int) -> str | None:
    return session.scalar(select(Variant.sku).where(Variant.id == variant_id))


def variant_to_add(session: Session, *, variant_id: int) -> Variant:
    """The variant a shopper is about to add, with its product; CartError if it can't be bought."""
    return _purchasable_variant(session, variant_id)


def _purchasable_variant(session: Session, variant_id: int) -> Variant:
    variant = session.scalars(
        select(Variant).where(Variant.id == variant_id).options(joinedload(Variant.product))
    ).first()
    if variant is None or not variant.is_listed:
        raise CartError("Sorry, that item is not available.")
    if variant.is_sold_out:
        raise CartError(f"{variant.product.name} ({variant.label}) is sold out.")
    return variant


def _check_quantity(variant: Variant, quantity: int, *, already_in_cart: int = 0) -> None:
    limit = min(MAX_QUANTITY_PER_LINE, variant.stock_available)
    if quantity < 1:
        raise CartError("Quantity must be at least 1.")
    if already_in_cart + quantity <= limit:
        return
    reason = (
        f"only {variant.stock_available} left in stock"
        if variant.stock_available < MAX_QUANTITY_PER_LINE
        else f"the limit is {MAX_QUANTITY_PER_LINE} per item"
    )
    held = f" and you already have {already_in_cart} in your cart" if already_in_cart else ""
    raise CartError(f"You can't have {already_in_cart + quantity}: {reason}{held}.")


def add_item(session: Session, *, cart: Cart, variant_id: int, quantity: int) -> CartLine:
    variant = _purchasable_variant(session, variant_id)
    line = next((line for line in cart.lines if line.variant_id == variant.id), None)
    if line is not None:
        _check_quantity(variant, quantity, already_in_cart=line.quantity)
        line.quantity += quantity
    else:
        _check_quantity(variant, quantity)
        line = CartLine(variant=variant, quantity=quantity, seen_price_minor=variant.price_minor)
        try:
            # A savepoint, so a double-clicked "Add" racing this one cannot break the transaction.
            with session.begin_nested():
                cart.lines.append(line)
                session.flush()
        except IntegrityError:
            raise CartError("Your cart changed at the same moment; please try again.") from None
    line.seen_price_minor = variant.price_minor
    session.flush()
    return line


def _own_line(cart: Cart | None, line_id: int) -> CartLine:
    line = next((line for line in cart.lines if line.id == line_id), None) if cart else None
    if line is None:
        raise CartError("That item is no longer in your cart.")
    return line


def set_quantity(session: Session, *, cart: Cart | None, line_id: int, quantity: int) -> CartLine:
    line = _own_line(cart, line_id)
    _check_quantity(line.variant, quantity)
    line.quantity = quantity
    line.seen_price_minor = line.variant.price_minor
    session.flush()
    return line


def remove_line(session: Session, *, cart: Cart | None, line_id: int) -> CartLine:
    line = _own_line(cart, line_id)
    cart.lines.remove(line)
    session.flush()
    return line


@dataclass(frozen=True)
class CartDiscount:
    """The code in the cart's code box: what it takes off now, or why it does not apply."""

    code: str
    offer: Offer | None
    problem: str = ""


@dataclass(frozen=True)
class CartSummary:
    subtotal_minor: int
    currency: str
    item_count: int
    has_problems: bool
    discount: CartDiscount | None = None

    @property
    def offer(self) -> Offer | None:
        """What the cart's code takes off, if it applies now."""
        return self.discount.offer if self.discount else None

    @property
    def goods_discount_minor(self) -> int:
        return self.offer.goods_minor if self.offer else 0

    @property
    def discounted_subtotal_minor(self) -> int:
        """The items after the code: what free shipping is measured against."""
        return self.subtotal_minor - self.goods_discount_minor


def summarise(cart: Cart | None, *, currency: str, discount: CartDiscount | None = None) -> CartSummary:
    lines = cart.lines if cart else []
    return CartSummary(
        subtotal_minor=sum(line.total_minor for line in lines),
        currency=currency,
        item_count=sum(line.quantity for line in lines),
        has_problems=any(line_problem(line) for line in lines),
        discount=discount,
    )


def discount_lines(cart: Cart) -> list[Line]:
    return [Line(product_id=line.variant.product_id, total_minor=line.total_minor) for line in cart.lines]


def _offer_for(session: Session, cart: Cart, *, text: str, currency: str, email: str) -> Offer:
    code = find_code(session, text=text)
    found = offer(code, lines=discount_lines(cart), currency=currency)
    check_uses(session, code=code, email=email)
    return found


def cart_discount(session: Session, *, cart: Cart | None, currency: str, email: str = "") -> CartDiscount | None:
    """The cart's code as it stands now (the cart may have changed since it was entered)."""
    if cart is None or not cart.discount_code:
        return None
    try:
        return CartDiscount(cart.discount_code, _offer_for(session, cart, text=cart.discount_code,
                                                           currency=currency, email=email))
    except DiscountError as error:
        return CartDiscount(cart.discount_code, None, str(error))


def apply_code(session: Session, *, cart: Cart | None, text: str, currency: str, email: str = "") -> Offer:
    """Put a code in the cart if it applies to it now; CartError says why not."""
    if cart is None or not cart.lines:
        raise CartError("Add something to your cart before entering a discount code.")
    try:
        found = _offer_for(session, cart, text=text, currency=currency, email=email)
    except DiscountError as error:
        raise CartError(str(error)) from None
    cart.discount_code = found.code
    session.flush()
    return found


def remove_code(session: Session, *, cart: Cart | None) -> None:
    if cart is not None and cart.discount_code:
        cart.discount_code = ""
        session.flush()


def line_problem(line: CartLine) -> str | None:
    """What stops this line being bought as it is, in the shopper's words."""
    variant = line.variant
    if not variant.is_listed:
        return "This item is no longer available. Please remove it."
    if variant.is_sold_out:
        return "This item has sold out since you added it. Please remove it."
    if line.quantity > variant.stock_available:
        return f"Only {variant.stock_available} left in stock. Please lower the quantity."
    return None


def claim_cart(session: Session, *, token: str | None, user_id: int) -> Cart | None:
    """On sign-in: the shopper's saved cart with this browser's guest cart merged into it.

    Merged quantities are capped by the usual rules (the per-line limit and the stock).
    """
    guest = get_cart(session, token=token)
    if guest is not None and guest.user_id not in (None, user_id):
        guest = None  # another account's cart, left in this browser: not ours to take
    saved = session.scalars(
        select(Cart).where(Cart.user_id == user_id).order_by(Cart.updated_at.desc())
    ).first()
    if saved is None or (guest is not None and guest.id == saved.id):
        if guest is not None:
            guest.user_id = user_id
            session.flush()
        return guest
    for line in list(guest.lines) if guest else []:
        existing = next((own for own in saved.lines if own.variant_id == line.variant_id), None)
        wanted = line.quantity + (existing.quantity if existing else 0)
        allowed = min(wanted, MAX_QUANTITY_PER_LINE, line.variant.stock_available)
        if allowed <= 0 or not line.variant.is_listed:
            continue
        if existing is not None:
            existing.quantity = allowed
        else:
            saved.lines.append(CartLine(variant=line.variant, quantity=allowed,
                                        seen_price_minor=line.seen_price_minor))
    if guest is not None:
        session.delete(guest)
    session.flush()
    return saved


def fit_cart_to_stock(session: Session, *, cart: Cart) -> list[str]:
    """Lower or drop lines that can no longer be bought as they are; says what changed."""
    changes = []
    for line in list(cart.lines):
        variant = line.variant
        name = f"{variant.product.name} ({variant.label})"
        if not variant.is_listed or variant.is_sold_out:
            cart.lines.remove(line)
            changes.append(f"{name} is no longer available, so we removed it from your cart.")
        elif line.quantity > variant.stock_available:
            line.quantity = variant.stock_available
            changes.append(f"Only {variant.stock_available} of {name} left, so we lowered your quantity.")
        elif line.price_changed:
            line.seen_price_minor = variant.price_minor
    session.flush()
    return changes


def remove_ordered_items(session: Session, *, token: str, quantities: dict[int, int]) -> None:
    """Take what was just paid for out of the cart it came from, leaving anything added since. Its
    discount code went with the order."""
    cart = get_cart(session, token=token)
    if cart is None:
        return
    cart.discount_code = ""
    for line in list(cart.lines):
        ordered = quantities.get(line.variant_id, 0)
        if ordered >= line.quantity:
            cart.lines.remove(line)
        elif ordered:
            line.quantity -= ordered
    session.flush()
