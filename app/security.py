"""Security headers on every response, and the role guard on every staff route."""
from functools import wraps

from flask import Flask, Response, abort
from flask_login import current_user

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

    @app.after_request
    def _security_headers(response: Response) -> Response:
        # Added, not merged: no view sets these, and checking first costs more than the page's SQL.
        response.headers.extend(security_headers)
        return response


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
