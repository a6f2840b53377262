"""Start everything for the embedded default: database, demo data, and the processes.

Run through `scripts/run`. Stops every process it started on Ctrl-C.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCESSES: list[subprocess.Popen] = []
WORKER_PROCESSES = {"worker", "beat"}


def flask(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "flask", *args], check=True, cwd=ROOT, env=env)


def start(name: str, argv: list[str], env: dict) -> subprocess.Popen:
    print(f"[dev] starting {name}: {' '.join(argv)}", flush=True)
    process = subprocess.Popen(argv, cwd=ROOT, env=env)
    PROCESSES.append(process)
    return process


def stop_all(*_args) -> None:
    for process in reversed(PROCESSES):
        if process.poll() is None:
            process.terminate()
    for process in PROCESSES:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
    sys.exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    parser.add_argument("--no-seed", action="store_true", help="do not load the demo data")
    args = parser.parse_args()

    env = dict(os.environ, FLASK_APP="planet", PYTHONPATH=str(ROOT))
    env.setdefault("BASE_URL", f"http://{args.host}:{args.port}")
    (ROOT / "var").mkdir(exist_ok=True)
    signal.signal(signal.SIGTERM, stop_all)
    signal.signal(signal.SIGINT, stop_all)
    companions = extra_processes(env)
    # Services first (fake Stripe, mail catcher), so the demo's mails and payments have a peer;
    # then the schema and demo data; then the worker and beat, which need the schema.
    for name, argv in companions:
        if name not in WORKER_PROCESSES:
            start(name, argv, env)
    flask("db", "upgrade", env=env)
    if not args.no_seed:
        flask("seed-demo", "--if-empty", env=env)
    for name, argv in companions:
        if name in WORKER_PROCESSES:
            start(name, argv, env)
    start(
        "web",
        [sys.executable, "-m", "flask", "run", "--host", args.host, "--port", str(args.port)],
        env,
    )
    print(f"[dev] Planet is on http://{args.host}:{args.port}", flush=True)
    while all(process.poll() is None for process in PROCESSES):
        time.sleep(0.5)
    stop_all()


def extra_processes(env: dict) -> list[tuple[str, list[str]]]:
    """Companion processes of the embedded default (fake Stripe, SMTP catcher, workers)."""
    processes: list[tuple[str, list[str]]] = []
    # Fake Stripe (localstripe, GPL-3.0, a separate process) on STRIPE_API_BASE's port, unless
    # the app points at another Stripe; plus a helper that registers our webhook with it.
    api_base = env.get("STRIPE_API_BASE", "http://127.0.0.1:8420")
    if api_base.startswith("http://127.0.0.1") or api_base.startswith("http://localhost"):
        port = api_base.rsplit(":", 1)[-1].strip("/") or "8420"
        localstripe = str(Path(sys.executable).with_name("localstripe"))
        processes.append(("localstripe", [localstripe, "--port", port]))
        processes.append(
            ("stripe-webhook", [sys.executable, "-m", "payments.devtools", "keep-webhook"])
        )
    # SMTP catcher (aiosmtpd): caught mail lands in var/mail and on /_dev/mail.
    if env.get("MAIL_SERVER", "127.0.0.1") in ("127.0.0.1", "localhost"):
        catcher = [sys.executable, "-m", "planet.devtools.mailcatcher"]
        catcher += ["--port", env.get("MAIL_PORT", "8025"), "--dir", str(ROOT / "var" / "mail")]
        processes.append(("mailcatcher", catcher))
    # One worker and one beat. Without Redis the broker is kombu's SQLAlchemy transport on a
    # SQLite file (no server to install); web, worker and beat share this environment.
    if not (env.get("CELERY_BROKER_URL") or env.get("REDIS_URL")):
        env["CELERY_BROKER_URL"] = f"sqla+sqlite:///{ROOT / 'var' / 'celery-broker.db'}"
    celery = [sys.executable, "-m", "celery", "-A", "workers.app"]
    processes.append(
        ("worker", [*celery, "worker", "--loglevel", "INFO", "--pool", "solo",
                    "--queues", "billing,mail,default"])
    )  # fmt: skip
    schedule = str(ROOT / "var" / "celerybeat-schedule")
    processes.append(("beat", [*celery, "beat", "--loglevel", "INFO", "--schedule", schedule]))
    return processes


if __name__ == "__main__":
    main()
