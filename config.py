"""Settings for each environment, read from the process environment (and `.env`)."""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from dotenv import load_dotenv

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))

load_dotenv(BASE_DIR / ".env")


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _development_secret_key() -> str:
    """A random key kept in instance/, so sessions survive restarts without a key in the repo."""
    key_file = INSTANCE_DIR / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def engine_options(database_url: str) -> dict:
    """SQLAlchemy engine options for this database: on PostgreSQL, the pool and time limits from
    the environment (README, "Running against PostgreSQL")."""
    # Connections are recycled rather than pinged before each request: a ping is one more round
    # trip on every page, and a connection the server dropped fails one request, then reconnects.
    options: dict = {"pool_recycle": int(os.environ.get("DATABASE_POOL_RECYCLE_SECONDS", "1800"))}
    if not database_url.startswith("postgresql"):
        return options
    # Per process (each gunicorn worker), and twice over: the storefront's read engine has its own.
    options.update(pool_size=int(os.environ.get("DATABASE_POOL_SIZE", "5")),
                   max_overflow=int(os.environ.get("DATABASE_MAX_OVERFLOW", "10")),
                   # Well under the worker timeout: a request that cannot get a connection fails fast.
                   pool_timeout=float(os.environ.get("DATABASE_POOL_TIMEOUT_SECONDS", "10")))
    # A runaway query is cancelled by the server before gunicorn kills the worker waiting on it.
    timeout_ms = int(os.environ.get("DATABASE_STATEMENT_TIMEOUT_MS", "20000"))
    connect_args: dict = {"connect_timeout": int(os.environ.get("DATABASE_CONNECT_TIMEOUT_SECONDS", "5")),
                          "options": f"-c statement_timeout={timeout_ms}"}
    if not _env_bool("DATABASE_PREPARED_STATEMENTS", True):
        # psycopg prepares a query after five runs on a connection; a pooler that hands each
        # transaction a different server connection (PgBouncer before 1.21 in transaction mode) cannot follow.
        connect_args["prepare_threshold"] = None
    return {**options, "connect_args": connect_args}


