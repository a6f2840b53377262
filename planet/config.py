"""Configuration from environment variables, with working development defaults."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key"  # noqa: S105 - refused in production
LOG_FORMATS = ("json", "text")


class ConfigError(RuntimeError):
    """Raised when the configuration is unsafe or incomplete for the chosen mode."""


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def _float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return default if value in (None, "") else float(value)


def _str(name: str, default: str) -> str:
    value = os.environ.get(name)
    return default if value in (None, "") else value


def load_config() -> dict:
    """Read every setting the app, the workers and payments read; each has a development
    default here (code reads `current_app.config["NAME"]`, never a default of its own)."""
    env = os.environ.get("PLANET_ENV", "development")
    var_dir = Path(os.environ.get("PLANET_VAR_DIR", ROOT / "var"))
    redis_url = os.environ.get("REDIS_URL", "")
    stripe_base = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8420")
    config = {
        "PLANET_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY),
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "DATABASE_URL", f"sqlite:///{var_dir / 'planet.db'}"
        ),
        # No ping before each checkout (a round trip per request): connections are recycled
        # before servers or firewalls drop idle ones, and a connection found dead invalidates
        # the whole pool, so a database restart costs one failed request per process.
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": _bool("DATABASE_POOL_PRE_PING", False),
            "pool_recycle": _int("DATABASE_POOL_RECYCLE", 1800),
        },
        "REDIS_URL": redis_url,
        "VAR_DIR": str(var_dir),
        "UPLOAD_DIR": os.environ.get("UPLOAD_DIR", str(var_dir / "uploads")),
        # Where uploads live (planet/storage.py): this machine's UPLOAD_DIR, or an S3 bucket.
        "STORAGE_BACKEND": _str("STORAGE_BACKEND", "local"),
        "S3_ENDPOINT_URL": _str("S3_ENDPOINT_URL", ""),
        "S3_BUCKET": _str("S3_BUCKET", ""),
        "S3_REGION": _str("S3_REGION", "us-east-1"),
        "S3_ACCESS_KEY_ID": _str("S3_ACCESS_KEY_ID", ""),
        "S3_SECRET_ACCESS_KEY": _str("S3_SECRET_ACCESS_KEY", ""),
        "S3_ADDRESSING_STYLE": _str("S3_ADDRESSING_STYLE", "path"),
        # Proxies in front of the app that set X-Forwarded-For/-Proto/-Host (0: none trusted).
        # Behind exactly one reverse proxy (docker-compose's Caddy) all three are 1.
        "PROXY_FIX_X_FOR": _int("PROXY_FIX_X_FOR", 0),
        "PROXY_FIX_X_PROTO": _int("PROXY_FIX_X_PROTO", 0),
        "PROXY_FIX_X_HOST": _int("PROXY_FIX_X_HOST", 0),
        # How many web processes serve this database (gunicorn reads it too).
        "WEB_CONCURRENCY": _int("WEB_CONCURRENCY", 1),
        # One image (topic, check-in): refused beside its field with the limit in MB. The whole
        # request may hold a topic's nine images and its text, so a form page answers with the
        # form and the reason rather than a bare 413 (planet/images.py).
        "UPLOAD_MAX_BYTES": _int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
        # One file of the planet's library (PDF, Office, ZIP, audio, video): refused beside its
        # field with the limit in MB; a request may carry one at full size.
        "FILE_MAX_BYTES": _int("MAX_FILE_BYTES", 50 * 1024 * 1024),
        "MAX_CONTENT_LENGTH": _int(
            "MAX_REQUEST_BYTES",
            max(
                10 * _int("MAX_UPLOAD_BYTES", 5 * 1024 * 1024),
                _int("MAX_FILE_BYTES", 50 * 1024 * 1024),
            )
            + 1024 * 1024,
        ),
        "MAX_IMAGE_PIXELS": _int("MAX_IMAGE_PIXELS", 40_000_000),
        "BASE_URL": os.environ.get("BASE_URL", "http://127.0.0.1:5000"),
        # Sessions and cookies
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _bool("SESSION_COOKIE_SECURE", env == "production"),
        "WTF_CSRF_TIME_LIMIT": _int("CSRF_TIME_LIMIT_SECONDS", 3600 * 8),
        # Rate limits (Redis storage when REDIS_URL is set)
        "RATELIMIT_ENABLED": _bool("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", redis_url or "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Namespaces the counters when several Planet installations share one Redis.
        "RATELIMIT_KEY_PREFIX": _str("RATELIMIT_KEY_PREFIX", "planet"),
        # Redis down must not take log-in down: count in memory until it is back.
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_STORAGE_OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute;50 per hour"),
        "SIGNUP_RATE_LIMIT": os.environ.get("SIGNUP_RATE_LIMIT", "5 per minute;30 per hour"),
        "ACCOUNT_LOGIN_RATE_LIMIT": _str("ACCOUNT_LOGIN_RATE_LIMIT", "10 per 15 minutes"),
        "COUPON_ATTEMPT_RATE_LIMIT": _str("COUPON_ATTEMPT_RATE_LIMIT", "10 per hour"),
        "RESET_RATE_LIMIT": _str("RESET_RATE_LIMIT", "5 per minute;20 per hour"),
        "RESET_PER_EMAIL_RATE_LIMIT": _str("RESET_PER_EMAIL_RATE_LIMIT", "3 per hour"),
        "RESEND_VERIFICATION_RATE_LIMIT": _str(
            "RESEND_VERIFICATION_RATE_LIMIT", "3 per 10 minutes"
        ),
        # Accounts: how long emailed links stay valid, the largest avatar
        "VERIFY_EMAIL_MAX_AGE": _int("VERIFY_EMAIL_MAX_AGE", 3 * 24 * 3600),  # three days
        "RESET_PASSWORD_MAX_AGE": _int("RESET_PASSWORD_MAX_AGE", 3600),  # one hour
        "AVATAR_MAX_BYTES": _int("AVATAR_MAX_BYTES", 2 * 1024 * 1024),
        # i18n
        "LANGUAGES": ["zh", "en"],
        "BABEL_DEFAULT_LOCALE": os.environ.get("DEFAULT_LOCALE", "zh"),
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        # Mail (SMTP; a local catcher in development and tests)
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": _int("MAIL_PORT", 8025),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS", False),
        "MAIL_USE_SSL": _bool("MAIL_USE_SSL", False),
        "MAIL_TIMEOUT": _float("MAIL_TIMEOUT", 10.0),
        "OUTBOX_ASYNC_MARKS": _bool("OUTBOX_ASYNC_MARKS", False),
        "MAIL_DEFAULT_SENDER": os.environ.get(
            "MAIL_DEFAULT_SENDER", "Planet <no-reply@planet.local>"
        ),
        "MAIL_CATCHER_DIR": os.environ.get("MAIL_CATCHER_DIR", str(var_dir / "mail")),
        # Money
        "PLATFORM_FEE_BPS": _int("PLATFORM_FEE_BPS", 500),
        "REFUND_WINDOW_HOURS": _int("REFUND_WINDOW_HOURS", 72),
        "PAYMENT_ACTION_TIMEOUT_MINUTES": _int("PAYMENT_ACTION_TIMEOUT_MINUTES", 30),
        "SUPPORTED_CURRENCIES": ["cny", "usd", "eur", "hkd"],
        "STRIPE_API_BASE": stripe_base,
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/"),
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", "sk_test_planet_dev"),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", "pk_test_planet_dev"),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_planet_dev"),
        # Stripe Connect transfers: on by default only against the real Stripe API.
        "STRIPE_CONNECT_ENABLED": _bool("STRIPE_CONNECT_ENABLED", "api.stripe.com" in stripe_base),
        "STRIPE_LIVEMODE": _bool("STRIPE_LIVEMODE", False),
        # Workers
        "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", redis_url or ""),
        "CELERY_ALWAYS_EAGER": _bool(
            "CELERY_ALWAYS_EAGER", not (redis_url or os.environ.get("CELERY_BROKER_URL"))
        ),
        # Redis transport: a task whose worker died unacknowledged is redelivered after the
        # visibility timeout; live workers look for such tasks every restore interval.
        "CELERY_VISIBILITY_TIMEOUT": _int("CELERY_VISIBILITY_TIMEOUT", 3600),
        "CELERY_UNACKED_RESTORE_INTERVAL": _int("CELERY_UNACKED_RESTORE_INTERVAL", 10),
        "CELERY_BROKER_KEYPREFIX": _str("CELERY_BROKER_KEYPREFIX", ""),
        "DIGEST_BATCH_SIZE": _int("DIGEST_BATCH_SIZE", 500),  # members per digest task
        # Importing existing members (planet/members/imports.py)
        "IMPORT_MAX_ROWS": _int("IMPORT_MAX_ROWS", 10_000),
        "IMPORT_MAX_BYTES": _int("IMPORT_MAX_BYTES", 2 * 1024 * 1024),
        "IMPORT_CHUNK_SIZE": _int("IMPORT_CHUNK_SIZE", 500),  # invitations per worker job
        # Pages
        "PAGE_SIZE": _int("PAGE_SIZE", 20),
        # A font with Chinese glyphs for the invitation poster (empty: the usual Noto CJK paths).
        "POSTER_FONT": _str("POSTER_FONT", ""),
        # How long a prepared export (a ZIP of a planet or of one person's data) can be downloaded.
        "EXPORT_RETENTION_DAYS": _int("EXPORT_RETENTION_DAYS", 7),
        "FRAGMENT_CACHE_SIZE": _int("FRAGMENT_CACHE_SIZE", 4096),  # 0 switches it off
        # Next-event strip and popular hashtags, per planet and process (web/shortcache.py)
        "SHORT_CACHE_SECONDS": _int("SHORT_CACHE_SECONDS", 10),
        # Member reading pages shared per standing class (planet/web/pagecache.py): entries
        # per process, about 30-60 KB each; 0 turns the cache off.
        "PAGE_CACHE_SIZE": _int("PAGE_CACHE_SIZE", 512),
        # Public pages for visitors without a session (planet/web/anoncache.py)
        "ANON_CACHE_SECONDS": _int("ANON_CACHE_SECONDS", 30),
        "HEALTH_LIVE_MAX_MEMBERS": _int("HEALTH_LIVE_MAX_MEMBERS", 2000),
        # Logs and metrics (planet/logs.py, planet/metrics.py, workers/metrics.py)
        "LOG_FORMAT": _str("LOG_FORMAT", "json" if env == "production" else "text").lower(),
        "LOG_LEVEL": _str("LOG_LEVEL", "INFO").upper(),
        "METRICS_TOKEN": _str("METRICS_TOKEN", ""),
        "WORKER_METRICS_PORT": _int("WORKER_METRICS_PORT", 0),  # 0: no worker endpoint
        # Read by prometheus_client itself when it is imported; here so it is documented and
        # visible in the config. One empty directory per service (web, worker).
        "PROMETHEUS_MULTIPROC_DIR": _str("PROMETHEUS_MULTIPROC_DIR", ""),
    }
    if config["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}")
    return config


def check_production_safety(config: dict) -> None:
    """Refuse to start in production with development secrets."""
    if config.get("PLANET_ENV") != "production":
        return
    if config.get("SECRET_KEY") in (None, "", DEFAULT_SECRET_KEY) or len(config["SECRET_KEY"]) < 32:
        raise ConfigError(
            "SECRET_KEY must be set to a random value of 32+ characters in production"
        )
    if config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        raise ConfigError("production needs DATABASE_URL pointing at PostgreSQL")
    if config.get("STORAGE_BACKEND", "local") == "local" and config.get("WEB_CONCURRENCY", 1) > 1:
        raise ConfigError(
            "several web processes cannot share local uploads: set STORAGE_BACKEND=s3 "
            "(or WEB_CONCURRENCY=1 on a single machine)"
        )
