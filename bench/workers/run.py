"""Workers benchmark on a private PostgreSQL database (created here and dropped at the end).

    .venv/bin/python -m bench.workers.run digest --members 100000
    .venv/bin/python -m bench.workers.run expiry --total 1000000 --due 10000

`digest`: N members spread over planets of --per-planet members, one new topic per planet in
the period; the weekly digest run (fan-out + every batch, in this process, Celery eager) is
timed, with the process's peak RSS. Mail goes to an in-process sink by default: every message
is fully built (planet.mail.build_message) and then dropped instead of an SMTP round trip
(`--smtp catcher` sends over SMTP to an aiosmtpd catcher on loopback instead; `--smtp smtp-sink`
to postfix's smtp-sink, a C server that only counts: `apt-get install postfix`).

`expiry`: --total active memberships, --due of them expired in the hour before; the expiry
sweep is timed with the process's peak RSS, and the EXPLAIN ANALYZE of its claim query printed
(an index range scan on (status, expires_at) that reads only due rows). Jobs are dispatched as
in production (`--jobs outbox`): the sweep writes a `pending_jobs` row per deferred job in its
batch's transaction and hands it to the "broker" (here a list); the follow-up jobs (any worker
runs them) are then run and timed separately. `--jobs inline` runs each after its batch's
commit in the sweep's own process instead (the brokerless embedded mode).

Data is generated with INSERT ... SELECT generate_series into tables whose secondary indexes
are built after the load (ordinary logged tables). The PostgreSQL server is
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


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


@contextmanager
def private_database():
    from planet.dbutil import drop_postgres_database

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"planet_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        drop_postgres_database(admin, name)
        admin.dispose()


def make_app(url: str, async_marks: bool = False):
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
            "OUTBOX_ASYNC_MARKS": async_marks,
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
    """`memberships` rows over `planets` planets of the same size: membership g is
    (planet (g-1)/size+1, user (g-1)%users+1), distinct while size <= users; the
    first `due` (spread evenly) expired in the hour before NOW, the rest expire in 30-395
    days. The memberships' secondary indexes are dropped for the load and built after it."""
    from planet.content.models import Topic, TopicKind
    from planet.planets.models import Membership, MembershipStatus, Role

    m = Membership.__table__.c
    conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
    conn.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
    # A bulk load: the content_version triggers (planet/planets/content_version.py) would
    # queue one deferred event per membership until COMMIT.
    conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
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
    with indexes_built_after(conn, Membership.__table__):
        conn.execute(
            sa.text(
                "INSERT INTO memberships (planet_id, user_id, role, status, started_at, "
                "expires_at, is_trial, created_at) SELECT (g - 1) / :size + 1, "
                "(g - 1) % :users + 1, :role, :active, :start, "
                "CASE WHEN :every > 0 AND g % :every = 0 AND g / :every <= :due "
                "THEN CAST(:now AS timestamptz) - (1 + g % 3599) * interval '1 second' "
                "ELSE CAST(:now AS timestamptz) + (30 + g % 365) * interval '1 day' END, false, "
                ":start FROM generate_series(1, :n) g"
            ).bindparams(
                enum_param("role", m.role, Role.MEMBER),
                enum_param("active", m.status, MembershipStatus.ACTIVE),
            ),
            {
                "size": memberships // planets,
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
                "comment_count, answer_private, created_at) SELECT g, 1, :post, "
                "'Bench notes ' || g, 'What happened this week in planet ' || g, "
                "'<p>What happened this week in planet ' || g || '</p>', false, false, false, "
                "true, :feed_at, 0, 0, false, :feed_at FROM generate_series(1, :n) g"
            ).bindparams(enum_param("post", t.kind, TopicKind.POST)),
            {"n": planets, "feed_at": NOW - timedelta(days=2)},
        )
    conn.execute(sa.text("ANALYZE"))


