"""Signed values (the session cookie, the CSRF token, the cart cookie), with their serializers
made once.

itsdangerous builds a signer and derives its key (one more HMAC) on every dumps and loads, and
tries to compress every payload; for the few short values a page signs, that work cost a
product page a twentieth of its time. The values are the same as itsdangerous makes them, so
Flask, Flask-WTF and cookies already in browsers read them as before.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache

from flask import current_app, g, session
from itsdangerous import Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.serializer import Serializer

_derived_keys: dict[tuple, bytes] = {}
# Below this, zlib never makes the JSON shorter, so itsdangerous' attempt is wasted.
_WORTH_COMPRESSING = 128


class _DerivedKeys:
    """A signer that derives each key once per process: the key depends only on the secret,
    the salt and the method."""

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        secret = self.secret_keys[-1] if secret_key is None else want_bytes(secret_key)
        cache_key = (secret, self.salt, self.key_derivation, self.digest_method)
        try:
            return _derived_keys[cache_key]
        except KeyError:
            derived = _derived_keys[cache_key] = super().derive_key(secret)
            return derived


class _Signer(_DerivedKeys, Signer):
    pass


class _TimestampSigner(_DerivedKeys, TimestampSigner):
    pass


class _ShortPayloads:
    """A URL-safe serializer that does not try to compress a payload too short to gain from it."""

    def dump_payload(self, obj) -> bytes:
        payload = Serializer.dump_payload(self, obj)  # the JSON, before the URL-safe mixin compresses it
        if len(payload) < _WORTH_COMPRESSING:
            return base64_encode(payload)
        return super().dump_payload(obj)


class _URLSafeSerializer(_ShortPayloads, URLSafeSerializer):
    default_signer = _Signer


class _URLSafeTimedSerializer(_ShortPayloads, URLSafeTimedSerializer):
    default_signer = _TimestampSigner


@lru_cache(maxsize=64)
def timed_serializer(secret_keys: tuple[str | bytes, ...], salt: str, serializer=None,
                     signer_kwargs: tuple[tuple[str, object], ...] = ()) -> URLSafeTimedSerializer:
    """URLSafeTimedSerializer(list(secret_keys), salt, ...), made once. Keys oldest first, as
    itsdangerous signs with the last; serializer None means JSON."""
    return _URLSafeTimedSerializer(list(secret_keys), salt=salt, serializer=serializer,
                                   signer_kwargs=dict(signer_kwargs))


@lru_cache(maxsize=64)
def untimed_serializer(secret_key: str | bytes, salt: str) -> URLSafeSerializer:
    """URLSafeSerializer(secret_key, salt), made once."""
    return _URLSafeSerializer(secret_key, salt=salt)


def csrf_token() -> str:
    """Flask-WTF's generate_csrf with its serializer made once: the same token, checked by
    Flask-WTF as before. Templates call it as csrf_token()."""
    config = current_app.config
    field_name = config["WTF_CSRF_FIELD_NAME"]
    if field_name not in g:
        if field_name not in session:
            session[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        secret_key = config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
        setattr(g, field_name, timed_serializer((secret_key,), "wtf-csrf-token").dumps(session[field_name]))
    return g.get(field_name)
