"""Shared settings of the web benchmark: the private database and the data's shape."""

from __future__ import annotations

import os

import sqlalchemy as sa

SERVER_URL = os.environ.get(
    "PLANET_BENCH_PG_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432"
)
DB_NAME = os.environ.get("PLANET_BENCH_WEB_DB", "planet_bench_web")
DATABASE_URL = f"{SERVER_URL}/{DB_NAME}"
SLUG = "bench"
PASSWORD = "bench-password-2026"  # noqa: S105 - a throwaway benchmark account
MEMBER_EMAIL = "user2@bench.local"  # a plain MEMBER (user 1 owns the planet)


def sign_in_reader(app) -> str:
    """A session cookie for the page cache's reader: a member who liked nothing and wrote
    nothing on the pages measured (the benchmark member liked 9,333 topics, so page 1 is
    their own). Call inside an app context."""
    import secrets

    from planet.accounts.models import AuthSession
    from planet.extensions import db

    reader_id = db.session.execute(
        sa.text(
            "SELECT id FROM users u WHERE id > 2 AND NOT EXISTS "
            "(SELECT 1 FROM likes WHERE user_id = u.id) AND NOT EXISTS "
            "(SELECT 1 FROM comments WHERE author_id = u.id) ORDER BY id LIMIT 1"
        )
    ).scalar()
    key = secrets.token_urlsafe(32)
    db.session.add(AuthSession(key=key, user_id=reader_id, user_agent="bench"))
    db.session.commit()
    # What a browser holds after its first page: the login and the CSRF token.
    return app.session_interface.get_signing_serializer(app).dumps(
        {"_user_id": key, "_fresh": True, "csrf_token": secrets.token_hex(20)}
    )


def admin_engine() -> sa.Engine:
    """An autocommit connection to the `test` database, for CREATE/DROP DATABASE."""
    return sa.create_engine(f"{SERVER_URL}/test", isolation_level="AUTOCOMMIT")


def drop_database() -> None:
    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    engine.dispose()
