"""Paid questions' deadline sweep (付费提问): the same --due overdue questions among a small and
a large number of paid questions, in one run, on private PostgreSQL databases.

    .venv/bin/python -m bench.workers.questions --small 10000 --total 1000000 --due 1000

Each database holds --total paid question topics (one planet): a third answered and a third
refunded with their deadlines in the past, a third waiting with deadlines ahead, and --due of
them (spread evenly) waiting with deadlines in the hour before NOW, each with its succeeded
payment and escrow ledger row. The sweep (payments.questions.sweep_question_deadlines: one claim,
one refund at the provider and one commit per question) is timed, then run again with nothing
due, and the EXPLAIN ANALYZE of its claim query printed: an index scan of (paid_status, due_at)
that reads only due rows. The provider is an in-process fake on the Stripe SDK's HTTP client
(no network); the refund notices' emails go to an in-process sink (bench.workers.run.Sink).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging

import sqlalchemy as sa
import stripe

from bench.workers.run import (
    NOW,
    enum_param,
    indexes_built_after,
    load,
    mail_to,
    make_app,
    private_database,
    rss_mb,
    timed,
)

PRICE = 1000


class FakeProvider(stripe.HTTPClient):
    """Refunds succeed at once; a payment has no refunds before ours."""

    name = "bench-fake"

    def __init__(self):
        super().__init__()
        self.ids = itertools.count(1)
        self.refunds = 0

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        from urllib.parse import parse_qsl, urlsplit

        parts = urlsplit(url)
        params = dict(parse_qsl(post_data or parts.query or ""))
        if method.upper() == "POST" and parts.path == "/v1/refunds":
            self.refunds += 1
            body = {
                "id": f"re_bench_{next(self.ids)}",
                "object": "refund",
                "amount": int(params["amount"]),
                "payment_intent": params["payment_intent"],
                "status": "succeeded",
            }
        else:
            body = {"object": "list", "has_more": False, "data": []}
        return json.dumps(body), 200, {}

    def close(self):
        pass


def generate(conn, *, total: int, due: int) -> None:
    from payments.models import LedgerEntry, Party, Payment, PaymentKind, PaymentStatus
    from planet.content.models import PaidStatus, Topic, TopicKind

    t, p, e = Topic.__table__.c, Payment.__table__.c, LedgerEntry.__table__.c
    conn.execute(sa.text("SET LOCAL synchronous_commit = off"))
    conn.execute(sa.text("SET LOCAL maintenance_work_mem = '1GB'"))
    conn.execute(
        sa.text(
            "INSERT INTO users (email, display_name, password_hash, bio, is_platform_admin, "
            "created_at, locale) SELECT 'u' || g || '@bench.example', 'User ' || g, 'x', '', "
            "false, :now, 'en' FROM generate_series(1, 1000) g"
        ),
        {"now": NOW},
    )
    conn.execute(
        sa.text(
            "INSERT INTO planets (slug, name, description, category, owner_id, price_amount, "
            "currency, timezone, posting_policy, questions_enabled, anonymous_questions, "
            "comments_enabled, private_messages_enabled, roster_visible, preview_essence_count, "
            "rules, public_directory, is_listed, member_count, topic_count, last_activity_at, "
            "created_at) VALUES ('bench', 'Bench', '', '', 1, 9900, 'cny', 'UTC', 'STAFF', true, "
            "false, true, true, true, 3, '', false, true, 1, 0, :now, :now)"
        ),
        {"now": NOW},
    )
    # Search indexes play no part in the sweep: not built for the benchmark.
    conn.execute(sa.text("DROP INDEX IF EXISTS ix_topics_title_trgm"))
    conn.execute(sa.text("DROP INDEX IF EXISTS ix_topics_body_trgm"))
    every = max(total // due, 1)
    with indexes_built_after(conn, Topic.__table__):
        conn.execute(
            sa.text(
                "INSERT INTO topics (planet_id, author_id, kind, title, body, body_html, "
                "addressee_id, is_anonymous, is_essence, is_announcement, in_feed, feed_at, "
                "like_count, comment_count, created_at, paid_status, price, due_at, "
                "answer_private) SELECT 1, 2 + g % 999, :question, '', 'Question ' || g, "
                "'<p>Question ' || g || '</p>', 1, false, false, false, false, :now, 0, 0, "
                ":now, CASE WHEN g % :every = 0 AND g / :every <= :due THEN :waiting "
                "WHEN g % 3 = 0 THEN :answered WHEN g % 3 = 1 THEN :expired ELSE :waiting END, "
                ":price, CASE WHEN g % :every = 0 AND g / :every <= :due "
                "THEN CAST(:now AS timestamptz) - (1 + g % 3599) * interval '1 second' "
                "WHEN g % 3 = 2 THEN CAST(:now AS timestamptz) + (1 + g % 47) * interval '1 hour' "
                "ELSE CAST(:now AS timestamptz) - (1 + g % 300) * interval '1 day' END, false "
                "FROM generate_series(1, :n) g"
            ).bindparams(
                enum_param("question", t.kind, TopicKind.QUESTION),
                enum_param("waiting", t.paid_status, PaidStatus.WAITING),
                enum_param("answered", t.paid_status, PaidStatus.ANSWERED),
                enum_param("expired", t.paid_status, PaidStatus.EXPIRED),
            ),
            {"n": total, "every": every, "due": due, "now": NOW, "price": PRICE},
        )
    waiting_due = "FROM topics WHERE paid_status = :waiting AND due_at <= :now"  # the due ones only
    conn.execute(
        sa.text(
            "INSERT INTO payments (planet_id, user_id, kind, status, amount, list_price, "
            "currency, auto_renew, attempts, provider_intent_id, failure_message, paid_at, "
            "refunded_amount, duplicate, topic_id, created_at) SELECT 1, author_id, :kind, "
            ":succeeded, :price, :price, 'cny', false, 1, 'pi_bench_' || id, '', "
            "CAST(:now AS timestamptz) - interval '2 days', 0, false, id, :now " + waiting_due
        ).bindparams(
            enum_param("kind", p.kind, PaymentKind.QUESTION),
            enum_param("succeeded", p.status, PaymentStatus.SUCCEEDED),
            enum_param("waiting", t.paid_status, PaidStatus.WAITING),
        ),
        {"now": NOW, "price": PRICE},
    )
    conn.execute(
        sa.text(
            "INSERT INTO ledger_entries (entry_key, planet_id, payment_id, party, amount, "
            "currency, available_at, created_at) SELECT 'pay:' || id || ':escrow:0', 1, id, "
            ":escrow, amount, 'cny', paid_at, paid_at FROM payments"
        ).bindparams(enum_param("escrow", e.party, Party.ESCROW)),
    )
    conn.execute(sa.text("ANALYZE"))


def explain_claim(db) -> list[str]:
    from payments import questions
    from planet.members.expiry import claim

    statement = claim(questions.overdue(NOW).limit(1), questions.Topic)
    compiled = statement.compile(db.engine, compile_kwargs={"literal_binds": True})
    plan = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, BUFFERS) {compiled}")).scalars().all()
    db.session.rollback()
    return plan


def measure(total: int, due: int) -> dict:
    from payments import questions
    from payments.gateway import StripeGateway
    from payments.models import Payment, PaymentStatus
    from planet.extensions import db

    with private_database() as url:
        app = make_app(url)
        provider = FakeProvider()
        app.extensions["payments_gateway"] = StripeGateway(
            "sk_bench", "http://fake.invalid", http_client=provider, max_network_retries=0
        )
        with app.app_context(), mail_to("sink", app):
            db.create_all()
            with timed(f"generate {total:,}") as generating, db.engine.begin() as conn:
                generate(conn, total=total, due=due)
            plan = explain_claim(db)
            before = load()
            with timed(f"sweep {total:,}") as sweep:
                report = questions.sweep_question_deadlines(NOW)
            with timed(f"re-run {total:,}") as rerun:
                again = questions.sweep_question_deadlines(NOW)
            refunded = db.session.scalar(
                sa.select(sa.func.count(Payment.id)).where(Payment.status == PaymentStatus.REFUNDED)
            )
            result = {
                "total": total,
                "due": due,
                "generate": generating.seconds,
                "sweep": sweep.seconds,
                "rate": due / sweep.seconds if sweep.seconds else 0.0,
                "report": report,
                "rerun": rerun.seconds,
                "rerun_report": again,
                "refunded_rows": refunded,
                "provider_refunds": provider.refunds,
                "plan": plan,
                "rss": rss_mb(),
                "load": f"{before} -> {load()}",
            }
            db.session.remove()
            db.engine.dispose()
    return result


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--total", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args(argv)
    logging.getLogger("stripe").setLevel(logging.WARNING)  # one line per provider call
    results = [measure(args.small, args.due), measure(args.total, args.due)]
    for r in results:
        print(
            f"total {r['total']:>10,}  due {r['due']:,}: generate {r['generate']:.1f} s, "
            f"sweep {r['sweep']:.1f} s ({r['rate']:.0f}/s) {r['report']}, "
            f"re-run {r['rerun']:.2f} s {r['rerun_report']}, refunded rows "
            f"{r['refunded_rows']:,}, provider refunds {r['provider_refunds']:,}, "
            f"peak RSS {r['rss']:.0f} MB, {r['load']}"
        )
        print("   claim plan: " + " | ".join(line.strip() for line in r["plan"]))
    small, large = results
    print(
        f"sweep time ratio, {large['total']:,} vs {small['total']:,} questions with "
        f"{large['due']:,} due: {large['sweep'] / small['sweep']:.2f}"
    )


if __name__ == "__main__":
    main()
