"""Flask extensions, created unbound so create_app can bind them to any app."""
from flask import request
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True)  # batch mode lets SQLite alter tables
csrf = CSRFProtect()
compress = Compress()  # HTML and JSON for clients that accept br or gzip (COMPRESS_* in config.py)


login_manager = LoginManager()
login_manager.login_view = "accounts.sign_in"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = None  # app/accounts/protection.py checks in the user loader


# Storage comes from RATELIMIT_STORAGE_URI: memory by default, Redis when REDIS_URL is set.
limiter = Limiter(key_func=get_remote_address)


@limiter.request_filter
def _reads_are_not_rate_limited() -> bool:
    """Every limit here guards a form POST, so reads skip the limiter's per-request bookkeeping."""
    return request.method in ("GET", "HEAD", "OPTIONS")
