"""Flask extensions, created unbound so create_app can bind them to any app."""
from functools import partial

import flask_limiter
import flask_login
from flask import Flask, current_app, request, session
from flask_limiter._compat import request_context
from flask_limiter.util import get_remote_address
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)  # batch mode lets SQLite alter tables
csrf = CSRFProtect()


class LoginManager(flask_login.LoginManager):
    """Flask-Login's manager (pinned in requirements.txt: these override its private methods).

    It answers "anonymous" at once for a visitor who sends no cookie at all: there is no session
    or remember-me cookie to load a user from, and the full check (signals, session protection's
    hash of address and browser) cost a light page 6% of its time."""

    def _load_user(self):
        if not request.cookies:
            return self._update_request_context_with_user()
        return super()._load_user()

    def _session_protection_failed(self):
        # Only a session that holds a sign-in has anything to protect. A guest's holds just its
        # CSRF token, which "strong" protection took for a stolen sign-in on every page: each
        # answer rewrote the session and deleted the remember-me cookie.
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()

    def _load_user_from_remember_cookie(self, cookie):
        user = super()._load_user_from_remember_cookie(cookie)
        if user is not None:
            # Flask-Login restores the session without the browser identifier that "strong"
            # session protection compares, so the next request cleared it: "Keep me signed in"
            # lasted one page after the browser was closed.
            session["_id"] = self._session_identifier_generator()
        return user


login_manager = LoginManager()
login_manager.login_view = "accounts.sign_in"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "strong"


class Limiter(flask_limiter.Limiter):
    """Flask-Limiter (pinned in requirements.txt: this finds its hooks on the app), without the
    work it does on every request for limits the shop does not set.

    Every limit here decorates its view, and a decorated view checks its own limits. The check
    the limiter also runs before every request enforces default, application-wide and blueprint
    limits; its after-request and teardown hooks add headers and deductions for the limits a
    request met. Together they cost a light page 7% of its time. So the check goes, and the other
    two run only after a request that met a limit. Setting RATELIMIT_DEFAULT or
    RATELIMIT_APPLICATION keeps all three; a limit on a whole blueprint would need them too.
    (With RATELIMIT_ENABLED off the limiter adds no hooks at all.)"""

    def init_app(self, app: Flask) -> None:
        super().init_app(app)
        if app.config.get("RATELIMIT_DEFAULT") or app.config.get("RATELIMIT_APPLICATION"):
            return
        before, after = app.before_request_funcs[None], app.after_request_funcs[None]
        teardown = app.teardown_request_funcs[None]
        if self._check_request_limit in before:
            before.remove(self._check_request_limit)
        after[:] = [_after_a_limit(hook) if isinstance(hook, partial) and hook.args == (self,) else hook
                    for hook in after]
        teardown[:] = [_after_a_limit(hook) if hook == self._Limiter__release_context else hook
                       for hook in teardown]


def _after_a_limit(hook):
    """The hook, run only in a request where a limit was checked (which makes the limiter's context)."""

    def run_if_limited(value):
        # On the context itself: through its proxy a missing attribute raises in Python.
        if hasattr(request_context()._get_current_object(), "_limiter_request_context"):
            return hook(value)
        return value

    return run_if_limited


# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reads_are_not_rate_limited() -> bool:
    """Every limit here guards a form POST, so reads skip the limiter's per-request bookkeeping."""
    return request.method in ("GET", "HEAD", "OPTIONS")