@contextmanager
def indexes_built_after(conn, table):
    """Drop the table's secondary indexes, unique and foreign-key constraints for a bulk load,
    and create them again (the same definitions, read from the catalog) after it."""
    params = {"table": table.name}
    constraints = conn.execute(
        sa.text(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = CAST(:table AS regclass) AND contype IN ('u', 'f')"
        ),
        params,
    ).all()
    indexes = conn.execute(
        sa.text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :table AND indexname "
            "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = CAST(:table AS regclass))"
        ),
        params,
    ).all()
    for name, _ in constraints:
        conn.execute(sa.text(f'ALTER TABLE {table.name} DROP CONSTRAINT "{name}"'))
    for name, _ in indexes:
        conn.execute(sa.text(f'DROP INDEX "{name}"'))
    yield
    for _, definition in indexes:
        conn.execute(sa.text(definition))
    for name, definition in constraints:
        conn.execute(sa.text(f'ALTER TABLE {table.name} ADD CONSTRAINT "{name}" {definition}'))


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
    if kind == "smtp-sink":
        from bench.workers.smtp_sink import smtp_sink

        with smtp_sink() as sink:
            app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=sink.port, MAIL_USE_TLS=False)
            yield sink.messages
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


@contextmanager
def generated_app(async_marks: bool, config: dict, **shape):
    """A private database filled by `generate(**shape)` and an app on it, yielded inside its
    app context; the sessions and the engine are closed before the database is dropped."""
    from planet.extensions import db

    with private_database() as url:
        app = make_app(url, async_marks)
        app.config.update(config)
        with app.app_context():
            db.create_all()
            with timed("generate"), db.engine.begin() as conn:
                generate(conn, **shape)
            yield app
            db.session.remove()
            db.engine.dispose()


# ---------------------------------------------------------------- runs


def run_digest(args) -> None:
    from planet.extensions import db
    from workers import digests

    planets = max(args.members // args.per_planet, 1)
    users = args.users or args.members
    print(
        f"digest: {args.members} members ({users} people) in {planets} planets of "
        f"{args.per_planet}, batch {args.batch}, mail: {args.smtp}, "
        f"async marks: {args.async_marks}; {load()}"
    )
    shape = {"users": users, "planets": planets, "memberships": args.members, "due": 0}
    config = {"DIGEST_BATCH_SIZE": args.batch}
    if args.workers > 1:
        run_digest_in_workers(args, shape, config)
        return
    with (
        generated_app(args.async_marks, config, topics=True, **shape) as app,
        mail_to(args.smtp, app) as sent,
    ):
        before = rss_mb()
        print(f"  before the run: {load()}")
        with timed("weekly digest run") as timer:
            summary = digests.fan_out_weekly(NOW)
        emails = sent()
        print(f"  summary: {summary}; emails: {emails}; after: {load()}")
        print(
            f"  => {emails / timer.seconds:.0f} emails/s; peak RSS {rss_mb():.0f} MB "
            f"(before the run {before:.0f} MB)"
        )
        with timed("re-run (everything already sent)"):
            digests.fan_out_weekly(NOW)
        print(f"  emails after the re-run: {sent()} (new: {sent() - emails})")
        print(f"  outbox: {outbox_counts(db)}")


def run_digest_in_workers(args, shape: dict, config: dict) -> None:
    from bench.workers import parallel
    from planet.extensions import db
    from workers import digests

    with generated_app(args.async_marks, config, topics=True, **shape) as app:
        url = app.config["SQLALCHEMY_DATABASE_URI"]
        print(f"  before the run: {load()}")
        run = parallel.run(
            url, args.async_marks, config, args.workers, args.smtp,
            lambda: digests.fan_out_weekly(NOW),
        )  # fmt: skip
        db.session.remove()
        sent = db.session.scalar(
            sa.text("SELECT count(*) FROM email_outbox WHERE sent_at IS NOT NULL")
        )
        print(f"  weekly digest run ({args.workers} workers): {run['seconds']:.1f} s")
        print(f"  summary: {run['summary']}; after: {load()}")
        print(
            f"  => {sent / run['seconds']:.0f} emails/s; batches per worker "
            f"{run['batches_per_worker']}; worker peak RSS {run['worker_peak_rss_mb']} MB; "
            f"caught by the SMTP catcher: {run['caught']}"
        )
        print(
            f"  CPU: workers {run['worker_cpu_s']} s "
            f"({sum(run['worker_cpu_s']) * 1000 / max(sent, 1):.2f} ms per email), "
            f"SMTP catcher {run['catcher_cpu_s']} s"
        )
        with timed("re-run (everything already sent)"):
            digests.fan_out_weekly(NOW)
        print(f"  outbox: {outbox_counts(db)}")


def outbox_counts(db) -> str:
    from planet.notifications.models import Outbox

    total, unsent, purposes = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.count().filter(Outbox.sent_at.is_(None)),
            sa.func.count(sa.distinct(Outbox.purpose)),
        )
    ).one()
    db.session.rollback()
    return f"{total} rows, {unsent} unsent, {purposes} distinct purposes"


