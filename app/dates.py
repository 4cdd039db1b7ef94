"""Dates and times as the shop's locale writes them (en_US: "Nov 25, 2026"), in the shop's time zone, for templates.

Times are stored in UTC; they are shown in SHOP_TIMEZONE only here, by the `date` and `datetime` filters.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_timezone_name
from flask import Flask, current_app


@lru_cache(maxsize=1024)
def _date(value: date, style: str, locale: str) -> str:
    return format_date(value, format=style, locale=locale)


@lru_cache(maxsize=1024)
def _datetime(value: datetime, style: str, zone: ZoneInfo, locale: str) -> str:
    # "EST" or "EDT" as the moment had it: a bare "ET" would hide which offset the time is in.
    return (format_datetime(value, format=style, tzinfo=zone, locale=locale) + " "
            + get_timezone_name(value.astimezone(zone), width="short", zone_variant=None, locale=locale,
                                return_zone=False))


def shop_zone() -> ZoneInfo:
    """SHOP_TIMEZONE, for code that counts by the shop's days (the dashboard, date filters)."""
    return ZoneInfo(current_app.config["SHOP_TIMEZONE"])


def from_shop_time(moment: datetime | None) -> datetime | None:
    """A time staff typed in a form (naive, on the shop's clock) as the UTC moment it is stored as."""
    return moment.replace(tzinfo=shop_zone()).astimezone(timezone.utc) if moment else None


def to_shop_time(moment: datetime | None) -> datetime | None:
    """A stored UTC moment as a form shows it: naive, on the shop's clock."""
    return _aware(moment).astimezone(shop_zone()).replace(tzinfo=None) if moment else None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)  # stored times are UTC


def register_date_filters(app: Flask) -> None:
    """`{{ d | date }}` (medium, e.g. Nov 25, 2026), `| date("long")`, and `| datetime`, in SHOP_TIMEZONE."""
    locale = app.config["SHOP_LOCALE"]
    zone = ZoneInfo(app.config["SHOP_TIMEZONE"])

    def date_filter(value: date | datetime, style: str = "medium") -> str:
        # A moment's date is the day it fell on in the shop's zone: 11 pm in New York is not tomorrow.
        day = _aware(value).astimezone(zone).date() if isinstance(value, datetime) else value
        return _date(day, style, locale)

    def datetime_filter(value: datetime | None, style: str = "short") -> str:
        return _datetime(_aware(value), style, zone, locale) if value is not None else ""

    app.add_template_filter(date_filter, "date")
    app.add_template_filter(datetime_filter, "datetime")
