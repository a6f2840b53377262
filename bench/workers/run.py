"""Workers benchmark on a private PostgreSQL database (created here and dropped at the end).

    .venv/bin/python -m bench.workers.run digest --members 100000
    .venv/bin/python -m bench.workers.run expiry --total 1000000 --due 10000

`digest`: N members spread over planets of --per-planet members, one new topic per planet in
the period; the weekly digest run (fan-out + every batch, in this process, Celery eager) is
timed, with the process's peak RSS. Mail goes to an in-process sink by default: every message
is fully built (planet.mail.build_message) and then dropped instead of an SMTP round trip
(`--smtp catcher` sends over SMTP to an aiosmtpd catcher on loopback instead).

`expiry`: --total active memberships, --due of them expired an hour ago; the expiry sweep is
timed and the EXPLAIN of its claim query printed (an index range scan on (status, expires_at)).

Data is generated with INSERT ... SELECT generate_series. The PostgreSQL server is
PLANET_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

ADMIN_URL = os.environ.get(
    "PLANET_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
_today = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
NOW = _today - timedelta(days=_today.weekday())  # the last Monday 08:00: a weekly boundary


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def private_database():
    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"planet_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def make_app(url: str):
    from planet import create_app

    return create_app(
        {
            "TESTING": False,
            "SQLALCHEMY_DATABASE_URI": url,
            "CELERY_ALWAYS_EAGER": True,
            "CELERY_BROKER_URL": "",
            "REDIS_URL": "",
            "RATELIMIT_STORAGE_URI": "memory://",
            "BASE_URL": "https://planet.example",
        }
    )


def enum_param(name: str, column, value):
    return sa.bindparam(name, value, type_=column.type)


def timed(label: str):
    class Timer:
        def __enter__(self):
            self.start = time.perf_counter()
            return self

        def __exit__(self, *exc):
            self.seconds = time.perf_counter() - self.start
            print(f"  {label}: {self.seconds:.1f} s", flush=True)

    return Timer()


# ---------------------------------------------------------------- data


def generate(conn, *, users: int, planets: int, memberships: int, due: int, topics: bool):
    """`memberships` rows: membership g is (planet (g-1)/users+1, user (g-1)%users+1); the
    first `due` (spread evenly) expired an hour before NOW, the rest expire in 30-395 days."""
    from planet.content.models import Topic, TopicKind
    from planet.planets.models import Membership, MembershipStatus, Role

    m = Membership.__table__.c
    conn.execute(
        sa.text(
            "INSERT INTO users (email, display_name, password_hash, bio, is_platform_admin, "
            "created_at, locale) SELECT 'u' || g || '@bench.example', 'User ' || g, 'x', '', "
            "false, :now, 'en' FROM generate_series(1, :n) g"
        ),
        {"n": users, "now": NOW},
    )
    conn.execute(
        sa.text(
            "INSERT INTO planets (slug, name, description, category, owner_id, price_amount, "
            "currency, timezone, posting_policy, questions_enabled, anonymous_questions, "
            "comments_enabled, private_messages_enabled, roster_visible, preview_essence_count, "
            "rules, public_directory, is_listed, member_count, topic_count, last_activity_at, "
            "created_at) SELECT 'bench-' || g, 'Bench planet ' || g, '', '', 1, 9900, 'cny', "
            "'UTC', 'STAFF', true, false, true, true, true, 3, '', false, true, "
            ":per, 1, :now, :now FROM generate_series(1, :n) g"
        ),
        {"n": planets, "per": memberships // planets, "now": NOW},
    )
    every = max(memberships // due, 1) if due else 0
    conn.execute(
        sa.text(
            "INSERT INTO memberships (planet_id, user_id, role, status, started_at, expires_at, "
            "is_trial, created_at) SELECT (g - 1) / :users + 1, (g - 1) % :users + 1, :role, "
            ":active, :start, CASE WHEN :every > 0 AND g % :every = 0 AND g / :every <= :due "
            "THEN CAST(:now AS timestamptz) - interval '1 hour' "
            "ELSE CAST(:now AS timestamptz) + (30 + g % 365) * interval '1 day' END, false, "
            ":start FROM generate_series(1, :n) g"
        ).bindparams(
            enum_param("role", m.role, Role.MEMBER),
            enum_param("active", m.status, MembershipStatus.ACTIVE),
        ),
        {
            "users": users,
            "n": memberships,
            "every": every,
            "due": due,
            "now": NOW,
            "start": NOW - timedelta(days=300),
        },
    )
    if topics:
        t = Topic.__table__.c
        conn.execute(
            sa.text(
                "INSERT INTO topics (planet_id, author_id, kind, title, body, body_html, "
                "is_anonymous, is_essence, is_announcement, in_feed, feed_at, like_count, "
                "comment_count, created_at) SELECT g, 1, :post, 'Bench notes ' || g, "
                "'What happened this week in planet ' || g, "
                "'<p>What happened this week in planet ' || g || '</p>', false, false, false, "
                "true, :feed_at, 0, 0, :feed_at FROM generate_series(1, :n) g"
            ).bindparams(enum_param("post", t.kind, TopicKind.POST)),
            {"n": planets, "feed_at": NOW - timedelta(days=2)},
        )
    conn.execute(sa.text("ANALYZE"))


# ---------------------------------------------------------------- mail


class Sink:
    def __init__(self):
        self.count = 0

    def __call__(self, to, subject, text_body, html_body=None, headers=None, **_):
        from planet.mail import build_message

        build_message(to, subject, text_body, html_body, headers)
        self.count += 1


@contextmanager
def mail_to(kind: str, app):
    import planet.mail

    if kind == "sink":
        sink = Sink()
        original = planet.mail.send_email
        planet.mail.send_email = sink
        try:
            yield lambda: sink.count
        finally:
            planet.mail.send_email = original
        return
    import socket

    from planet.devtools.mailcatcher import start

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller, handler = start(None, "127.0.0.1", port)
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False)
    try:
        yield lambda: len(handler.messages)
    finally:
        controller.stop()


# ---------------------------------------------------------------- runs


def run_digest(args) -> None:
    from planet.extensions import db
    from workers import digests

    planets = max(args.members // args.per_planet, 1)
    print(
        f"digest: {args.members} members in {planets} planets of {args.per_planet}, "
        f"batch {args.batch}, mail: {args.smtp}"
    )
    with private_database() as url:
        app = make_app(url)
        app.config["DIGEST_BATCH_SIZE"] = args.batch
        with app.app_context():
            db.create_all()
            with timed("generate"), db.engine.begin() as conn:
                generate(
                    conn,
                    users=args.per_planet,
                    planets=planets,
                    memberships=args.members,
                    due=0,
                    topics=True,
                )
            with mail_to(args.smtp, app) as sent:
                before = rss_mb()
                with timed("weekly digest run") as timer:
                    summary = digests.fan_out_weekly(NOW)
                emails = sent()
                print(f"  summary: {summary}; emails: {emails}")
                print(
                    f"  => {emails / timer.seconds:.0f} emails/s; peak RSS {rss_mb():.0f} MB "
                    f"(before the run {before:.0f} MB)"
                )
                with timed("re-run (everything already sent)"):
                    digests.fan_out_weekly(NOW)
                print(f"  emails after the re-run: {sent()} (new: {sent() - emails})")
            db.session.remove()
            db.engine.dispose()


def run_expiry(args) -> None:
    from planet.extensions import db
    from workers import sweeps

    users = args.users
    planets = max(args.total // users, 1)
    print(f"expiry: {args.total} active memberships ({planets} planets), {args.due} due")
    with private_database() as url:
        app = make_app(url)
        with app.app_context():
            db.create_all()
            with timed("generate"), db.engine.begin() as conn:
                generate(
                    conn,
                    users=users,
                    planets=planets,
                    memberships=args.total,
                    due=args.due,
                    topics=False,
                )
            compiled = sweeps._locking(sweeps._expiry_due(NOW, sweeps.BATCH)).compile(
                db.engine, compile_kwargs={"literal_binds": True}
            )
            plan = db.session.execute(sa.text(f"EXPLAIN {compiled}")).scalars().all()
            db.session.rollback()
            print("  EXPLAIN of the claim query:")
            for line in plan:
                print("    " + line)
            with mail_to("sink", app) as sent:
                with timed("expiry sweep") as timer:
                    summary = sweeps.sweep_expiry(NOW)
                print(f"  summary: {summary}; emails: {sent()}")
            print(f"  => {summary['expired'] / timer.seconds:.0f} memberships/s")
            with timed("sweep again (nothing due)"):
                again = sweeps.sweep_expiry(NOW)
            print(f"  summary: {again}")
            db.session.remove()
            db.engine.dispose()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    digest = sub.add_parser("digest")
    digest.add_argument("--members", type=int, default=100_000)
    digest.add_argument("--per-planet", type=int, default=1000)
    digest.add_argument("--batch", type=int, default=500)
    digest.add_argument("--smtp", choices=["sink", "catcher"], default="sink")
    expiry = sub.add_parser("expiry")
    expiry.add_argument("--total", type=int, default=1_000_000)
    expiry.add_argument("--due", type=int, default=10_000)
    expiry.add_argument("--users", type=int, default=10_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    (run_digest if args.what == "digest" else run_expiry)(args)
    print(f"  total wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
