"""Flask's request and response classes, without the exceptions werkzeug raises and catches on
every request.

werkzeug answers a lookup of a missing query value, cookie or header by raising and catching a
BadRequestKeyError, which costs about 8,700 CPU instructions each time: a page asked for a
missing `?variant=`, for the absent session cookie of a first visit, and twice for a missing
response header, on every request.
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Request, Response
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.utils import cached_property


class _GetWithoutRaising:
    """get() that asks `in` first, so a missing key returns the default without werkzeug's
    raised-and-caught exception."""

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's name)
        if key not in self:
            return default
        return super().get(key, default, type)  # type: ignore[misc]


class RequestValues(_GetWithoutRaising, ImmutableMultiDict):
    """Query values, form values and cookies (`in` is a dict lookup)."""


class ShopRequest(Request):
    parameter_storage_class = RequestValues
    dict_storage_class = RequestValues

    @cached_property
    def args(self) -> RequestValues:
        """werkzeug's query values, but a raw byte that is not UTF-8 (sent by hand: browsers
        %-escape it) stays %-escaped, as werkzeug keeps an escaped one, where werkzeug's strict
        decoding raised and made a 500 of any page that read a query value."""
        return self.parameter_storage_class(parse_qsl(
            self.query_string.decode(errors="werkzeug.url_quote"), keep_blank_values=True,
            errors="werkzeug.url_quote"))


class ResponseHeaders(_GetWithoutRaising, Headers):
    """Response headers whose `in` looks through the few headers a response has."""

    def __contains__(self, key) -> bool:
        name = key.lower()
        return any(existing.lower() == name for existing, _value in self)


class ShopResponse(Response):
    def __init__(self, response=None, status=None, headers=None, *args, **kwargs) -> None:
        if not isinstance(headers, Headers):
            headers = ResponseHeaders(headers)
        super().__init__(response, status, headers, *args, **kwargs)
