"""The cart cookie: a random cart token, signed so a shopper cannot guess another's cart."""
from __future__ import annotations

import secrets

from flask import Response, current_app, g, request
from itsdangerous import BadSignature, URLSafeSerializer



def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="cart-token")


def new_cart_token() -> str:
    return secrets.token_urlsafe(32)


def read_cart_token() -> str | None:
    """The token from this request's cart cookie, or None if absent or tampered with."""
    if "cart_token" not in g:
        raw = request.cookies.get(current_app.config["CART_COOKIE_NAME"])
        token = None
        if raw:
            try:
                token = _serializer().loads(raw)
            except BadSignature:
                token = None
        g.cart_token = token if isinstance(token, str) else None
    return g.cart_token


def signed_cart_token(token: str) -> str:
    """The cookie value for a cart token."""
    return _serializer().dumps(token)


def remember_cart_token(response: Response, token: str) -> None:
    config = current_app.config
    response.set_cookie(
        config["CART_COOKIE_NAME"],
        signed_cart_token(token),
        max_age=config["CART_COOKIE_MAX_AGE"],
        httponly=True,
        secure=config["SESSION_COOKIE_SECURE"],
        samesite="Lax",
    )


def forget_cart_token(response: Response) -> None:
    response.delete_cookie(current_app.config["CART_COOKIE_NAME"])
