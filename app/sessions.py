"""Flask's signed-cookie session, without set-up work it repeats on every request."""
from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer

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
