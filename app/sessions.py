"""Flask's signed-cookie session, without set-up work it repeats on every request."""
from __future__ import annotations

from functools import lru_cache

from flask import Flask, Request, Response
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from itsdangerous import URLSafeTimedSerializer
from werkzeug.http import dump_cookie

from app.signing import SessionSerializer, timed_serializer


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask builds a new signing serializer on every request, even for a visitor who has no
    session cookie, and building one costs more than signing with it. This keeps one per set of
    keys (see app.signing) and skips it when there is nothing to read."""

    serializer = SessionSerializer()

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)  # the current key last
        return timed_serializer(keys, self.salt, self.serializer,
                                (("key_derivation", self.key_derivation), ("digest_method", self.digest_method)))

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Flask's, with the cookie's attributes written once per set of settings. A first visit
        to a page with a form stores its CSRF token: the session's cookie was formatted and its
        Vary header parsed and rewritten on every such request, a fifteenth of a product page's
        time. What this covers (a changed, non-empty, non-permanent session) gives the same
        headers as Flask; anything else goes to Flask."""
        if not session or not session.modified or session.permanent:
            return super().save_session(app, session, response)
        name = self.get_cookie_name(app)
        value = self.get_signing_serializer(app).dumps(dict(session))  # URL-safe: never quoted
        if len(value) > _SHORT_COOKIE:  # Flask warns of a cookie browsers may drop
            return super().save_session(app, session, response)
        attributes = _cookie_attributes(
            name, self.get_cookie_domain(app), self.get_cookie_path(app), self.get_cookie_secure(app),
            self.get_cookie_httponly(app), self.get_cookie_samesite(app), self.get_cookie_partitioned(app))
        response.headers.add("Set-Cookie", f"{name}={value}{attributes}")
        if response.headers.get("Vary"):
            response.vary.add("Cookie")
        else:
            response.headers["Vary"] = "Cookie"


_SHORT_COOKIE = 2048


@lru_cache(maxsize=16)
def _cookie_attributes(name: str, domain: str | None, path: str, secure: bool, httponly: bool,
                       samesite: str | None, partitioned: bool) -> str:
    """What follows `name=value` in the Set-Cookie header werkzeug writes for these settings."""
    header = dump_cookie(name, "", domain=domain, path=path, secure=secure, httponly=httponly,
                         samesite=samesite, partitioned=partitioned)
    return header.removeprefix(f"{name}=")
