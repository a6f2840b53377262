"""A real Celery worker for integration tests: `celery -A workers.app worker` in a subprocess,
on the machine's Redis (a database of its own, flushed per test) and the test's private
PostgreSQL database (mark such tests `postgres` and `redis`).

    pytestmark = [pytest.mark.postgres, pytest.mark.redis]

    @pytest.fixture
    def app_config(worker_app_config):          # the test app sends tasks to the same broker
        return worker_app_config

    def test_digest(app, make, real_worker, worker_smtp):
        worker = real_worker()                  # started and answering a ping
        digests.fan_out_weekly(NOW)             # sends batch tasks to Redis
        worker_smtp.wait_for(3)                 # mail sent by the worker process
        worker.wait_idle()                      # queues empty, nothing unacknowledged
        worker.kill()                           # SIGKILL (the whole process group)
        worker.start()                          # a fresh process, same settings

The app fixture creates the tables on that PostgreSQL database before the worker starts, so
both processes share the schema. The worker gets its configuration through the environment
(planet.config reads it): DATABASE_URL, CELERY_BROKER_URL, MAIL_SERVER/MAIL_PORT (the
`worker_smtp` catcher), STRIPE_* (whatever the test app uses), CELERY_ALWAYS_EAGER=0, a short
CELERY_VISIBILITY_TIMEOUT so a killed worker's task is redelivered within the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BROKER_HOST = os.environ.get("PLANET_TEST_CELERY_REDIS", "redis://127.0.0.1:6379")
VISIBILITY_TIMEOUT = 6
QUEUES = ("billing", "mail", "default")


def _broker_db() -> int:
    """Redis database 13 (14 for a second xdist worker): the workers area's own."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    return 13 + index % 2


def _delete_prefixed(client, prefix: str) -> None:
    keys = list(client.scan_iter(match=prefix + "*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def worker_broker_prefix():
    """A key prefix of this test's own on the broker's Redis database: concurrent test runs
    (another xdist worker, another checkout) never see each other's tasks."""
    return f"planet-test-{uuid.uuid4().hex[:10]}:"


@pytest.fixture
def worker_broker_url(worker_broker_prefix):
    """The broker's Redis database; this test's keys are removed before and after."""
    import redis

    url = f"{BROKER_HOST}/{_broker_db()}"
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        from tests.conftest import _unavailable

        _unavailable("Redis", error)
    _delete_prefixed(client, worker_broker_prefix)
    yield url
    _delete_prefixed(client, worker_broker_prefix)
    client.close()


@pytest.fixture
def worker_app_config(worker_broker_url, worker_broker_prefix):
    """The test app's config: tasks go to the real broker instead of running inline."""
    return {
        "CELERY_ALWAYS_EAGER": False,
        "CELERY_BROKER_URL": worker_broker_url,
        "CELERY_BROKER_KEYPREFIX": worker_broker_prefix,
        "REDIS_URL": worker_broker_url,
        "CELERY_VISIBILITY_TIMEOUT": VISIBILITY_TIMEOUT,
        "CELERY_UNACKED_RESTORE_INTERVAL": 1,
    }


# ---------------------------------------------------------------- SMTP


class GatedHandler:
    """Wraps the mail catcher's handler: counts RCPT commands and can hold the n-th one
    (the SMTP conversation of that message pauses, so a test can kill the sender mid-mail)."""

    def __init__(self, inner):
        self.inner = inner
        self.rcpt_started = 0
        self.hold_at: int | None = None
        self.hold_seconds = 4.0
        self.holding = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_started += 1
        if self.hold_at is not None and self.rcpt_started == self.hold_at:
            self.holding.set()
            await asyncio.sleep(self.hold_seconds)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await self.inner.handle_DATA(server, session, envelope)


@pytest.fixture
def worker_smtp(tmp_path):
    """A real SMTP catcher for a worker process (`.gate` holds the n-th message)."""
    from aiosmtpd.controller import Controller

    from planet.devtools.mailcatcher import CatchingHandler
    from tests.plugins.mail import SmtpCatcher, _free_port

    inner = CatchingHandler(tmp_path / "worker-mail")
    gate = GatedHandler(inner)
    port = _free_port()
    controller = Controller(gate, hostname="127.0.0.1", port=port, decode_data=False)
    controller.start()
    catcher = SmtpCatcher(inner, "127.0.0.1", port, tmp_path / "worker-mail")
    catcher.gate = gate
    try:
        yield catcher
    finally:
        controller.stop()


# ---------------------------------------------------------------- the worker


class RealWorker:
    """One `celery worker` subprocess (its own process group); start/kill/stop/restart."""

    def __init__(self, app, env: dict, log_dir: Path, pool: str = "solo"):
        self.app = app
        self.env = env
        self.log_dir = log_dir
        self.pool = pool
        self.process: subprocess.Popen | None = None
        self.hostname = ""
        self.starts = 0
        self.tag = uuid.uuid4().hex[:6]

    def _log(self, start: int) -> Path:
        return self.log_dir / f"worker-{self.tag}-{start}.log"

    @property
    def log_path(self) -> Path:
        return self._log(self.starts)

    def start(self, timeout: float = 30.0) -> RealWorker:
        assert self.process is None, "already running"
        self.starts += 1
        self.hostname = f"planet-test-{uuid.uuid4().hex[:8]}@localhost"
        argv = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.app",
            "worker",
            f"--pool={self.pool}",
            "-Q",
            ",".join(QUEUES),
            "-n",
            self.hostname,
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        if self.pool == "prefork":
            argv.append("--concurrency=2")
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed by the process's end
        self.process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_own_group_and_die_with_parent,
        )
        log.close()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        from workers.app import celery

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited: {self.log_path.read_text()[-3000:]}")
            # A solo worker busy with a redelivered job answers no ping until the job ends; its
            # log's "ready." line says it is consuming all the same.
            if f"{self.hostname.split('@')[0]}@localhost ready." in self.log_text():
                return
            try:
                if celery.control.ping(destination=[self.hostname], timeout=0.5):
                    return
            except Exception:  # noqa: BLE001 - the broker connection is still warming up
                time.sleep(0.2)
        raise AssertionError(f"worker not ready in {timeout}s: {self.log_text()[-3000:]}")

    def log_text(self) -> str:
        return "\n".join(
            self._log(n).read_text(errors="replace")
            for n in range(1, self.starts + 1)
            if self._log(n).exists()
        )

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        """SIGKILL the worker and its children (no warm shutdown, nothing acknowledged)."""
        if self.process is None:
            return
        self._signal_group(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self, timeout: float = 15.0) -> None:
        """Cold shutdown (SIGQUIT to its group: an idle worker exits at once, a running task
        is not acknowledged); SIGKILL if it does not stop in time."""
        if self.process is None:
            return
        self._signal_group(signal.SIGQUIT)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> RealWorker:
        self.stop()
        return self.start()

    # ------------------------------------------------------------ waiting

    def broker_busy(self) -> int:
        """Messages waiting in the queues plus those delivered but not yet acknowledged."""
        import redis

        client = redis.Redis.from_url(self.env["CELERY_BROKER_URL"])
        prefix = self.env["CELERY_BROKER_KEYPREFIX"]
        try:
            waiting = sum(
                client.llen(key)
                for key in client.scan_iter(match=prefix + "*")
                if _is_queue(key[len(prefix) :])
            )
            return waiting + client.hlen(prefix + "unacked")
        finally:
            client.close()

    def wait_idle(self, timeout: float = 60.0, also=None) -> None:
        """Wait until the broker is empty and nothing is unacknowledged (twice in a row,
        0.3 s apart), and `also()` (a DB check, e.g. every job done) holds."""
        from planet.extensions import db

        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            db.session.rollback()
            idle = self.broker_busy() == 0 and (also is None or also())
            quiet = quiet + 1 if idle else 0
            if quiet >= 2:
                return
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"worker died: {self.log_text()[-3000:]}")
            time.sleep(0.3)
        raise AssertionError(
            f"worker not idle after {timeout}s (busy={self.broker_busy()}):\n"
            + self.log_text()[-3000:]
        )


