"""Dates and times as the shop's locale writes them (en_US: "Nov 25, 2026"), for templates."""
from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date, format_datetime
from flask import Flask


@lru_cache(maxsize=1024)
def _date(value: date, style: str, locale: str) -> str:
    return format_date(value, format=style, locale=locale)


@lru_cache(maxsize=1024)
def _datetime(value: datetime, style: str, locale: str) -> str:
    return format_datetime(value, format=style, tzinfo="UTC", locale=locale) + " UTC"


def register_date_filters(app: Flask) -> None:
    """`{{ d | date }}` (medium, e.g. Nov 25, 2026), `| date("long")`, and `| datetime` in UTC."""
    locale = app.config["SHOP_LOCALE"]

    def date_filter(value: date | datetime, style: str = "medium") -> str:
        return _date(value.date() if isinstance(value, datetime) else value, style, locale)

    def datetime_filter(value: datetime, style: str = "short") -> str:
        return _datetime(value, style, locale)

    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_filter, "datetime")
