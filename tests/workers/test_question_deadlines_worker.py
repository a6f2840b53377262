"""The paid-question deadline sweep on a real `celery worker` (Redis, PostgreSQL, localstripe),
SIGKILLed in the middle of a batch: right after localstripe made a refund and before the worker
committed it. Run again, the sweep refunds every overdue question exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from sqlalchemy import func, select

from payments import checkout, grant, questions
from payments.models import LedgerEntry, Payment, PaymentKind, PaymentStatus, Refund
from planet.content.models import Audience, PaidStatus, Topic
from planet.content.services import paid_questions as paid
from planet.extensions import db
from planet.models import utcnow
from planet.planets.models import Role
from tests.payments.test_checkout import Who
from tests.workers.test_real_worker import send_tick

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

QUESTIONS = 6
PRICE = 1500


@pytest.fixture
def app_config(worker_app_config, stripe_app_config):
    return {**worker_app_config, **stripe_app_config}


class RefundGate:
    """A pass-through to localstripe that can hold the worker right after the N-th refund was
    made at the provider: the refund exists there, the worker has not committed it."""

    def __init__(self, upstream: str):
        self.upstream = upstream.rstrip("/")
        self.hold_at: int | None = None
        self.refunds = 0
        self.holding = threading.Event()
        self.release = threading.Event()
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def _forward(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                answer = requests.request(
                    self.command,
                    gate.upstream + self.path,
                    data=body,
                    headers=headers,
                    timeout=30,
                )
                if self.command == "POST" and self.path.startswith("/v1/refunds"):
                    gate.refunds += 1
                    if gate.refunds == gate.hold_at:
                        gate.holding.set()
                        gate.release.wait(60)
                self.send_response(answer.status_code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_DELETE = _forward

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.release.set()
        self.server.shutdown()


@pytest.fixture
def refund_gate(localstripe_url):
    gate = RefundGate(localstripe_url)
    yield gate
    gate.close()


def overdue_questions(make, card_token) -> list[Payment]:
    """QUESTIONS paid questions to a guest, paid (verified with localstripe), past due."""
    owner = make.user()
    planet = make.planet(owner, price_amount=9900, currency="cny")
    guest = make.user()
    make.member(planet, guest, role=Role.GUEST)
    paid.set_offer(planet, Who(guest), PRICE, Audience.BOTH)
    db.session.commit()
    payments = []
    for n in range(QUESTIONS):
        asker = make.user(email=f"asker{n}@example.com")
        payment = questions.ask_with_payment(
            planet, Who(asker), addressee_id=guest.id, body=f"Question {n}?"
        )
        db.session.commit()
        checkout.confirm_payment(payment, Who(asker), card_token("4242424242424242"))
        db.session.commit()
        assert grant.sync_payment(payment) == "question paid"
        db.session.commit()
        payments.append(payment)
    db.session.execute(
        Topic.__table__.update()
        .where(Topic.id.in_([p.topic_id for p in payments]))
        .values(due_at=utcnow() - timedelta(minutes=1))
    )
    db.session.commit()
    return payments


def provider_refunds(app, payment: Payment) -> list[int]:
    found = requests.get(
        f"{app.config['STRIPE_API_BASE']}/v1/refunds",
        params={"payment_intent": payment.provider_intent_id},
        headers={"Authorization": "Bearer sk_test_planet"},
        timeout=10,
    ).json()
    return [r["amount"] for r in found["data"]]


def all_closed(payments) -> bool:
    db.session.expire_all()
    return all(
        db.session.get(Topic, p.topic_id).paid_status is PaidStatus.EXPIRED for p in payments
    )


def test_deadline_sweep_killed_mid_batch_then_rerun_refunds_each_question_once(
    app, make, real_worker, card_token, refund_gate
):
    payments = overdue_questions(make, card_token)
    worker = real_worker(STRIPE_API_BASE=refund_gate.url)
    refund_gate.hold_at = 3  # two refunded and committed; the third made at localstripe only
    now = utcnow()
    send_tick("question_deadlines", now)
    assert refund_gate.holding.wait(90), worker.log_text()[-3000:]
    worker.kill()
    refund_gate.hold_at = None
    refund_gate.release.set()
    db.session.expire_all()
    committed = db.session.scalar(select(func.count(Refund.id)))
    assert committed == 2, "the kill came mid-batch: two refunds committed, one not"
    made = sum(len(provider_refunds(app, p)) for p in payments)
    assert made == 3
    worker.start()
    send_tick("question_deadlines", now + timedelta(minutes=5))  # the next period's run
    worker.wait_idle(also=lambda: all_closed(payments))
    db.session.expire_all()
    for payment in payments:
        assert provider_refunds(app, payment) == [PRICE], payment.id
        row = db.session.get(Payment, payment.id)
        assert row.status is PaymentStatus.REFUNDED and row.refunded_amount == PRICE
        refunds = db.session.scalars(select(Refund).where(Refund.payment_id == payment.id)).all()
        assert len(refunds) == 1 and refunds[0].request_key == f"question-{payment.topic_id}"
        total = db.session.scalar(
            select(func.sum(LedgerEntry.amount)).where(LedgerEntry.payment_id == payment.id)
        )
        assert total == 0
    assert (
        db.session.scalar(
            select(func.count(Payment.id)).where(Payment.kind == PaymentKind.QUESTION)
        )
        == QUESTIONS
    )
