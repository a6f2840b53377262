"""Which WSGI server for Planet: the same pages under several servers, in one run (issue 12, point 5).

    .venv/bin/pip install -r bench/web/requirements-servers.txt   # granian, waitress, bjoern
    .venv/bin/python -m bench.web.generate --members 2000 --topics 20000   # or reuse a database
    .venv/bin/python -m bench.web.servers [--duration 8] [--connections 16] [--rounds 2]

Every server runs two processes (or one process where the server has no workers, marked), on
127.0.0.1, for the same app object (`wsgi:app`, and `bench.web.hello:app` for the reference). The
pages: hello; discover and a planet's landing page as a visitor without cookies (the anonymous
cache: a hit costs well under a millisecond in Python, so the server's own cost shows); and a
member's timeline (uncached, ~5 ms of Python: the server matters less there). Each server is
measured `--rounds` times, interleaved (A B C … A B C …), so load drifting on a shared machine
spreads over all of them. wrk keeps its connections alive; a server that closes them after each
response (gunicorn's sync worker) pays a TCP handshake per request, as it would behind a proxy
that does not pool upstream connections.

Prints a table (requests/s and p99 per server and page, best round) and writes
var/bench-web/servers.md. bjoern needs libev (apt-get install libev-dev) to build.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time

from bench.web.common import DATABASE_URL, MEMBER_EMAIL, SLUG
from bench.web.run import fetch, free_port, stop, wrk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, ".venv", "bin")

BJOERN = """
import os, sys, importlib, bjoern
module, name = sys.argv[1].split(":")
app = getattr(importlib.import_module(module), name)
port = int(sys.argv[2])
for _ in range(int(sys.argv[3]) - 1):
    if os.fork() == 0:
        break
bjoern.run(app, "127.0.0.1", port, reuse_port=True)
"""


def commands(target: str, port: int) -> dict[str, list[str]]:
    bind = f"127.0.0.1:{port}"
    return {
        "gunicorn sync -w2": [f"{BIN}/gunicorn", "-w", "2", "-b", bind, target],
        "gunicorn gthread -w2 t4": [
            f"{BIN}/gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
            "--keep-alive", "5", "-b", bind, target,
        ],
        "granian -w2": [
            f"{BIN}/granian", "--interface", "wsgi", "--workers", "2", "--blocking-threads",
            "4", "--host", "127.0.0.1", "--port", str(port), "--no-ws", "--log-level",
            "warning", target,
        ],
        "bjoern x2 (reuse_port)": [f"{BIN}/python", "-c", BJOERN, target, str(port), "2"],
        "waitress t4 (1 process)": [
            f"{BIN}/waitress-serve", "--threads", "4", "--listen", bind, target,
        ],
    }  # fmt: skip


def available(argv: list[str]) -> bool:
    if argv[0].endswith("python"):
        return subprocess.run([argv[0], "-c", "import bjoern"], capture_output=True).returncode == 0
    return os.path.exists(argv[0])


def start(argv: list[str], env: dict, log_path: str, port: int) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{argv[:3]} exited; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                time.sleep(0.5)  # let the second process bind too
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"{argv[:3]} did not start; see {log_path}")


def member_cookie() -> str:
    from sqlalchemy import select

    from planet import create_app
    from planet.accounts.models import AuthSession, User
    from planet.extensions import db

    app = create_app()
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == MEMBER_EMAIL))
        key = secrets.token_urlsafe(32)
        db.session.add(AuthSession(key=key, user_id=user.id, user_agent="bench"))
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        return serializer.dumps(
            {"_user_id": key, "_fresh": True, "csrf_token": secrets.token_hex(20)}
        )


def measure(name, argv_of, env, pages, args, log_dir) -> dict[str, dict]:
    planet_port, hello_port = free_port(), free_port()
    procs = [
        start(argv_of(target, port)[name], env, f"{log_dir}/{_slug(name)}-{label}.log", port)
        for target, port, label in (
            ("wsgi:app", planet_port, "planet"),
            ("bench.web.hello:app", hello_port, "hello"),
        )
    ]
    out = {}
    try:
        for page, (path, cookie, on_hello) in pages.items():
            url = f"http://127.0.0.1:{hello_port if on_hello else planet_port}{path}"
            status, _body = fetch(url, cookie)
            if status != 200:
                raise SystemExit(f"{name} {page}: {status}")
            wrk(url, cookie, 1, args.connections)  # warm-up
            out[page] = wrk(url, cookie, args.duration, args.connections)
    finally:
        for proc in procs:
            stop(proc)
    return out


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    settings = dict(DATABASE_URL=DATABASE_URL, PLANET_ENV="development", RATELIMIT_ENABLED="0")
    os.environ.update(settings)
    env = dict(os.environ, **settings)
    cookie = member_cookie()
    pages = {
        "hello": ("/", None, True),
        "discover (visitor)": ("/discover", None, False),
        "landing (visitor)": (f"/p/{SLUG}/about", None, False),
        "timeline (member)": (f"/p/{SLUG}/", cookie, False),
    }
    servers = [n for n, argv in commands("x:y", 1).items() if available(argv)]
    log_dir = os.path.join(ROOT, "var", "bench-web")
    os.makedirs(log_dir, exist_ok=True)
    runs: dict[str, list[dict]] = {name: [] for name in servers}
    load_before = os.getloadavg()
    for round_no in range(args.rounds):
        for name in servers:
            result = measure(name, commands, env, pages, args, log_dir)
            runs[name].append(result)
            print(
                f"round {round_no + 1} {name:26} "
                + "  ".join(f"{p}: {r['rps']:.0f}/s p99 {r['p99']:.1f}" for p, r in result.items()),
                flush=True,
            )
    load_after = os.getloadavg()
    best = {
        name: {page: max((r[page] for r in rounds), key=lambda x: x["rps"]) for page in pages}
        for name, rounds in runs.items()
    }
    base = best["gunicorn sync -w2"]
    lines = [
        f"Machine: {os.cpu_count()} CPUs; load average before {load_before[0]:.2f}, after "
        f"{load_after[0]:.2f}. wrk -t2 -c{args.connections} -d{args.duration}s, best of "
        f"{args.rounds} interleaved rounds per server.",
        "",
        "| server | " + " | ".join(pages) + " |",
        "|---|" + "---:|" * len(pages),
    ]
    for name, result in best.items():
        cells = [
            f"{r['rps']:.0f}/s ({r['rps'] / base[p]['rps']:.2f}x), p99 {r['p99']:.1f} ms"
            + (f", {r['non2xx']} non-2xx" if r["non2xx"] else "")
            + (f", errors {r['socket_errors']}" if r["socket_errors"] else "")
            for p, r in result.items()
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "(Nx) = requests/s against gunicorn's sync worker on the same page in the same run.",
        "Page against the same server's hello: "
        + "; ".join(
            f"{name}: "
            + ", ".join(
                f"{p} {r['rps'] / result['hello']['rps']:.0%}"
                for p, r in result.items()
                if p != "hello"
            )
            for name, result in best.items()
        ),
    ]
    report = "\n".join(lines)
    print("\n" + report)
    with open(os.path.join(log_dir, "servers.md"), "w") as handle:
        handle.write(report + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
