"""docker-compose.yml against the code: every service's command, health check and environment.

There is no Docker engine on the test machine, so the file is read as data and checked against
what the code does: the settings `planet/config.py` (and the other modules) read from the
environment, the production refusals, gunicorn's port, the Celery queues, the proxy's limits.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from planet.config import ConfigError, check_production_safety, load_config

ROOT = Path(__file__).resolve().parents[2]
PLANET_SERVICES = ("migrate", "web", "worker", "beat")

# Settings the production stack deliberately leaves at their defaults (each with its reason).
KEEPS_DEFAULT = {
    # limits and windows whose defaults are the product's
    "ACCOUNT_LOGIN_RATE_LIMIT", "AVATAR_MAX_BYTES", "COUPON_ATTEMPT_RATE_LIMIT",
    "CSRF_TIME_LIMIT_SECONDS", "DEFAULT_LOCALE", "DIGEST_BATCH_SIZE", "FRAGMENT_CACHE_SIZE",
    "PAGE_CACHE_SIZE",
    "HEALTH_LIVE_MAX_MEMBERS", "LOGIN_RATE_LIMIT", "MAX_FILE_BYTES", "MAX_IMAGE_PIXELS",
    "MAX_REQUEST_BYTES",
    "MAX_UPLOAD_BYTES", "PAGE_SIZE", "PAYMENT_ACTION_TIMEOUT_MINUTES", "PLATFORM_FEE_BPS",
    "REFUND_WINDOW_HOURS", "RESET_PASSWORD_MAX_AGE", "RESET_PER_EMAIL_RATE_LIMIT",
    "RESET_RATE_LIMIT", "SIGNUP_RATE_LIMIT", "VERIFY_EMAIL_MAX_AGE",
    "RESEND_VERIFICATION_RATE_LIMIT", "EXPORT_RETENTION_DAYS",
    "POSTER_FONT",  # the image installs fonts-noto-cjk at the default path
    "IMPORT_CHUNK_SIZE", "IMPORT_MAX_BYTES", "IMPORT_MAX_ROWS",
    # cache lifetimes: the staleness a visitor (30 s) or another process (10 s) may see
    "ANON_CACHE_SECONDS", "SHORT_CACHE_SECONDS",
    # derived in production: secure cookies, rate limits and the broker options follow REDIS_URL
    "SESSION_COOKIE_SECURE", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "RATELIMIT_KEY_PREFIX",
    "CELERY_ALWAYS_EAGER", "CELERY_BROKER_KEYPREFIX", "CELERY_VISIBILITY_TIMEOUT",
    "CELERY_UNACKED_RESTORE_INTERVAL",
    "OUTBOX_ASYNC_MARKS", "DATABASE_POOL_PRE_PING", "DATABASE_POOL_RECYCLE",
    "STRIPE_CONNECT_ENABLED", "STRIPE_LIVEMODE",
    # SMTP credentials and transport depend on the operator's mail server (set in .env)
    "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS", "MAIL_USE_SSL", "MAIL_TIMEOUT",
    # local storage and development only: not used with STORAGE_BACKEND=s3 in containers
    "UPLOAD_DIR", "PLANET_VAR_DIR", "MAIL_CATCHER_DIR", "S3_ADDRESSING_STYLE",
}  # fmt: skip
ENV_READERS = {"_str", "_int", "_bool", "_float", "getenv"}


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def settings_read_by_code() -> set[str]:
    """Every environment variable the app, payments and workers read (by their source)."""
    names = set()
    for package in ("planet", "payments", "workers"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                name = _env_name(node)
                if name:
                    names.add(name)
    return names


def _env_name(node) -> str | None:
    if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
        func = node.func
        called = getattr(func, "id", None) or getattr(func, "attr", None)
        environ_get = called == "get" and getattr(func.value, "attr", None) == "environ"
        if (called in ENV_READERS or environ_get) and isinstance(node.args[0].value, str):
            value = node.args[0].value
            return value if re.fullmatch(r"[A-Z][A-Z0-9_]+", value) else None
    if isinstance(node, ast.Subscript) and getattr(node.value, "attr", None) == "environ":
        key = node.slice
        return key.value if isinstance(key, ast.Constant) else None
    return None


def _resolved(value) -> str:
    """A compose value with `${VAR:-default}` → default and `${VAR:?message}` → a stand-in."""
    text = str(value)
    text = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", text)
    return re.sub(r"\$\{[A-Z_]+:\?[^}]*\}", "x" * 40, text)


def test_every_service_is_there_with_its_command():
    services = _compose()["services"]
    wanted = {"proxy", "postgres", "redis", "minio", "buckets", "migrate", "web", "worker", "beat"}
    assert wanted <= set(services)
    assert services["web"]["command"][:3] == ["gunicorn", "--bind", "0.0.0.0:8000"]
    assert services["web"]["command"][-1] == "wsgi:app"
    assert services["migrate"]["command"][-2:] == ["db", "upgrade"]
    worker = " ".join(services["worker"]["command"])
    assert worker.startswith("celery -A workers.app worker") and "billing,mail,default" in worker
    assert " ".join(services["beat"]["command"]).startswith("celery -A workers.app beat")
    assert services["beat"]["deploy"]["replicas"] == 1
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert (ROOT / "Dockerfile").exists()


def test_web_and_worker_scale_and_the_proxy_finds_every_web():
    services = _compose()["services"]
    for name in ("web", "worker"):
        assert "container_name" not in services[name], f"{name} must scale"
        assert "ports" not in services[name], f"{name} must not bind a host port"
    assert services["web"]["expose"] == ["8000"]
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in services["proxy"]["volumes"]
    caddyfile = (ROOT / "deploy" / "Caddyfile").read_text()
    assert re.search(r"dynamic a \{\s*name web\s*port 8000", caddyfile)
    assert "health_uri /healthz" in caddyfile
    proxy_limit = int(re.search(r"max_size (\d+)MB", caddyfile).group(1)) * 1000 * 1000
    assert proxy_limit >= load_config()["MAX_CONTENT_LENGTH"]  # MAX_REQUEST_BYTES


def test_every_long_running_service_has_a_health_check():
    services = _compose()["services"]
    for name in ("postgres", "redis", "minio", "web", "worker"):
        assert services[name]["healthcheck"]["test"], name
    web_check = " ".join(services["web"]["healthcheck"]["test"])
    assert "127.0.0.1:8000/healthz" in web_check
    assert "inspect ping" in " ".join(services["worker"]["healthcheck"]["test"])


def test_the_environment_sets_what_the_code_reads_and_nothing_else():
    services = _compose()["services"]
    shared = _compose()["x-planet"]["environment"]
    environments = [services[name]["environment"] for name in PLANET_SERVICES]
    assert all(shared.items() <= env.items() for env in environments)
    set_by_compose = set().union(*environments)
    read_by_code = settings_read_by_code()
    unknown = sorted(set_by_compose - read_by_code)
    assert not unknown, f"compose sets variables the code never reads: {unknown}"
    stale = sorted(KEEPS_DEFAULT - read_by_code)
    assert not stale, f"KEEPS_DEFAULT names settings the code no longer reads: {stale}"
    unset = sorted(read_by_code - set_by_compose - KEEPS_DEFAULT)
    assert not unset, (
        f"the code reads settings compose never sets: {unset} "
        "(set them in docker-compose.yml or say in KEEPS_DEFAULT why the default is right)"
    )


def test_the_stack_passes_the_production_checks(monkeypatch):
    env = _compose()["services"]["web"]["environment"]
    for key, value in env.items():
        monkeypatch.setenv(key, _resolved(value))
    config = load_config()
    check_production_safety(config)  # refuses a default key, SQLite, local files on 4 workers
    assert config["STORAGE_BACKEND"] == "s3" and config["WEB_CONCURRENCY"] > 1
    assert config["PROXY_FIX_X_FOR"] == 1
    monkeypatch.setenv("STORAGE_BACKEND", "local")
    with pytest.raises(ConfigError):
        check_production_safety(load_config())


def test_the_bucket_is_created_private():
    command = " ".join(_compose()["services"]["buckets"]["command"])
    assert "mc mb --ignore-existing planet/planet-uploads" in command
    assert "mc anonymous set none planet/planet-uploads" in command
    assert _compose()["x-planet"]["environment"]["S3_BUCKET"] == "planet-uploads"


def test_compose_runs_metrics_in_multiprocess_mode_with_a_private_worker_port():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("web", "worker"):
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    worker = services["worker"]
    port = worker["environment"]["WORKER_METRICS_PORT"]
    assert int(port) > 0 and port in worker["expose"] and "ports" not in worker
    assert "METRICS_TOKEN" in services["web"]["environment"]
    assert (ROOT / "gunicorn.conf.py").exists()
