"""Security headers on every response, and the role guard on every staff route."""
from functools import wraps

from flask import Flask, abort
from flask_login import current_user

from app import caching
from app.accounts.models import Role
from app.extensions import login_manager

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self' https://checkout.stripe.com",  # POST /checkout redirects there
        "frame-ancestors 'none'",
    ]
)


def register_security_headers(app: Flask) -> None:
    app.add_template_global(has_role)

    security_headers = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    ]
    if app.config.get("SESSION_COOKIE_SECURE"):
        security_headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))

    app.wsgi_app = SecurityHeaders(app.wsgi_app, security_headers,
                                   default_cache_control=("Cache-Control", caching.DEFAULT))


class SecurityHeaders:
    """WSGI middleware adding fixed headers to every response, errors included, and a
    Cache-Control header to those that set none (see app.caching).

    Added, not merged: no view sets the fixed ones. Appending ready-made tuples at start_response
    costs a fraction of adding them to each response object, which validates every value again."""

    def __init__(self, wsgi_app, headers: list[tuple[str, str]], *,
                 default_cache_control: tuple[str, str]) -> None:
        self.wsgi_app = wsgi_app
        self.headers = headers
        self.default_cache_control = default_cache_control

    def __call__(self, environ, start_response):
        def start_response_with_headers(status, headers, exc_info=None):
            cache_control = next((value for name, value in headers if name.lower() == "cache-control"), None)
            if cache_control is None:
                headers.append(self.default_cache_control)
            elif cache_control.startswith("public"):
                caching.keep_shareable(headers)
            headers.extend(self.headers)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, start_response_with_headers)


def role_required(*roles: str):
    """Let in signed-in staff whose role is listed (admins always); others get sign-in or 403."""
    allowed = {Role(role) for role in roles} | {Role.admin}

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in allowed:
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return decorate


def has_role(user, *roles: str) -> bool:
    """For templates: should this user see links to screens for these roles?"""
    return user.is_authenticated and (user.role is Role.admin or user.role.value in roles)
