"""Flask extensions, created unbound so create_app can bind them to any app."""
import flask_login
from flask import request, session
from flask_limiter import Limiter
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
# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reads_are_not_rate_limited() -> bool:
    """Every limit here guards a form POST, so reads skip the limiter's per-request bookkeeping."""
    return request.method in ("GET", "HEAD", "OPTIONS")
