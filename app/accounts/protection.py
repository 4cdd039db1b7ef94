"""Session protection: a signed-in session works only in the browser that signed in.

Flask-Login's own "strong" mode compares a hash of address and browser too, but it also
rewrote a guest's session (which holds only a CSRF token) on every page, and cleared a session
restored from the remember-me cookie on the page after. The shop turns that mode off and checks
in its user loader, Flask-Login's documented hook, instead."""
from __future__ import annotations

import hashlib

from flask import g, request, session

from app.accounts.models import User
from app.accounts.services import load_user
from app.extensions import db

_BROWSER = "browser"


def _browser() -> str:
    seen = f"{request.remote_addr or ''}|{request.headers.get('User-Agent', '')}"
    return hashlib.sha256(seen.encode()).hexdigest()[:32]


def bind_session_to_browser() -> None:
    """At sign-in: the session now works only from this address and browser."""
    session[_BROWSER] = _browser()


def load_signed_in_user(user_id: str) -> User | None:
    """Flask-Login's user loader. A session taken to another browser loads no one. A session
    without a binding (one the remember-me cookie is restoring) is bound to this browser."""
    if session.get(_BROWSER, _browser()) != _browser():
        return None
    user = load_user(db.session, user_id=user_id)
    if user is not None and _BROWSER not in session:
        bind_session_to_browser()
    g.signed_in_user_id = user.id if user else None  # for the request's log line (app/observability.py)
    return user
