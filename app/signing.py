"""Signed values (the session cookie, the CSRF token, the cart cookie), with their serializers
made once.

itsdangerous builds a signer and derives its key (one more HMAC) on every dumps and loads, and
tries to compress every payload; for the few short values a page signs, that work cost a
product page a twentieth of its time. The values are the same as itsdangerous makes them, so
Flask, Flask-WTF and cookies already in browsers read them as before.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
from functools import lru_cache

from flask import current_app, g, session
from flask.json.tag import TaggedJSONSerializer
from itsdangerous import Signer, TimestampSigner, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode, want_bytes
from itsdangerous.serializer import Serializer
from itsdangerous.signer import HMACAlgorithm

_derived_keys: dict[tuple, bytes] = {}
# A payload this short seldom compresses (the shop's tokens and sessions never did), so
# itsdangerous' attempt is skipped; readers accept either form.
_WORTH_COMPRESSING = 128


class _OneCallHMAC(HMACAlgorithm):
    def get_signature(self, key: bytes, value: bytes) -> bytes:
        return hmac.digest(key, value, self.digest_method)


class _DerivedKeys:
    """A signer that derives each key once per process (the key depends only on the secret, the
    salt and the method) and signs with hmac.digest rather than through an hmac object."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if type(self.algorithm) is HMACAlgorithm:
            self.algorithm = _OneCallHMAC(self.digest_method)

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
    """A URL-safe serializer that makes its signer once, not on every call (a signer keeps no state
    between uses), and does not try to compress a payload too short to gain from it."""

    def make_signer(self, salt: str | bytes | None = None):
        signers = self.__dict__.setdefault("_signers", {})
        try:
            return signers[salt]
        except KeyError:
            signer = signers[salt] = super().make_signer(salt)
            return signer

    def dump_payload(self, obj) -> bytes:
        payload = Serializer.dump_payload(self, obj)  # the JSON, before the URL-safe mixin compresses it
        if len(payload) < _WORTH_COMPRESSING:
            return base64_encode(payload)
        return super().dump_payload(obj)


class _URLSafeSerializer(_ShortPayloads, URLSafeSerializer):
    default_signer = _Signer


class _URLSafeTimedSerializer(_ShortPayloads, URLSafeTimedSerializer):
    default_signer = _TimestampSigner


_PLAIN_JSON = (str, int, bool, type(None))


class SessionSerializer(TaggedJSONSerializer):
    """Flask's session serializer. A session of plain values (the CSRF token, the signed-in
    user) skips its tagging, which cost more than signing, and comes out the same as Flask makes it:
    JSON with sorted keys and no spaces. Anything else (flashed messages are tuples) is tagged."""

    def dumps(self, value: dict) -> str:
        if all(type(item) in _PLAIN_JSON and type(key) is str and not key.startswith(" ")
               for key, item in value.items()):
            return _SORTED_COMPACT_JSON(value)
        return super().dumps(value)


# Encoders made once: json.dumps given any option builds a new encoder on every call.
_SORTED_COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), sort_keys=True).encode


class _CompactJSON:
    """itsdangerous' default serializer for URL-safe values, with its encoder made once."""

    dumps = staticmethod(json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode)
    loads = staticmethod(json.loads)


@lru_cache(maxsize=64)
def timed_serializer(secret_keys: tuple[str | bytes, ...], salt: str, serializer=None,
                     signer_kwargs: tuple[tuple[str, object], ...] = ()) -> URLSafeTimedSerializer:
    """URLSafeTimedSerializer(list(secret_keys), salt, ...), made once. Keys oldest first, as
    itsdangerous signs with the last; serializer None means JSON."""
    return _URLSafeTimedSerializer(list(secret_keys), salt=salt, serializer=serializer or _CompactJSON,
                                   signer_kwargs=dict(signer_kwargs))


@lru_cache(maxsize=64)
def untimed_serializer(secret_key: str | bytes, salt: str) -> URLSafeSerializer:
    """URLSafeSerializer(secret_key, salt), made once."""
    return _URLSafeSerializer(secret_key, salt=salt, serializer=_CompactJSON)


def csrf_token() -> str:
    """Flask-WTF's generate_csrf with its serializer made once: the same token, checked by
    Flask-WTF as before. Templates call it as csrf_token()."""
    # One context lookup each, where every use of a proxy looks it up again.
    app, request_globals = current_app._get_current_object(), g._get_current_object()
    stored = session._get_current_object()
    field_name = app.config["WTF_CSRF_FIELD_NAME"]
    if field_name not in request_globals:
        if field_name not in stored:
            stored[field_name] = hashlib.sha1(os.urandom(64)).hexdigest()
        secret_key = app.config.get("WTF_CSRF_SECRET_KEY", app.secret_key)  # as Flask-WTF reads it
        setattr(request_globals, field_name,
                timed_serializer((secret_key,), "wtf-csrf-token").dumps(stored[field_name]))
    return getattr(request_globals, field_name)