def explain_claim(db, sweeps) -> list[str]:
    """EXPLAIN ANALYZE of one claim (its row locks are rolled back)."""
    from planet.members import expiry

    compiled = expiry.claim(expiry.expiry_due(NOW, expiry.BATCH)).compile(
        db.engine, compile_kwargs={"literal_binds": True}
    )
    plan = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
    db.session.rollback()
    return plan


@contextmanager
def jobs_to(kind: str, app):
    """`outbox`: production's dispatch (pending_jobs rows, then the broker) with a list as
    the broker; yields that list. `inline`: handlers run after each commit, in-process."""
    from workers import relay

    if kind == "inline":
        yield []
        return
    sent: list[int] = []
    original = relay.send
    app.extensions["planet_job_outbox"] = True
    relay.send = lambda pending_id, name: sent.append(pending_id)
    try:
        yield sent
    finally:
        relay.send = original
        app.extensions["planet_job_outbox"] = False


def run_expiry(args) -> None:
    from planet.extensions import db
    from workers import relay, sweeps

    users = args.users
    planets = max(args.total // users, 1)
    print(
        f"expiry: {args.total} active memberships ({planets} planets), {args.due} due, "
        f"jobs: {args.jobs}, async marks: {args.async_marks}; {load()}"
    )
    shape = {"users": users, "planets": planets, "memberships": args.total, "due": args.due}
    with generated_app(args.async_marks, {}, topics=False, **shape) as app:
        print("  EXPLAIN (ANALYZE, BUFFERS) of the claim query:")
        for line in explain_claim(db, sweeps):
            print("    " + line)
        with mail_to("sink", app) as sent, jobs_to(args.jobs, app) as queued:
            before = rss_mb()
            print(f"  before the sweep: {load()}")
            with timed("expiry sweep") as timer:
                summary = sweeps.sweep_expiry(NOW)
            print(f"  summary: {summary}; emails: {sent()}; after: {load()}")
            print(
                f"  => {summary['expired'] / timer.seconds:.0f} memberships/s; peak RSS "
                f"{rss_mb():.0f} MB (before the sweep {before:.0f} MB)"
            )
            if queued:
                with timed(f"follow-up jobs ({len(queued)}, run one by one)") as jobs_timer:
                    outcomes = [relay.run_pending(pending_id) for pending_id in queued]
                print(
                    f"  => {len(queued) / jobs_timer.seconds:.0f} jobs/s; "
                    f"{outcomes.count('done')} done"
                )
            with timed("sweep again (nothing due)"):
                again = sweeps.sweep_expiry(NOW)
            print(f"  summary: {again}; emails: {sent()}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    digest = sub.add_parser("digest")
    digest.add_argument("--members", type=int, default=100_000)
    digest.add_argument("--per-planet", type=int, default=1000)
    digest.add_argument("--users", type=int, default=0, help="people (default: one a member)")
    digest.add_argument("--batch", type=int, default=500)
    digest.add_argument("--smtp", choices=["sink", "catcher", "smtp-sink"], default="sink")
    digest.add_argument(
        "--workers", type=int, default=1, help="worker processes running the batches"
    )
    expiry = sub.add_parser("expiry")
    expiry.add_argument("--total", type=int, default=1_000_000)
    expiry.add_argument("--due", type=int, default=10_000)
    expiry.add_argument("--users", type=int, default=10_000)
    expiry.add_argument("--jobs", choices=["outbox", "inline"], default="outbox")
    for command in (digest, expiry):
        command.add_argument(
            "--async-marks",
            action="store_true",
            help="OUTBOX_ASYNC_MARKS: commit each email's sent mark without a disk flush",
        )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    (run_digest if args.what == "digest" else run_expiry)(args)
    print(f"  total wall time {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
