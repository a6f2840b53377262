"""Where to keep member pages: a Redis GET against the per-process LRU, for a page the size of
a timeline (issue 12, point 2). `.venv/bin/python -m bench.web.cache_store`"""

from __future__ import annotations

import os
import secrets
import time
from collections import OrderedDict

import redis

READS = 5000


def main() -> None:
    body = ("<div>" + secrets.token_hex(20) + "</div>\n") * 900  # about 46 KB
    client = redis.Redis.from_url(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    key = f"planet:bench:page:{secrets.token_hex(4)}"
    client.set(key, body.encode())
    store = OrderedDict({("page",): body})
    try:
        started = time.perf_counter()
        for _ in range(READS):
            client.get(key).decode()
        redis_ms = (time.perf_counter() - started) / READS * 1000
        started = time.perf_counter()
        for _ in range(READS):
            store.get(("page",))
            store.move_to_end(("page",))
        lru_us = (time.perf_counter() - started) / READS * 1_000_000
    finally:
        client.delete(key)
    print(
        f"page {len(body) / 1024:.1f} KB: Redis GET + decode {redis_ms:.3f} ms per read, "
        f"per-process LRU {lru_us:.2f} µs per read; load average {os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
