"""The Celery app follows the Flask app it is bound to, broker changes included."""

from __future__ import annotations

from tests.conftest import make_test_app
from workers.app import bind
from workers.tasks import run_job


def test_rebinding_to_another_broker_and_back_leaves_no_closed_pool(app, tmp_path):
    assert run_job.apply_async(args=[0]).get() == "skipped"  # eager: a producer from the pool
    elsewhere = make_test_app(
        "sqlite://",
        tmp_path / "other",
        CELERY_ALWAYS_EAGER=False,
        CELERY_BROKER_URL="redis://127.0.0.1:1/0",
    )
    bind(elsewhere)
    bind(app)  # back to the first broker: its old pool was closed on the way out
    assert run_job.apply_async(args=[0]).get() == "skipped"
