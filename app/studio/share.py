"""Signed "share preview" links: a reviewer without an account reads one revision for 7 days."""
from __future__ import annotations

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SHARE_DAYS = 7
_SALT = "studio-share-preview"


class ShareLinkInvalid(Exception):
    pass


def share_token(secret_key: str, *, revision_id: int) -> str:
    return URLSafeTimedSerializer(secret_key, salt=_SALT).dumps({"revision": revision_id})


def revision_id_from(secret_key: str, token: str, *, max_age_seconds: int = SHARE_DAYS * 86400) -> int:
    """The revision a link names; ShareLinkInvalid if it was altered or is older than 7 days."""
    try:
        data = URLSafeTimedSerializer(secret_key, salt=_SALT).loads(token, max_age=max_age_seconds)
    except SignatureExpired:
        raise ShareLinkInvalid("This preview link has expired: ask for a new one.") from None
    except BadSignature:
        raise ShareLinkInvalid("This preview link is not valid.") from None
    if not isinstance(data, dict) or not isinstance(data.get("revision"), int):
        raise ShareLinkInvalid("This preview link is not valid.")
    return data["revision"]
