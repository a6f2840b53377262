"""Load-test Planet's timeline and topic page against a bare Flask "hello" app.

    .venv/bin/python -m bench.web.generate        # once: the private database
    .venv/bin/python -m bench.web.run [--duration 10] [--connections 16] [--keep]

Both apps run under the same gunicorn settings (`-w 2`, sync workers) on 127.0.0.1. A plain
member is logged in by creating an AuthSession row and signing a Flask session cookie with the
app's own serializer (what `login_user` stores: `_user_id` = the session key). Page 500 of the
timeline is reached by following the "Older" link 499 times with the test client, exactly as
a reader would. Every URL is first requested in-process to count its SQL statements and
EXPLAIN them; then `wrk` loads each URL for --duration seconds at --connections connections
(after a 2 s warm-up). The hello app is measured before and after the Planet pages and the
ratios use the mean of the two. The private database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import psycopg

from bench.web import cpu
from bench.web.common import DATABASE_URL, MEMBER_EMAIL, SLUG, drop_database, sign_in_reader

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUNICORN = os.path.join(ROOT, ".venv", "bin", "gunicorn")
MORE_LINK = re.compile(r'class="more"><a[^>]*href="([^"]+)"')
BIG_TABLES = {"topics", "users", "memberships", "comments", "likes", "topic_hashtags"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(target: str, port: int, env: dict, log_path: str) -> subprocess.Popen:
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(
        [GUNICORN, "-w", "2", "-b", f"127.0.0.1:{port}", target],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn {target} exited; see {log_path}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit(f"gunicorn {target} did not start; see {log_path}")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()


def fetch(url: str, cookie: str | None) -> tuple[int, str]:
    headers = {"Cookie": f"session={cookie}"} if cookie else {}
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback only
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback only
        return response.status, response.read().decode()


def wrk(url: str, cookie: str | None, duration: int, connections: int) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s"]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    output = subprocess.run([*command, url], check=True, capture_output=True, text=True).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    """Throughput, latency percentiles (ms), non-2xx and request counts from `wrk --latency`."""
    result = {"raw": output}
    result["rps"] = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    for pct in ("50", "75", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        value, unit = float(match.group(1)), match.group(2)
        result[f"p{pct}"] = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    result["non2xx"] = int(non2xx.group(1)) if non2xx else 0
    errors = re.search(r"Socket errors:(.*)", output)
    result["socket_errors"] = errors.group(1).strip() if errors else ""
    result["requests"] = int(re.search(r"(\d+) requests in", output).group(1))
    return result


# ---------------------------------------------------------------- in-process: login, SQL


def prepare(app) -> dict:
    """Log the member in, find page 500, count and EXPLAIN each page's SQL statements."""
    from sqlalchemy import event, select, text

    from planet.accounts.models import AuthSession, User
    from planet.extensions import db

    info: dict = {}
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == MEMBER_EMAIL))
        key = secrets.token_urlsafe(32)
        db.session.add(AuthSession(key=key, user_id=user.id, user_agent="bench"))
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        # What a browser holds after its first page: the login and the CSRF token (without
        # it, every response would mint a token and set a new cookie).
        cookie = serializer.dumps(
            {"_user_id": key, "_fresh": True, "csrf_token": secrets.token_hex(20)}
        )
        info["cookie"] = cookie
        info["reader_cookie"] = sign_in_reader(app)
        newest = db.session.execute(text("SELECT max(id) FROM topics")).scalar()
        info["topic_url"] = f"/p/{SLUG}/t/{newest}"
        engine = db.engine

    captured: list[tuple[str, object]] = []

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith("SET SESSION CHARACTERISTICS"):  # once per connection
            captured.append((statement, parameters))

    client = app.test_client()
    client.set_cookie("session", cookie)  # the test client's jar replaces a Cookie header

    def get(url: str) -> str:
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url} -> {response.status_code}")
        return response.get_data(as_text=True)

    # Follow the "Older" link 499 times: page 500 of the timeline.
    url = f"/p/{SLUG}/"
    started = time.monotonic()
    for _ in range(499):
        match = MORE_LINK.search(get(url))
        if not match:
            raise SystemExit(f"no 'Older' link on {url}")
        url = html.unescape(match.group(1))
    info["page500_url"] = url
    info["follow_seconds"] = time.monotonic() - started

    pages = {
        "timeline": f"/p/{SLUG}/",
        "topic": info["topic_url"],
        "timeline_p500": info["page500_url"],
    }
    info["pages"] = {}
    page_cache = app.extensions.pop("planet_page_cache", None)  # first: the rendered page
    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        for name, page_url in pages.items():
            get(page_url)  # warm caches
            captured.clear()
            body = get(page_url)
            info["pages"][name] = {
                "url": page_url,
                "bytes": len(body.encode()),
                "statements": list(captured),
            }
        if page_cache is not None:
            app.extensions["planet_page_cache"] = page_cache
            client.set_cookie("session", info["reader_cookie"])
            for page in info["pages"].values():
                get(page["url"])  # stored
                captured.clear()
                response = client.get(page["url"])
                page["hit_statements"] = len(captured)
                page["outcome"] = response.headers.get("X-Page-Cache", "none")
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)

    # One request at a time, in-process: the CPU a page costs (best of 5 rounds of 20), on a
    # page cache hit and rendered (the cache off).
    for cached in (True, False):
        if not cached:
            app.extensions.pop("planet_page_cache", None)
        for page in info["pages"].values():
            best_cpu = best_wall = float("inf")
            for _ in range(5):
                cpu, wall = time.process_time(), time.perf_counter()
                for _ in range(20):
                    get(page["url"])
                best_cpu = min(best_cpu, (time.process_time() - cpu) / 20 * 1000)
                best_wall = min(best_wall, (time.perf_counter() - wall) / 20 * 1000)
            suffix = "" if cached else "_uncached"
            page[f"inprocess_cpu_ms{suffix}"] = best_cpu
            page[f"inprocess_wall_ms{suffix}"] = best_wall

    # EXPLAIN every statement (plain JSON plans), and EXPLAIN ANALYZE the timeline query.
    raw = engine.raw_connection()
    try:
        named, numbered = raw.cursor(), psycopg.RawCursor(raw.driver_connection)

        def explain(how: str, statement: str, parameters):
            # The lists' statements go through the driver with `$1` placeholders (dbutil).
            cursor = numbered if isinstance(parameters, list | tuple) else named
            cursor.execute(f"EXPLAIN {how}" + statement, parameters)
            return cursor

        for page in info["pages"].values():
            plans = []
            for statement, parameters in page["statements"]:
                cursor = explain("(FORMAT JSON) ", statement, parameters)
                plan = cursor.fetchone()[0][0]["Plan"]
                plans.append(
                    {
                        "sql": " ".join(statement.split())[:160],
                        "scans": sorted(_scans(plan)),
                    }
                )
            page["plans"] = plans
            timeline = [
                (s, p)
                for s, p in page["statements"]
                if "FROM topics" in s and "ORDER BY topics.feed_at DESC" in s
            ]
            if timeline:
                statement, parameters = timeline[0]
                times = []
                for _ in range(5):
                    cursor = explain("(ANALYZE, BUFFERS, FORMAT JSON) ", statement, parameters)
                    result = cursor.fetchone()[0][0]
                    times.append(result["Execution Time"])
                cursor = explain("(ANALYZE, BUFFERS) ", statement, parameters)
                page["timeline_explain"] = "\n".join(row[0] for row in cursor.fetchall())
                page["timeline_exec_ms"] = sorted(times)[len(times) // 2]
                page["timeline_sql"] = statement
        raw.rollback()
    finally:
        raw.close()
    for page in info["pages"].values():
        page["statements"] = len(page["statements"])
    return info


def _scans(plan: dict) -> set[str]:
    found = set()
    if "Relation Name" in plan:
        found.add(f"{plan['Node Type']} on {plan['Relation Name']}")
    for child in plan.get("Plans", []):
        found |= _scans(child)
    return found


# ---------------------------------------------------------------- main


def _per_request(result: dict, part: str) -> float:
    return result[part] / max(result["requests"], 1) * 1000


def main() -> None:
    if "--mixed" in sys.argv[1:]:  # the mixed load: bench/web/mixed.py
        from bench.web import mixed

        argv = [a for a in sys.argv[1:] if a != "--mixed"]
        return mixed.main(["run", *argv])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")

    env = dict(
        os.environ,
        DATABASE_URL=DATABASE_URL,
        PLANET_ENV="development",
        RATELIMIT_ENABLED="0",
    )
    os.environ.update(DATABASE_URL=DATABASE_URL, PLANET_ENV="development", RATELIMIT_ENABLED="0")
    from planet import create_app

    app = create_app()
    print("preparing (login, page 500, SQL)...", flush=True)
    info = prepare(app)
    cookie = info["reader_cookie"]  # cached and uncached pages as the same reader

    log_dir = os.path.join(ROOT, "var", "bench-web")
    os.makedirs(log_dir, exist_ok=True)
    planet_port, hello_port = free_port(), free_port()
    uncached_port = free_port()
    planet_proc = start_gunicorn("wsgi:app", planet_port, env, f"{log_dir}/planet.log")
    # The same app with the member page cache off (planet/web/pagecache.py): every page is
    # rendered, as before the cache.
    uncached_proc = start_gunicorn(
        "wsgi:app", uncached_port, {**env, "PAGE_CACHE_SIZE": "0"}, f"{log_dir}/uncached.log"
    )
    hello_proc = start_gunicorn("bench.web.hello:app", hello_port, env, f"{log_dir}/hello.log")
    servers = {planet_port: planet_proc.pid, uncached_port: uncached_proc.pid}
    servers[hello_port] = hello_proc.pid
    results: dict[str, dict] = {}
    try:
        hello_url = f"http://127.0.0.1:{hello_port}/"
        # Hello between the pages too: on a shared machine the load drifts within a run, so
        # each page is also compared with the hello runs right before and after it.
        targets = [
            ("hello (before)", hello_url, None),
            ("timeline p1", f"http://127.0.0.1:{planet_port}/p/{SLUG}/", cookie),
            ("hello (2)", hello_url, None),
            ("topic", f"http://127.0.0.1:{planet_port}{info['topic_url']}", cookie),
            ("hello (3)", hello_url, None),
            ("timeline p500", f"http://127.0.0.1:{planet_port}{info['page500_url']}", cookie),
            ("hello (4)", hello_url, None),
            ("uncached timeline p1", f"http://127.0.0.1:{uncached_port}/p/{SLUG}/", cookie),
            ("hello (6)", hello_url, None),
            ("uncached topic", f"http://127.0.0.1:{uncached_port}{info['topic_url']}", cookie),
            ("hello (7)", hello_url, None),
            (
                "uncached timeline p500",
                f"http://127.0.0.1:{uncached_port}{info['page500_url']}",
                cookie,
            ),
            ("hello (8)", hello_url, None),
            # Public pages as a visitor without cookies sees them (the anonymous cache).
            ("discover", f"http://127.0.0.1:{planet_port}/discover", None),
            ("hello (5)", hello_url, None),
            ("landing", f"http://127.0.0.1:{planet_port}/p/{SLUG}/about", None),
            ("hello (after)", hello_url, None),
        ]
        for name, url, url_cookie in targets:
            status, body = fetch(url, url_cookie)
            if status != 200:
                raise SystemExit(f"{name}: {url} -> {status}")
            if url_cookie and "Topic " not in body:
                raise SystemExit(f"{name}: the page shows no topics (not logged in?)")
        load_before = os.getloadavg()
        for name, url, url_cookie in targets:
            wrk(url, url_cookie, 2, args.connections)  # warm-up
            server = servers[int(url.split(":")[2].split("/")[0])]
            before = cpu.snapshot(server)
            results[name] = wrk(url, url_cookie, args.duration, args.connections)
            r = results[name]
            r.update(cpu.spent(before, cpu.snapshot(server)))
            r["cpu_ms_per_request"] = r["cpu_total"] / max(r["requests"], 1) * 1000
            print(
                f"{name:22} {r['rps']:9.1f} req/s  p50 {r['p50']:7.2f} ms  "
                f"p99 {r['p99']:7.2f} ms  non-2xx {r['non2xx']}  "
                f"CPU {r['cpu_ms_per_request']:.3f} ms/req (app "
                f"{_per_request(r, 'cpu_app'):.3f}, PostgreSQL {_per_request(r, 'cpu_pg'):.3f}, "
                f"wrk {_per_request(r, 'cpu_wrk'):.3f})",
                flush=True,
            )
        load_after = os.getloadavg()
    finally:
        stop(planet_proc)
        stop(uncached_proc)
        stop(hello_proc)
        if not args.keep:
            drop_database()
            print("dropped the benchmark database", flush=True)

    hello_runs = [r["rps"] for name, r in results.items() if name.startswith("hello")]
    hello = sum(hello_runs) / len(hello_runs)
    names = list(results)
    neighbours = {
        name: (results[names[i - 1]]["rps"] + results[names[i + 1]]["rps"]) / 2
        for i, name in enumerate(names)
        if not name.startswith("hello")
    }
    p1, p500 = results["timeline p1"], results["timeline p500"]
    pages = info["pages"]
    lines = [
        f"Machine: {os.cpu_count()} CPUs; load average (1/5/15 min) before the load tests "
        f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, after "
        f"{load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}.",
        f"wrk -t2 -c{args.connections} -d{args.duration}s --latency (after a 2 s warm-up), "
        "gunicorn -w 2 (sync) for both apps.",
        "",
        "| URL | requests/s | p50 ms | p99 ms | vs hello (mean) | vs hello (neighbours) "
        "| CPU ms/request (app+PG+wrk) | vs hello by CPU | non-2xx | SQL statements |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    hello_cpu = sum(
        r["cpu_ms_per_request"] for name, r in results.items() if name.startswith("hello")
    ) / len(hello_runs)

    def on_hit(page: str) -> str:
        return f"{pages[page].get('hit_statements', '-')} ({pages[page].get('outcome', '-')})"

    statements = {
        "timeline p1": on_hit("timeline"),
        "topic": on_hit("topic"),
        "timeline p500": on_hit("timeline_p500"),
        "uncached timeline p1": pages["timeline"]["statements"],
        "uncached topic": pages["topic"]["statements"],
        "uncached timeline p500": pages["timeline_p500"]["statements"],
    }
    for name, r in results.items():
        vs_neighbours = f"{r['rps'] / neighbours[name]:.1%}" if name in neighbours else "-"
        lines.append(
            f"| {name} | {r['rps']:.1f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['rps'] / hello:.1%} | {vs_neighbours} | {r['cpu_ms_per_request']:.3f} | "
            f"{hello_cpu / r['cpu_ms_per_request']:.1%} | {r['non2xx']} | "
            f"{statements.get(name, '-')} |"
        )
    lines += [
        "",
        f"Hello reference (mean of its {len(hello_runs)} runs): {hello:.1f} requests/s.",
        f"Page 500 cost vs page 1 (throughput p1 / p500): {p1['rps'] / p500['rps']:.3f}x "
        f"(each against its neighbouring hello runs: "
        f"{(p1['rps'] / neighbours['timeline p1']) / (p500['rps'] / neighbours['timeline p500']):.3f}x); "
        f"p50 latency p500 / p1: {p500['p50'] / p1['p50']:.3f}x; in-process CPU p500 / p1: "
        f"{pages['timeline_p500']['inprocess_cpu_ms'] / pages['timeline']['inprocess_cpu_ms']:.3f}x.",
        f"Timeline SQL execution (EXPLAIN ANALYZE, median of 5): page 1 "
        f"{pages['timeline']['timeline_exec_ms']:.3f} ms, page 500 "
        f"{pages['timeline_p500']['timeline_exec_ms']:.3f} ms.",
        f"Page 500 reached by following 'Older' 499 times in {info['follow_seconds']:.1f} s: "
        f"`{info['page500_url'][:60]}...`",
    ]
    lines += ["", "In-process, one request at a time (test client, best of 5 rounds of 20):"]
    for key, page in pages.items():
        lines.append(
            f"- {key}: page cache hit {page['inprocess_cpu_ms']:.2f} ms CPU "
            f"({page['inprocess_wall_ms']:.2f} ms wall); rendered "
            f"{page['inprocess_cpu_ms_uncached']:.2f} ms CPU "
            f"({page['inprocess_wall_ms_uncached']:.2f} ms wall) per request"
        )
    for key, page in pages.items():
        lines += ["", f"### SQL on {key} ({page['url'][:50]}, {page['bytes']} bytes)", ""]
        for i, plan in enumerate(page["plans"], 1):
            lines.append(f"{i}. `{plan['sql'][:110]}` — {', '.join(plan['scans']) or 'no table'}")
        if "timeline_explain" in page:
            lines += ["", "```", page["timeline_explain"], "```"]
    seq = [
        (key, s)
        for key, page in pages.items()
        for plan in page["plans"]
        for s in plan["scans"]
        if s.startswith("Seq Scan") and s.split(" on ")[1] in BIG_TABLES
    ]
    lines += ["", f"Sequential scans on large tables: {seq or 'none'}"]
    report = "\n".join(lines)
    print("\n" + report)
    with open(os.path.join(log_dir, "last-run.md"), "w") as handle:
        handle.write(report + "\n")
        for name, r in results.items():
            handle.write(
                f"\n<details><summary>wrk {name}</summary>\n\n```\n{r['raw']}```\n</details>\n"
            )
    with open(os.path.join(log_dir, "last-run.json"), "w") as handle:
        json.dump(
            {k: {kk: vv for kk, vv in v.items() if kk != "raw"} for k, v in results.items()},
            handle,
            indent=2,
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