def _own_group_and_die_with_parent() -> None:
    """In the child before exec: its own process group (we signal the group, by pid), and
    SIGKILL when the test process dies (Linux), so an aborted run leaves no worker behind."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _is_queue(key: bytes) -> bool:
    name = key.decode(errors="replace")
    return any(name == q or name.startswith(q + "\x06\x16") for q in QUEUES)


def worker_env(app, broker_url: str, mail_port: int, var_dir: Path, **extra) -> dict:
    """The environment a worker needs to act on the same database, broker and mail server
    as the test app."""
    config = app.config
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLANET_", "CELERY_", "STRIPE_", "MAIL_", "DATABASE_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        PLANET_ENV="development",
        PLANET_VAR_DIR=str(var_dir),
        DATABASE_URL=config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=broker_url,
        CELERY_BROKER_URL=broker_url,
        CELERY_BROKER_KEYPREFIX=config["CELERY_BROKER_KEYPREFIX"],
        CELERY_ALWAYS_EAGER="0",
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        CELERY_UNACKED_RESTORE_INTERVAL="1",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(mail_port),
        MAIL_USE_TLS="0",
        SECRET_KEY=config["SECRET_KEY"],
        BASE_URL=config["BASE_URL"],
        RATELIMIT_ENABLED="0",
        STRIPE_API_BASE=config["STRIPE_API_BASE"],
        STRIPE_SECRET_KEY=config["STRIPE_SECRET_KEY"],
        STRIPE_PUBLISHABLE_KEY=config["STRIPE_PUBLISHABLE_KEY"],
        STRIPE_WEBHOOK_SECRET=config["STRIPE_WEBHOOK_SECRET"],
    )
    env.update({key: str(value) for key, value in extra.items()})
    return env


@pytest.fixture
def real_worker(app, worker_broker_url, worker_smtp, tmp_path):
    """A factory: `real_worker(pool="solo", **env)` starts a worker (ready when it returns).
    Every worker started is stopped at the end of the test (its process group, by pid)."""
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"), (
        "mark the test @pytest.mark.postgres: the worker needs a database it can share"
    )
    assert app.config["CELERY_BROKER_URL"] == worker_broker_url, (
        "use `worker_app_config` as the test's app_config"
    )
    started: list[RealWorker] = []
    log_dir = tmp_path / "worker-logs"
    log_dir.mkdir()

    def start(pool: str = "solo", **extra) -> RealWorker:
        env = worker_env(app, worker_broker_url, worker_smtp.port, tmp_path / "worker-var", **extra)
        worker = RealWorker(app, env, log_dir, pool=pool)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop()
