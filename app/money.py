"""Money as integer minor units plus a currency; the one place that formats it."""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision

from flask import current_app


def to_major(amount_minor: int, currency: str) -> Decimal:
    """Minor units to a Decimal in major units (1600 USD -> 16.00)."""
    return Decimal(amount_minor).scaleb(-get_currency_precision(currency))


def format_money(amount_minor: int, currency: str, locale: str | None = None) -> str:
    return _formatted(amount_minor, currency, locale or current_app.config["SHOP_LOCALE"])


@lru_cache(maxsize=4096)
def _formatted(amount_minor: int, currency: str, locale: str) -> str:
    # Babel re-reads the locale's pattern on every call; a shop shows the same few prices all day.
    return format_currency(to_major(amount_minor, currency), currency, locale=locale)


def register_money_filter(app) -> None:
    locale = app.config["SHOP_LOCALE"]

    def money(amount_minor: int, currency: str) -> str:
        return _formatted(amount_minor, currency, locale)

    app.add_template_filter(money, "money")


# What a money column (PostgreSQL INTEGER) holds: $21,474,836.47.
MAX_MINOR = 2**31 - 1


def parse_money(text: str, currency: str) -> int:
    """Staff-typed amount ("12.50", "$12.50") to minor units; ValueError if it isn't one, or if
    it is more than a money column holds."""
    cleaned = (text or "").strip().lstrip("$").strip()
    if "," in cleaned:  # "10,00" means ten in much of the world, a thousand in the US: ask
        raise ValueError(f"Write {text!r} without commas, with a dot for cents (e.g. 1250.00).")
    try:
        amount = Decimal(cleaned)
    except ArithmeticError:
        raise ValueError(f"{text!r} is not an amount.") from None
    if not amount.is_finite():
        raise ValueError(f"{text!r} is not an amount.")
    if amount and amount.adjusted() > 20:  # 1e309 and the like: far past the bound below
        raise ValueError(f"{text!r} is more than the shop can record.")
    if amount and amount.adjusted() < -20:
        raise ValueError(f"{text!r} has more decimal places than {currency} allows.")
    minor = amount.scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{text!r} has more decimal places than {currency} allows.")
    if abs(minor) > MAX_MINOR:
        raise ValueError(f"{text!r} is more than the shop can record ({to_major(MAX_MINOR, currency)}).")
    return int(minor)
