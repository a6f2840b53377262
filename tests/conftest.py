"""Shared fixtures: an app per test on a fresh database, clients, factories, query counting.

By default tests run on an in-memory SQLite database. Tests marked `postgres` (and every test
when PLANET_TEST_DB=postgres) run on a private database created on the PostgreSQL server at
PLANET_TEST_PG_URL (default: the machine's server). Tests marked `redis` use the Redis server at
PLANET_TEST_REDIS_URL. When a server is unreachable those tests are skipped with the reason,
unless PLANET_REQUIRE_SERVICES=1 (as in CI), which turns the skip into a failure.
"""

from __future__ import annotations

import os
import secrets
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy.pool import StaticPool

from planet import create_app
from planet.dbutil import READ_ONLY_DEFAULT, READ_WRITE_DEFAULT, drop_postgres_database
from planet.extensions import db
from tests import factories

# Area plugins (fixtures shared across test folders): every module in tests/plugins/.
pytest_plugins = sorted(
    f"tests.plugins.{path.stem}"
    for path in (Path(__file__).parent / "plugins").glob("*.py")
    if path.stem != "__init__"
)

PG_ADMIN_URL = os.environ.get(
    "PLANET_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("PLANET_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REQUIRE_SERVICES = os.environ.get("PLANET_REQUIRE_SERVICES") == "1"


def _unavailable(what: str, error: Exception):
    message = f"{what} is not reachable: {error}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (PLANET_REQUIRE_SERVICES=1)")
    pytest.skip(message)


# ---------------------------------------------------------------- PostgreSQL


@pytest.fixture(scope="session")
def pg_database_url():
    """A private PostgreSQL database for this test session (dropped at the end)."""
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"planet_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as error:
        admin.dispose()
        _unavailable("PostgreSQL", error)
    url = sa.engine.make_url(PG_ADMIN_URL).set(database=name)
    yield url.render_as_string(hide_password=False)
    drop_postgres_database(admin, name)
    admin.dispose()


_pg_schema_ready: set[str] = set()


def _uses_postgres(request) -> bool:
    return (
        request.node.get_closest_marker("postgres") is not None
        or os.environ.get("PLANET_TEST_DB") == "postgres"
    )


@pytest.fixture
def database_url(request):
    if _uses_postgres(request):
        return request.getfixturevalue("pg_database_url")
    return "sqlite://"


# ---------------------------------------------------------------- the app


class FreshClient(FlaskClient):
    """A test client whose every request starts with an empty `g`.

    The `app` fixture keeps one application context open for the whole test (so tests can use
    the database), and Flask reuses it for requests, so without this `g` (the loaded user, the
    policy's standing cache, the locale) would leak from one request, and one client, to the
    next. In production every request has its own application context.
    """

    def open(self, *args, **kwargs):
        if has_app_context():
            g.__dict__.clear()
        return super().open(*args, **kwargs)


def make_test_app(database_url: str, tmp_path, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-" + secrets.token_hex(8),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "MAIL_CATCHER_DIR": str(tmp_path / "mail"),
        "SERVER_NAME": None,
        "CELERY_ALWAYS_EAGER": True,
        "CELERY_BROKER_URL": "",
        "REDIS_URL": "",
        # Tests change rows behind the services' backs and look again as visitors; the
        # visitors' cache has its own tests (tests/planet/web/test_anonymous_cache.py).
        "ANON_CACHE_SECONDS": 0,
    }
    if database_url.startswith("sqlite"):
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "poolclass": StaticPool,
            "connect_args": {"check_same_thread": False},
        }
    else:
        config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = FreshClient
    return app


def _truncate_all(engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def app_config():
    """Override to change the app's configuration for a module or test."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config, storage_overrides):
    app = make_test_app(database_url, tmp_path, **{**storage_overrides, **app_config})
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        elif database_url not in _pg_schema_ready:
            db.drop_all()
            db.create_all()
            _pg_schema_ready.add(database_url)
        yield app
        db.session.remove()
        if not database_url.startswith("sqlite"):
            _truncate_all(db.engine)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def redis_url():
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        _unavailable("Redis", error)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()


# ---------------------------------------------------------------- helpers


@pytest.fixture
def make(app):
    """The factories (tests/factories.py): make.user(), make.planet(owner), make.member(...)."""
    return factories


def login(client, user) -> str:
    """Sign `user` in on `client` through a real server-side session; returns its key."""
    from planet.accounts.models import AuthSession

    key = secrets.token_urlsafe(32)
    db.session.add(AuthSession(key=key, user_id=user.id))
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = key
        session["_fresh"] = True
    return key


@pytest.fixture
def login_as(client):
    def _login(user, on=None):
        return login(on or client, user)

    return _login


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if statement in (READ_ONLY_DEFAULT, READ_WRITE_DEFAULT):
            return  # a pooled connection's default (planet/dbutil.py), not a page's cost
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@contextmanager
def count_queries(engine=None):
    """Count SQL statements sent while the block runs."""
    engine = engine or db.engine
    counter = QueryCounter()
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        yield counter
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)


@pytest.fixture
def page_cache_off(app):
    """For a test of what rendering a page costs: the member page cache
    (planet/web/pagecache.py) would answer a second read without rendering it."""
    store = app.extensions.pop("planet_page_cache", None)
    yield
    if store is not None:
        app.extensions["planet_page_cache"] = store


@pytest.fixture
def query_counter():
    return count_queries


def page_queries(app, client, path: str):
    """GET `path` as production serves it, in an app context (and so a database session) of
    its own, and return (body, the SQL statements it sent). In a test the client's requests
    otherwise share the test's session, whose identity map keeps or loses the previous page's
    objects as the garbage collector happens to run, so the same page costs one statement more
    or less from run to run."""
    with app.app_context(), count_queries() as counter:
        body = client.get(path).get_data(as_text=True)
    return body, counter.statements


def queries_by_page_size(app, client, path: str, sizes: tuple[int, ...]) -> dict[int, int]:
    """The SQL statements one GET of `path` (answering 200) costs at each PAGE_SIZE in `sizes`,
    after a first GET has filled the per-process short cache (planet/web/shortcache.py)."""
    client.get(path)
    counts = {}
    for size in sizes:
        app.config["PAGE_SIZE"] = size
        with app.app_context(), count_queries() as counter:  # a session of its own: page_queries
            assert client.get(path).status_code == 200
        counts[size] = counter.count
    return counts