class Config:
    SHOW_DEMO_SIGN_INS = False
    SHOP_NAME = os.environ.get("SHOP_NAME", "Tidewater Magnesium Co.")
    SHOP_CURRENCY = "USD"
    SHOP_LOCALE = os.environ.get("SHOP_LOCALE", "en_US")
    # Staff and shoppers see times in this zone (app/dates.py); the database keeps UTC.
    SHOP_TIMEZONE = os.environ.get("SHOP_TIMEZONE", "America/New_York")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'shop.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = engine_options(SQLALCHEMY_DATABASE_URI)
    SECRET_KEY = os.environ.get("SECRET_KEY")
    WTF_CSRF_TIME_LIMIT = None  # a form left open for hours still submits; the token is session-bound
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    CART_COOKIE_NAME = "cart"
    CART_COOKIE_MAX_AGE = 60 * 60 * 24 * 30
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY")
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE")
    CHECKOUT_EXPIRY_MINUTES = 45  # Stripe accepts 30 minutes to 24 hours
    # Each call to Stripe waits at most this long for an answer and is tried this many more times:
    # the library's own 80 s and 2 retries outlast the worker timeout, and a killed worker shows
    # the shopper a bare 500 instead of the "payment service unavailable" page.
    STRIPE_TIMEOUT_SECONDS = float(os.environ.get("STRIPE_TIMEOUT_SECONDS", "10"))
    STRIPE_MAX_NETWORK_RETRIES = int(os.environ.get("STRIPE_MAX_NETWORK_RETRIES", "1"))
    # gunicorn's --timeout (its default is 30 s): change both together.
    WORKER_TIMEOUT_SECONDS = int(os.environ.get("WORKER_TIMEOUT_SECONDS", "30"))
    # Shipping countries, rates and delivery estimates: app/orders/shipping.py.
    REDIS_URL = os.environ.get("REDIS_URL")
    # Observability (docs/operations.md): log format, /readyz's patience, who may read /metrics.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")  # "json": one JSON object per line
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    READINESS_TIMEOUT_SECONDS = float(os.environ.get("READINESS_TIMEOUT_SECONDS", "2"))
    METRICS_TOKEN = os.environ.get("METRICS_TOKEN")  # or "Authorization: Bearer <token>" from anywhere
    METRICS_ALLOWED_ADDRESSES = [address.strip() for address in os.environ.get(
        "METRICS_ALLOWED_ADDRESSES", "127.0.0.1,::1").split(",") if address.strip()]
    PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR")  # gunicorn.conf.py sets it
    RATELIMIT_STORAGE_URI = REDIS_URL or "memory://"
    # Background jobs (app/jobs): seconds between a failed job's retries (email: 1 min, 5 min,
    # 30 min, 2 h, then it waits in the admin's failed jobs for a retry by hand).
    JOB_RETRY_INTERVALS = [int(seconds) for seconds in os.environ.get("JOB_RETRY_INTERVALS", "60,300,1800,7200").split(",")]
    # Stated, not left to the default: the limiter is one object for every app in the process, and
    # an app created with limits off (the browser tests' server) must not leave them off for the next.
    RATELIMIT_ENABLED = True
    # How many proxies (load balancer, nginx) sit in front: their X-Forwarded-* headers are
    # trusted for the client's address and scheme. Without it, rate limits would be per proxy.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    # The shop's public address (https://shop.example.com). External links (password resets,
    # canonical URLs, the sitemap, Stripe's return pages) are built on it rather than on the
    # request's Host header, and requests for other hosts are refused: a forged Host header would
    # otherwise put another domain into a password-reset email. EXTRA_HOSTS lists other names the
    # app answers to, such as the address a load balancer's health check uses.
    SHOP_URL = os.environ.get("SHOP_URL")
    EXTRA_HOSTS = [host.strip() for host in os.environ.get("EXTRA_HOSTS", "").split(",") if host.strip()]
    RATELIMIT_HEADERS_ENABLED = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", False)
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", True)
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "orders@tidewater.example")
    # Who hears of contact messages, and of reaction reports (a serious one has a legal reporting
    # deadline, so it may go to whoever handles product safety).
    SHOP_STAFF_EMAIL = os.environ.get("SHOP_STAFF_EMAIL") or MAIL_DEFAULT_SENDER
    SHOP_SAFETY_EMAIL = os.environ.get("SHOP_SAFETY_EMAIL") or SHOP_STAFF_EMAIL
    UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads"))
    # Room for a 10 MB image (app.catalog.images.MAX_BYTES) and the form around it; more is a 413.
    MAX_CONTENT_LENGTH = 11 * 1024 * 1024
    MAIL_OUTBOX_DIR = os.environ.get("MAIL_OUTBOX_DIR", str(INSTANCE_DIR / "outbox"))
    PREFERRED_URL_SCHEME = "http"
    # The shared page cache (app.pagecache): in Redis with REDIS_URL, else in each process.
    PAGE_CACHE_ENABLED = _env_bool("PAGE_CACHE_ENABLED", True)
    PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "3600"))  # a page's longest stay
    PAGE_CACHE_SHARED_MAX_AGE = int(os.environ.get("PAGE_CACHE_SHARED_MAX_AGE", "60"))  # a CDN's (s-maxage)
    # Without Redis, each process's copy: another process's change cannot empty it, so it is short.
    PAGE_CACHE_LOCAL_SECONDS = int(os.environ.get("PAGE_CACHE_LOCAL_SECONDS", "10"))
    PAGE_CACHE_PREFIX = os.environ.get("PAGE_CACHE_PREFIX", "pagecache")  # its Redis keys' prefix
    # HTML (and JSON) compressed by Flask-Compress for clients that accept it.
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_BR_LEVEL = 5
    STATIC_FILES_WHITENOISE = False  # production serves static/ with WhiteNoise (app.caching)
    # Reviews: buyers are invited this many days after their order ships; the emailed link works this long.
    REVIEW_INVITATION_DAYS = int(os.environ.get("REVIEW_INVITATION_DAYS", "7"))
    REVIEW_LINK_MAX_AGE_DAYS = int(os.environ.get("REVIEW_LINK_MAX_AGE_DAYS", "60"))

    @classmethod
    def init_app(cls, app) -> None:
        """Finish settings that need the app, or refuse settings unsafe for this environment."""


