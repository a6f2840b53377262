"""Instructions the app's process executes per request, counted by valgrind's callgrind: a
figure that does not move with the machine's load (wall and CPU time do, by ±30% on a busy
2-core machine), for telling what one change bought.

    apt-get install -y valgrind
    .venv/bin/python -m bench.web.generate                # once: the private database
    .venv/bin/python -m bench.web.instructions [--calls 10]

For each page (the timeline and the newest topic rendered with the page cache off, and both
as page-cache hits) a child process under callgrind signs a reader in, warms up with
five WSGI calls in process, and counts only the next --calls (`callgrind_control -i on/off`
around them). PostgreSQL's own work is in its processes and not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

from bench.web.common import DATABASE_URL, sign_in_reader

PAGES = {"rendered timeline": ("timeline", "0"), "rendered topic": ("topic", "0"),
         "timeline hit": ("timeline", None), "topic hit": ("topic", None)}  # fmt: skip
WARM_UP = 5


def _child(page: str, calls: int) -> None:
    """Runs under callgrind: the app in process, instrumentation on around `calls` calls."""
    from sqlalchemy import text
    from werkzeug.test import EnvironBuilder

    from planet import create_app
    from planet.extensions import db

    app = create_app()
    with app.app_context():
        cookie = sign_in_reader(app)
        newest = db.session.execute(text("SELECT max(id) FROM topics")).scalar()
    path = f"/p/bench/t/{newest}" if page == "topic" else "/p/bench/"
    headers = {"Cookie": f"session={cookie}", "Accept-Language": "zh-CN,zh;q=0.9"}
    environ = EnvironBuilder(path=path, headers=headers).get_environ()

    def call() -> None:
        statuses = []
        body = b"".join(app(dict(environ), lambda status, *_: statuses.append(status)))
        if not statuses[0].startswith("200") or b"Topic " not in body:
            raise SystemExit(f"{path}: {statuses[0]}")

    for _ in range(WARM_UP):
        call()
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    for _ in range(calls):
        call()
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)


def count(page: str, cache_size: str | None, calls: int) -> float:
    """Millions of instructions per call of `page`."""
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, PLANET_ENV="development",
               RATELIMIT_ENABLED="0", LOG_LEVEL="WARNING")  # fmt: skip
    env.pop("PAGE_CACHE_SIZE", None)
    if cache_size is not None:
        env["PAGE_CACHE_SIZE"] = cache_size
    with tempfile.TemporaryDirectory() as scratch:
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--callgrind-out-file={scratch}/out", sys.executable, "-m",
                   "bench.web.instructions", "--child", page, "--calls", str(calls)]  # fmt: skip
        done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    collected = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or collected is None:
        raise SystemExit(f"{page}: callgrind failed\n{done.stderr[-2000:]}")
    return int(collected.group(1)) / calls / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--child", choices=["timeline", "topic"])
    args = parser.parse_args()
    if args.child:
        return _child(args.child, args.calls)
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is not installed (apt-get install -y valgrind)")
    for name, (page, cache_size) in PAGES.items():
        print(f"{name:18} {count(page, cache_size, args.calls):7.2f} M instructions per request",
              flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
