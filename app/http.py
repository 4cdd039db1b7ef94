"""Flask's request and response classes, without the exceptions werkzeug raises and catches on
every request.

werkzeug answers a lookup of a missing query value, cookie or header by raising and catching a
BadRequestKeyError, which costs about 8,700 CPU instructions each time: a page asked for a
missing `?variant=`, for the absent session cookie of a first visit, and twice for a missing
response header, on every request. And it checks the Host header against the trusted hosts by
IDNA-encoding each of them again on every request.
"""
from __future__ import annotations

from functools import lru_cache

from flask import Request, Response
from werkzeug.datastructures import Headers, ImmutableMultiDict
from werkzeug.sansio.utils import get_host
from werkzeug.utils import cached_property


class RequestValues(ImmutableMultiDict):
    """Query values, form values and cookies; get() asks `in` (a dict lookup) before werkzeug's."""

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's name)
        if key not in self:
            return default
        return super().get(key, default, type)


class ShopRequest(Request):
    parameter_storage_class = RequestValues
    dict_storage_class = RequestValues

    @cached_property
    def host(self) -> str:
        trusted = self.trusted_hosts
        return _checked_host(self.scheme, self.headers.get("host"), self.server,
                             None if trusted is None else tuple(trusted))


@lru_cache(maxsize=256)  # a few hosts serve a shop; an unknown one only evicts, or raises uncached
def _checked_host(scheme: str, host_header: str | None, server: tuple | None,
                  trusted_hosts: tuple[str, ...] | None) -> str:
    return get_host(scheme, host_header, server, trusted_hosts)


class ResponseHeaders(Headers):
    """Response headers whose `in` and get() look through the few headers a response has."""

    def __contains__(self, key) -> bool:
        name = key.lower()
        return any(existing.lower() == name for existing, _value in self)

    def get(self, key, default=None, type=None):  # noqa: A002 (werkzeug's name)
        if key not in self:
            return default
        return super().get(key, default, type)


class ShopResponse(Response):
    def __init__(self, response=None, status=None, headers=None, *args, **kwargs) -> None:
        if not isinstance(headers, Headers):
            headers = ResponseHeaders(headers)
        super().__init__(response, status, headers, *args, **kwargs)
