"""The link to an order's status page that the order's emails carry: signed, so a guest needs no sign-in.

It shows only what the order's own page shows its holder, changes nothing, and lasts long enough for
a parcel to arrive and a return to be asked about (STATUS_LINK_DAYS). The token signs the order's
number, so it opens that order only.
"""
from __future__ import annotations

from flask import current_app, has_request_context, url_for
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.orders.models import Order

STATUS_LINK_DAYS = 120


class StatusLinkExpired(Exception):
    """The link was ours and has run out."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="order-status")


def status_token(order: Order) -> str:
    return _serializer().dumps(order.number)


def signed_number(token: str) -> str | None:
    """The order number the token was signed for, or None if it is not one of ours; raises
    StatusLinkExpired for one of ours that has run out."""
    try:
        number = _serializer().loads(token, max_age=STATUS_LINK_DAYS * 24 * 60 * 60)
    except SignatureExpired:
        raise StatusLinkExpired from None
    except BadSignature:
        return None
    return number if isinstance(number, str) else None


def status_url(order: Order) -> str:
    """The absolute address of the order's page for its emails: the account's order page when the
    order belongs to an account, else the signed page. '' where no absolute address can be made
    (a command run without SHOP_URL, in development)."""
    if not has_request_context() and not current_app.config.get("SERVER_NAME"):
        return ""
    if order.user_id is not None:
        return url_for("accounts.order_detail", number=order.number, _external=True)
    return url_for("accounts.order_status", number=order.number, token=status_token(order), _external=True)
