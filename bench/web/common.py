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


def admin_engine() -> sa.Engine:
    """An autocommit connection to the `test` database, for CREATE/DROP DATABASE."""
    return sa.create_engine(f"{SERVER_URL}/test", isolation_level="AUTOCOMMIT")


def drop_database() -> None:
    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    engine.dispose()
