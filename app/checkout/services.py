"""Turning a cart into an order: shipping choices, the price snapshot and the stock hold."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy.orm import Session

from app.cart.models import Cart
from app.cart.services import CartSummary, cart_discount, fit_cart_to_stock, line_problem, remove_ordered_items, summarise
from app.catalog.services import OutOfStock
from app.db import hold_row, utcnow
from app.discounts.services import DiscountError
from app.orders import payment_journey as journey
from app.orders import shipping
from app.orders.gateway import Gateway
from app.orders.models import Order, OrderStatus
from app.orders.services import LineSnapshot, OrderDiscount, ShippingChoice, create_order, get_order, live_checkout
from app.orders.signals import payment_recorded


class CheckoutError(Exception):
    """The cart cannot be checked out as it is; the message is written for the shopper."""


class CartChanged(CheckoutError):
    """The cart was adjusted to what can be bought; the shopper should look again."""

    def __init__(self, changes: list[str]) -> None:
        super().__init__(" ".join(changes))
        self.changes = changes


class EmailNeeded(CheckoutError):
    """The cart's code is limited per customer, so checkout needs the shopper's email."""


class CheckoutInProgress(CheckoutError):
    """The cart already has a payment page open: one cart, one live checkout."""

    def __init__(self, order: Order) -> None:
        super().__init__("You have a payment in progress for this cart: continue paying, or cancel it first.")
        self.order = order

    def same_items_as(self, cart: Cart) -> bool:
        return ({line.variant_id: line.quantity for line in self.order.lines}
                == {line.variant_id: line.quantity for line in cart.lines})


def shipping_choices(summary: CartSummary) -> list[ShippingChoice]:
    """Each method at its price for this cart, with every country's delivery estimate: the address
    (and so the country) is entered later, on the payment page. Standard shipping is free from a
    subtotal (after the code's discount), or with a free-shipping code."""
    offer = summary.offer
    choices = []
    for method in shipping.METHODS.values():
        name, amount, discount = method.name, method.amount_minor, 0
        if method.code == "standard" and summary.discounted_subtotal_minor >= shipping.FREE_STANDARD_FROM_MINOR:
            name, amount = f"Free {shipping.mid_sentence(name)}", 0
        elif method.code == "standard" and offer is not None and offer.free_shipping:
            discount = amount
        choices.append(ShippingChoice(code=method.code, name=name, amount_minor=amount, discount_minor=discount,
                                      estimates=method.estimates(), restriction=method.restriction))
    return choices


def free_shipping_gap(summary: CartSummary) -> int:
    """How much more the items must come to for free standard shipping (0 once they do)."""
    offer = summary.offer
    if offer is not None and offer.free_shipping:
        return 0
    return max(0, shipping.FREE_STANDARD_FROM_MINOR - summary.discounted_subtotal_minor)


def price_cart(session: Session, *, cart: Cart, email: str = "") -> CartSummary:
    """The cart's figures with its code; CheckoutError if the code no longer applies, so nobody
    checks out expecting a discount they would not get."""
    currency = current_app.config["SHOP_CURRENCY"]
    discount = cart_discount(session, cart=cart, currency=currency, email=email)
    if discount is not None and discount.offer is None:
        raise CheckoutError(f"{discount.problem} Remove the code to check out without it.")
    return summarise(cart, currency=currency, discount=discount)


def ready_cart(session: Session, *, cart: Cart | None) -> Cart:
    """The cart if it can be checked out as it stands; otherwise fix it and say what changed.
    A cart whose payment page is still open goes back to that payment (CheckoutInProgress)."""
    if cart is None or not cart.lines:
        raise CheckoutError("Your cart is empty.")
    live = live_checkout(session, cart_token=cart.token)
    if live is not None:
        raise CheckoutInProgress(live)
    if any(line_problem(line) for line in cart.lines):
        raise CartChanged(fit_cart_to_stock(session, cart=cart))
    return cart


def place_order(session: Session, *, cart: Cart | None, shipping_code: str, email: str,
                user_id: int | None = None) -> Order:
    """A pending order priced from the database, with its stock held; the caller commits.

    The cart row stays locked until then, so a double click or a second tab waits here and then
    finds the first one's order (CheckoutInProgress) instead of opening a second payment page.
    """
    if cart is not None:
        hold_row(session, Cart, cart.id)
    cart = ready_cart(session, cart=cart)
    summary = price_cart(session, cart=cart, email=email)
    shipping = next((choice for choice in shipping_choices(summary) if choice.code == shipping_code), None)
    if shipping is None:
        raise CheckoutError("Please choose a shipping option.")
    offer = summary.offer
    if offer is not None and offer.per_customer_limit is not None and not email:
        raise EmailNeeded(f"Enter your email address: the code {offer.code} is limited per customer.")
    discount = OrderDiscount(code_id=offer.code_id, code=offer.code, goods_minor=offer.goods_minor) if offer else None
    lines = [
        LineSnapshot(
            variant_id=line.variant_id,
            product_name=line.variant.product.name,
            variant_label=line.variant.label,
            sku=line.variant.sku,
            unit_price_minor=line.variant.price_minor,
            quantity=line.quantity,
        )
        for line in cart.lines
    ]
    try:
        with session.begin_nested():
            expires_at = utcnow() + timedelta(minutes=current_app.config["CHECKOUT_EXPIRY_MINUTES"])
            return create_order(session, lines=lines, shipping=shipping, email=email, user_id=user_id,
                                currency=current_app.config["SHOP_CURRENCY"], cart_token=cart.token,
                                expires_at=expires_at, discount=discount)
    except DiscountError as error:  # the last use went to another checkout a moment ago
        raise CheckoutError(f"{error} Remove the code to check out without it.") from None
    except OutOfStock:
        # Someone bought the last units a moment ago: show the shopper the cart as it now stands.
        session.expire_all()
        raise CartChanged(fit_cart_to_stock(session, cart=cart) or
                          ["Some items sold out while you were checking out."]) from None


def leave_checkout(session: Session, *, gateway: Gateway, cart_token: str) -> bool:
    """The shopper cancels the payment in progress from their cart: its page is closed at the
    provider and the stock released (or, if it was paid after all, that is applied)."""
    live = live_checkout(session, cart_token=cart_token)
    if live is None:
        return False
    return journey.abandon(session, gateway=gateway, order_id=live.id, actor="shopper",
                           reason="The shopper cancelled the payment from their cart.")


@payment_recorded.connect
def empty_cart_of_order(session: Session, *, order_id: int) -> None:
    """The order is bought (paid, or a delayed payment settling): what it bought leaves the cart it came
    from, anything added since stays. Held money waits for staff, and the cart with it."""
    order = get_order(session, order_id=order_id)
    if order.cart_token and order.status not in (OrderStatus.payment_review, OrderStatus.cancelled):
        remove_ordered_items(session, token=order.cart_token,
                             quantities={line.variant_id: line.quantity for line in order.lines if line.variant_id})