class DevelopmentConfig(Config):
    DEBUG = True
    SHOW_DEMO_SIGN_INS = True  # `flask` commands run with debug off, so DEBUG can't say this

    @classmethod
    def init_app(cls, app) -> None:
        if not app.config["SECRET_KEY"]:
            app.config["SECRET_KEY"] = _development_secret_key()


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    SQLALCHEMY_ENGINE_OPTIONS = engine_options(SQLALCHEMY_DATABASE_URI)
    WTF_CSRF_ENABLED = True
    # Tests choose their payment provider and mail explicitly, whatever the shell exports.
    STRIPE_SECRET_KEY = None
    STRIPE_WEBHOOK_SECRET = None
    STRIPE_API_BASE = None
    MAIL_SERVER = None
    REDIS_URL = None  # jobs run inline; tests/jobs set a Redis database of their own
    SHOP_STAFF_EMAIL = "staff@tidewater.example"
    SHOP_SAFETY_EMAIL = "safety@tidewater.example"
    SHOP_URL = None  # tests that need one set it (tests/core/test_public_address.py)
    EXTRA_HOSTS: list[str] = []
    PAGE_CACHE_ENABLED = False  # tests of cached pages turn it on (tests/pagecache/)


class ProductionConfig(Config):
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")
    SESSION_COOKIE_SECURE = _env_bool("SESSION_COOKIE_SECURE", True)
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PREFERRED_URL_SCHEME = "https"
    STATIC_FILES_WHITENOISE = True

    @classmethod
    def init_app(cls, app) -> None:
        problems = []
        config = app.config
        if not config["SECRET_KEY"] or len(config["SECRET_KEY"]) < 32:
            problems.append("SECRET_KEY must be set to a random value of at least 32 characters")
        if "DATABASE_URL" not in os.environ:
            problems.append("DATABASE_URL must be set")
        if not config["SHOP_URL"]:
            problems.append("SHOP_URL must be set to the shop's public address, e.g. https://shop.example.com")
        if not (config["STRIPE_SECRET_KEY"] and config["STRIPE_WEBHOOK_SECRET"]):
            problems.append("STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET must be set "
                            "(the built-in test gateway takes no real payments)")
        problems.extend(_payment_wait_problems(config))
        if not config["MAIL_SERVER"]:
            problems.append("MAIL_SERVER must be set: order confirmations, password resets and "
                            "reaction reports go by email (without it they are only written to files)")
        for setting in ("MAIL_DEFAULT_SENDER", "SHOP_SAFETY_EMAIL"):
            if _is_placeholder_address(config[setting]):
                problems.append(f"{setting} must be the shop's own address, not {config[setting]!r}"
                                + (" (reaction reports go there, and a serious one has a legal reporting deadline)"
                                   if setting == "SHOP_SAFETY_EMAIL" else ""))
        if problems:
            raise RuntimeError("Unsafe production configuration: " + "; ".join(problems))


# Time a request needs beside waiting for Stripe: the pause before a retry (0.5 s at first),
# the database, rendering the page.
WORKER_TIMEOUT_HEADROOM_SECONDS = 10


def _payment_wait_problems(config) -> list[str]:
    """Refuse Stripe timeouts whose worst case (every attempt waiting the full timeout) does not
    end well before the worker timeout, when the worker would be killed mid-checkout."""
    timeout, retries = config["STRIPE_TIMEOUT_SECONDS"], config["STRIPE_MAX_NETWORK_RETRIES"]
    if timeout <= 0 or retries < 0:
        return ["STRIPE_TIMEOUT_SECONDS must be above zero and STRIPE_MAX_NETWORK_RETRIES zero or more"]
    worst_case = timeout * (retries + 1)
    limit = config["WORKER_TIMEOUT_SECONDS"] - WORKER_TIMEOUT_HEADROOM_SECONDS
    if worst_case > limit:
        return [f"STRIPE_TIMEOUT_SECONDS x (STRIPE_MAX_NETWORK_RETRIES + 1) = {worst_case:g} s must be at most "
                f"{limit:g} s, {WORKER_TIMEOUT_HEADROOM_SECONDS} s under WORKER_TIMEOUT_SECONDS "
                f"({config['WORKER_TIMEOUT_SECONDS']} s, gunicorn's --timeout), or a hanging payment service "
                "gets the worker killed and the shopper a bare error page"]
    return []


def _is_placeholder_address(address: str | None) -> bool:
    """Empty, or at a domain reserved for examples, like the defaults above."""
    return not address or address.rstrip(">").lower().endswith(".example")


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_environment() -> type[Config]:
    name = os.environ.get("FLASK_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"FLASK_CONFIG must be one of {sorted(CONFIGS)}, not {name!r}") from None
