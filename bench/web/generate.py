"""Fill a private PostgreSQL database for the web benchmark (bench/web/run.py).

    .venv/bin/python -m bench.web.generate [--members 100000] [--topics 1000000]

Creates the database (dropping a previous one of the same name), builds the schema with
`flask db upgrade`, then fills it with INSERT ... SELECT generate_series: one planet with
--members active members (user 1 owns it, user 2 is the plain member the benchmark logs in
as), --topics topics in its feed spread over a year (every 20th an answered question, every
50th essence, two pinned), 36 comments (24 top-level, 12 replies) on each of the newest 1,000
topics, a few likes by user 2, 20 hashtags on every 10th topic, and the planet's counters.
The topics' indexes are dropped during the bulk insert and rebuilt after it. ANALYZE at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import sqlalchemy as sa

from bench.web.common import DATABASE_URL, DB_NAME, PASSWORD, admin_engine, drop_database

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NEWEST_WITH_COMMENTS = 1000
COMMENTS_PER_TOPIC = 36  # 24 top-level + 12 replies to the first 12
TOP_LEVEL = 24


def step(label: str, started: float) -> float:
    """Print how long the step since `started` took; returns now (the next step's start)."""
    now = time.monotonic()
    print(f"  {label}: {now - started:.1f} s", flush=True)
    return now


def insert_users(conn, count: int, domain: str, password_hash: str) -> None:
    """Users 1..count, `user<i>@<domain>`, verified, all with the same password."""
    conn.execute(
        sa.text(
            """
            INSERT INTO users (id, email, display_name, password_hash, bio,
                               is_platform_admin, email_verified_at, created_at)
            SELECT i, 'user' || i || '@' || :domain, 'Member ' || i, :hash, '',
                   false, now(), now() - interval '400 days'
            FROM generate_series(1, CAST(:n AS int)) AS i
            """
        ),
        {"hash": password_hash, "n": count, "domain": domain},
    )


def create_schema(name: str = DB_NAME, url: str = DATABASE_URL, drop=drop_database) -> None:
    """A fresh private database `name` (at `url`), migrated to the head."""
    drop()
    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    env = dict(os.environ, DATABASE_URL=url, FLASK_APP="planet", PLANET_ENV="development")
    subprocess.run([sys.executable, "-m", "flask", "db", "upgrade"], cwd=ROOT, env=env, check=True)


def fill(members: int, topics: int) -> None:
    from planet.accounts.passwords import hash_password

    password_hash = hash_password(PASSWORD)
    engine = sa.create_engine(DATABASE_URL)
    t0 = started = time.monotonic()
    with engine.begin() as conn:
        conn.execute(sa.text("SET synchronous_commit = off"))
        conn.execute(sa.text("SET maintenance_work_mem = '512MB'"))
        # A bulk load, not reading pages being written: the content_version triggers
        # (planet/planets/content_version.py) would queue one event per row until COMMIT.
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        x = conn.execute
        insert_users(conn, members, "bench.local", password_hash)
        started = step(f"{members} users", started)
        x(
            sa.text(
                """
                INSERT INTO planets (id, slug, name, description, category, owner_id,
                    price_amount, currency, timezone, posting_policy, questions_enabled,
                    anonymous_questions, comments_enabled, private_messages_enabled,
                    roster_visible, preview_essence_count, rules, public_directory, is_listed,
                    member_count, topic_count, last_activity_at, created_at)
                VALUES (1, 'bench', 'Benchmark planet', 'A planet with a large timeline.',
                    'tech', 1, 19900, 'cny', 'Asia/Shanghai', 'MEMBERS', true, false, true,
                    true, true, 3, '', false, true, :members, :topics, now(),
                    now() - interval '400 days')
                """
            ),
            {"members": members, "topics": topics},
        )
        x(
            sa.text(
                """
                INSERT INTO memberships (id, planet_id, user_id, role, status, started_at,
                    expires_at, is_trial, rules_accepted_at, created_at)
                SELECT i, 1, i, CASE WHEN i = 1 THEN 'OWNER' ELSE 'MEMBER' END, 'ACTIVE',
                       now() - interval '300 days',
                       CASE WHEN i = 1 THEN NULL ELSE now() + interval '65 days' END,
                       false, now() - interval '300 days', now() - interval '300 days'
                FROM generate_series(1, CAST(:n AS int)) AS i
                """
            ),
            {"n": members},
        )
        started = step(f"{members} memberships", started)

        # Bulk insert without the topics' indexes, then build them once.
        index_defs = x(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'topics' "
                "AND indexname <> 'pk_topics'"
            )
        ).all()
        for name, _ in index_defs:
            x(sa.text(f'DROP INDEX "{name}"'))
        x(
            sa.text(
                """
                INSERT INTO topics (id, planet_id, author_id, kind, title, body, body_html,
                    addressee_id, is_anonymous, answered_at, is_essence, is_announcement,
                    pinned_at, in_feed, feed_at, like_count, comment_count, created_at)
                SELECT i, 1,
                    CASE WHEN i % 20 = 0 THEN 1 + (i::bigint * 7919) % :members ELSE
                         CASE WHEN i % 3 = 0 THEN 1 ELSE 1 + (i::bigint * 7919) % :members END END,
                    CASE WHEN i % 20 = 0 THEN 'QUESTION' ELSE 'POST' END,
                    CASE WHEN i % 4 = 0 THEN 'Notes on ' || w.word || ' #' || i ELSE '' END,
                    'Topic ' || i || ': some thoughts about ' || w.word
                        || ' and how it changes the way we work. Read **carefully**.',
                    '<p>Topic ' || i || ': some thoughts about ' || w.word
                        || ' and how it changes the way we work. Read <strong>carefully'
                        || '</strong>.</p>',
                    CASE WHEN i % 20 = 0 THEN 1 END,
                    false,
                    CASE WHEN i % 20 = 0 THEN f.feed_at END,
                    i % 50 = 0,
                    false,
                    NULL,
                    true,
                    f.feed_at,
                    (i * 13) % 97,
                    0,
                    f.feed_at
                FROM generate_series(1, CAST(:topics AS int)) AS i
                CROSS JOIN LATERAL (
                    SELECT now() - interval '365 days'
                           + (i::float8 / :topics) * interval '365 days' AS feed_at
                ) AS f
                CROSS JOIN LATERAL (
                    SELECT (ARRAY['pricing', 'writing', 'investing', 'design', 'hiring',
                                  'reading', 'running', 'cooking'])[1 + i % 8] AS word
                ) AS w
                """
            ),
            {"members": members, "topics": topics},
        )
        started = step(f"{topics} topics (no indexes)", started)
        for name, definition in index_defs:
            x(sa.text(definition))
            started = step(f"index {name}", started)

        x(
            sa.text(
                """
                INSERT INTO answers (topic_id, author_id, body, body_html, created_at)
                SELECT id, 1, 'The answer to question ' || id || '.',
                       '<p>The answer to question ' || id || '.</p>', feed_at
                FROM topics WHERE kind = 'QUESTION'
                """
            )
        )
        started = step("answers", started)
        # Two pinned topics (not the newest ones).
        x(
            sa.text("UPDATE topics SET pinned_at = now() WHERE id IN (:a, :b)"),
            {"a": topics - 5000, "b": topics - 9000},
        )

        first = topics - NEWEST_WITH_COMMENTS + 1
        params = {
            "first": first,
            "per": COMMENTS_PER_TOPIC,
            "top": TOP_LEVEL,
            "members": members,
            "last": NEWEST_WITH_COMMENTS - 1,
        }
        comment_select = """
            INSERT INTO comments (id, planet_id, topic_id, author_id, parent_id, body,
                                  body_html, like_count, created_at)
            SELECT k * :per + j + 1, 1, :first + k, 1 + ((k * :per + j) * 31) % :members,
                   {parent},
                   'Comment ' || j || ' on topic ' || (:first + k) || '.',
                   '<p>Comment ' || j || ' on topic ' || (:first + k) || '.</p>',
                   j % 5, now() - interval '1 day' + j * interval '1 minute'
            FROM generate_series(0, CAST(:last AS int)) AS k, generate_series({lo}, {hi}) AS j
        """
        x(sa.text(comment_select.format(parent="NULL", lo=0, hi=TOP_LEVEL - 1)), params)
        x(
            sa.text(
                comment_select.format(
                    parent=f"k * :per + (j - {TOP_LEVEL}) + 1",
                    lo=TOP_LEVEL,
                    hi=COMMENTS_PER_TOPIC - 1,
                )
            ),
            params,
        )
        x(
            sa.text("UPDATE topics SET comment_count = :per WHERE id >= :first"),
            {"per": COMMENTS_PER_TOPIC, "first": first},
        )
        started = step(f"{NEWEST_WITH_COMMENTS * COMMENTS_PER_TOPIC} comments", started)

        # User 2 (the benchmark's member) liked every third of the newest topics and a few
        # comments, so the "did I like these?" query returns rows.
        x(
            sa.text(
                """
                INSERT INTO likes (user_id, planet_id, topic_id, created_at)
                SELECT 2, 1, i, now()
                FROM generate_series(CAST(:first AS int), CAST(:topics AS int)) AS i
                WHERE i % 3 = 0
                """
            ),
            {"first": first, "topics": topics},
        )
        x(
            sa.text(
                """
                INSERT INTO likes (user_id, planet_id, comment_id, created_at)
                SELECT 2, 1, id, now() FROM comments WHERE id % 4 = 0
                """
            )
        )
        x(
            sa.text(
                """
                INSERT INTO hashtags (id, planet_id, name, topic_count)
                SELECT h, 1, 'tag' || h, 0 FROM generate_series(1, 20) AS h
                """
            )
        )
        x(
            sa.text(
                """
                INSERT INTO topic_hashtags (topic_id, hashtag_id, feed_at)
                SELECT id, 1 + (id / 10) % 20, feed_at FROM topics WHERE id % 10 = 0
                """
            )
        )
        x(
            sa.text(
                """
                UPDATE hashtags SET topic_count = c.n
                FROM (SELECT hashtag_id, count(*) AS n FROM topic_hashtags GROUP BY hashtag_id) c
                WHERE c.hashtag_id = hashtags.id
                """
            )
        )
        started = step("likes and hashtags", started)
        x(
            sa.text(
                "UPDATE planets SET member_count = :m, topic_count = :t, "
                "last_activity_at = (SELECT max(feed_at) FROM topics) WHERE id = 1"
            ),
            {"m": members, "t": topics},
        )
        for table in (
            "users",
            "planets",
            "memberships",
            "topics",
            "answers",
            "comments",
            "likes",
            "hashtags",
        ):
            x(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    step("VACUUM ANALYZE", started)
    print(f"filled in {time.monotonic() - t0:.1f} s", flush=True)
    engine.dispose()


def main() -> None:
    if "--mixed" in sys.argv[1:]:  # the mixed load: bench/web/mixed.py
        from bench.web import mixed

        argv = [a for a in sys.argv[1:] if a != "--mixed"]
        return mixed.main(["generate", *argv])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--topics", type=int, default=1_000_000)
    args = parser.parse_args()
    started = time.monotonic()
    print(f"database {DB_NAME}: schema", flush=True)
    create_schema()
    print(f"  schema: {time.monotonic() - started:.1f} s", flush=True)
    fill(args.members, args.topics)
    print(f"total {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
