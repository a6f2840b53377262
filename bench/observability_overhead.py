"""What the request id, the JSON request line and the request metrics cost a request.

    .venv/bin/python -m bench.observability_overhead

Serves /healthz (a trivial page, so the hooks' share is as large as it gets) in-process on
SQLite, alternating runs with and without those hooks, and prints the best of each and their
ratio (measured in the same run, so machine load affects both sides alike).
"""

from __future__ import annotations

import io
import logging
import time

from planet import create_app, logs, metrics
from planet.extensions import db

RUNS, REQUESTS = 8, 500


def main() -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "LOG_FORMAT": "json", "TESTING": True}
    )
    logging.getLogger().addHandler(logs.make_handler("json", io.StringIO()))
    with app.app_context():
        db.create_all()
    client = app.test_client()
    before, after = app.before_request_funcs[None], app.after_request_funcs[None]
    starts = [logs._start_request, metrics._start_timer]
    finishes = [logs._finish_request, metrics._after_request]

    def run() -> float:
        started = time.perf_counter()
        for _ in range(REQUESTS):
            client.get("/healthz")
        return (time.perf_counter() - started) / REQUESTS * 1e6

    def switch(on: bool) -> None:
        for hooks, funcs in ((starts, before), (finishes, after)):
            for hook in hooks:
                funcs.insert(0, hook) if on else funcs.remove(hook)

    run()  # warm up
    with_hooks, without = [], []
    for _ in range(RUNS):
        with_hooks.append(run())
        switch(False)
        without.append(run())
        switch(True)
    best_with, best_without = min(with_hooks), min(without)
    print(
        f"/healthz: {best_with:.0f} us with the hooks, {best_without:.0f} us without "
        f"(+{best_with - best_without:.0f} us, ratio {best_with / best_without:.2f}); "
        f"best of {RUNS} interleaved runs of {REQUESTS}"
    )


if __name__ == "__main__":
    main()
