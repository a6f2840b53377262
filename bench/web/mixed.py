"""Mixed load (issue 12): many planets, Zipf traffic, members reading and 5% writing.

    .venv/bin/python -m bench.web.generate --mixed   # or: python -m bench.web.mixed generate
    .venv/bin/python -m bench.web.run --mixed        # or: python -m bench.web.mixed run

Data (INSERT ... SELECT generate_series, in a private database, PLANET_BENCH_MIXED_DB,
default planet_bench_mixed): --planets planets (user p owns planet p, slug `m<p>`, members may
post), --users users; each user joins --joins planets drawn with a Zipf-like skew (planet 1 is
the most popular), owners included. Planet p has max(5, 400 / p^0.8) topics by its owner (Zipf
sizes: a few hundred on the popular planets, 5 on the long tail), each with 8 comments by the
planet's members. The content-version triggers are off during the bulk insert
(session_replication_role = replica) and the counters are set afterwards.

Load: every member gets an AuthSession row and a session cookie signed with the app's own
serializer that carries a CSRF token, as a browser's does after its first page; writes send the
matching form token (Flask-WTF's signed form of the session's token). A list of requests is
drawn in Python: planet ~ Zipf(s=1) over the planets, then a member of that planet; 55% their
timeline, 40% a topic page (topics Zipf by recency), 5% writes (2.5% comment, 2% like, 0.5%
new topic), all through the real HTTP app. wrk plays the list (a Lua script: per request
method, path, cookie and body) and counts status codes and the X-Page-Cache header; p50/p99
are wrk's client-side latencies over all requests. The bare Flask hello app is measured right
before and after the mixed run, both under `gunicorn -w 2` (sync), as run.py does.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import sqlalchemy as sa

from bench.web.common import PASSWORD, SERVER_URL, admin_engine
from bench.web.generate import create_schema, insert_users, step
from bench.web.run import parse_wrk

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DB_NAME = os.environ.get("PLANET_BENCH_MIXED_DB", "planet_bench_mixed")
DATABASE_URL = f"{SERVER_URL}/{DB_NAME}"
COMMENTS_PER_TOPIC = 8
WRITE_MIX = (("comment", 0.025), ("like", 0.02), ("topic", 0.005))
TIMELINE_SHARE = 0.55  # of all requests; the rest of the reads are topic pages

LUA = r"""
local reqs = {}
counts = {}
local cursor = 0
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function bump(key)
  counts[key] = (counts[key] or 0) + 1
end

function init(args)
  local file = io.open(args[1], "r")
  for line in file:lines() do
    local kind, method, path, cookie, body = line:match("^(%S+)\t(%S+)\t(%S+)\t(%S+)\t(.*)$")
    local headers = {Cookie = "session=" .. cookie}
    if method == "POST" then
      headers["Content-Type"] = "application/x-www-form-urlencoded"
    else
      body = nil
    end
    table.insert(reqs, {kind, wrk.format(method, path, headers, body)})
  end
  file:close()
  -- threads start far apart in the list, so they do not send the same requests together;
  -- args[3] shifts every start (the warm-up plays another part of the list than the run)
  cursor = math.floor(#reqs * (tid / tonumber(args[2]) + tonumber(args[3]))) % #reqs
end

function request()
  cursor = cursor % #reqs + 1
  local item = reqs[cursor]
  bump("sent:" .. item[1])
  return item[2]
end

function response(status, headers, body)
  bump("status:" .. status)
  local cache = headers["X-Page-Cache"] or headers["x-page-cache"]
  local location = headers["Location"] or headers["location"]
  if status == 200 then
    bump("cache:" .. (cache or "none"))
  elseif status >= 300 and status < 400 then
    if location and location:find("/t/%d+") then
      bump("redirect:write")
    else
      bump("redirect:other:" .. tostring(location))
    end
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local c = thread:get("counts")
    for k, v in pairs(c) do
      total[k] = (total[k] or 0) + v
    end
  end
  local parts = {}
  for k, v in pairs(total) do
    table.insert(parts, string.format("%q:%d", k, v))
  end
  io.write("MIXED-COUNTS {" .. table.concat(parts, ",") .. "}\n")
end
"""


def drop_database() -> None:
    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
    engine.dispose()


# ---------------------------------------------------------------- generate


def generate(planets: int, users: int, joins: int) -> None:
    from planet.accounts.passwords import hash_password

    t0 = started = time.monotonic()
    create_schema(DB_NAME, DATABASE_URL, drop_database)
    started = step(f"database {DB_NAME}: schema", started)

    engine = sa.create_engine(DATABASE_URL)
    params = {
        "hash": hash_password(PASSWORD),
        "planets": planets,
        "users": users,
        "joins": joins,
        "per": COMMENTS_PER_TOPIC,
    }
    with engine.begin() as conn:
        x = conn.execute
        x(sa.text("SET synchronous_commit = off"))
        x(sa.text("SET session_replication_role = replica"))  # no triggers during the load
        insert_users(conn, users, "mixed.local", params["hash"])
        x(
            sa.text(
                """
                INSERT INTO planets (id, slug, name, description, category, owner_id,
                    price_amount, currency, timezone, posting_policy, questions_enabled,
                    anonymous_questions, comments_enabled, private_messages_enabled,
                    roster_visible, preview_essence_count, rules, public_directory, is_listed,
                    member_count, topic_count, last_activity_at, created_at)
                SELECT p, 'm' || p, 'Planet ' || p, 'Planet number ' || p || '.', 'tech', p,
                    9900, 'cny', 'Asia/Shanghai', 'MEMBERS', true, false, true, true, true, 3,
                    '', false, true, 0, 0, now(), now() - interval '400 days'
                FROM generate_series(1, CAST(:planets AS int)) AS p
                """
            ),
            params,
        )
        # Owners first, then each user joins `joins` planets drawn with a heavy skew towards
        # the low ids (p = 1 + planets * u^3, u uniform): duplicates are dropped.
        x(
            sa.text(
                """
                INSERT INTO memberships (planet_id, user_id, role, status, started_at,
                    expires_at, is_trial, rules_accepted_at, created_at)
                SELECT p, p, 'OWNER', 'ACTIVE', now() - interval '300 days', NULL, false,
                       now() - interval '300 days', now() - interval '300 days'
                FROM generate_series(1, CAST(:planets AS int)) AS p
                """
            ),
            params,
        )
        x(
            sa.text(
                """
                INSERT INTO memberships (planet_id, user_id, role, status, started_at,
                    expires_at, is_trial, rules_accepted_at, created_at)
                SELECT DISTINCT ON (p, u) p, u, 'MEMBER', 'ACTIVE', now() - interval '300 days',
                       now() + interval '65 days', false, now() - interval '300 days',
                       now() - interval '300 days'
                FROM generate_series(1, CAST(:users AS int)) AS u
                CROSS JOIN generate_series(1, CAST(:joins AS int)) AS j
                CROSS JOIN LATERAL (
                    SELECT LEAST(CAST(:planets AS int),
                                 1 + floor(CAST(:planets AS int) * power(random() + 0 * u * j, 3))::int)
                           AS p
                ) AS pick
                ON CONFLICT DO NOTHING
                """
            ),
            params,
        )
        started = step("users, planets, memberships", started)
        x(
            sa.text(
                """
                INSERT INTO topics (planet_id, author_id, kind, title, body, body_html,
                    is_anonymous, is_essence, is_announcement, in_feed, feed_at, like_count,
                    comment_count, created_at)
                SELECT p, p, 'POST',
                    CASE WHEN i % 4 = 0 THEN 'Notes ' || i ELSE '' END,
                    'Topic ' || i || ' of planet ' || p || ': some thoughts on how we work.',
                    '<p>Topic ' || i || ' of planet ' || p || ': some thoughts on how we work.</p>',
                    false, i % 50 = 0, false, true, f.at, 0, :per, f.at
                FROM generate_series(1, CAST(:planets AS int)) AS p
                CROSS JOIN LATERAL generate_series(1, GREATEST(5, floor(400 / power(p, 0.8))::int)) AS i
                CROSS JOIN LATERAL (
                    SELECT now() - interval '200 days' + i * interval '6 hours' AS at
                ) AS f
                """
            ),
            params,
        )
        started = step("topics", started)
        # Comments by members of the topic's planet (the n-th member, n from the comment's
        # number, over the planet's member list).
        x(
            sa.text(
                """
                INSERT INTO comments (planet_id, topic_id, author_id, body, body_html,
                                      like_count, created_at)
                SELECT t.planet_id, t.id, m.user_ids[1 + (t.id * 7 + j) % cardinality(m.user_ids)],
                       'Comment ' || j || ' on topic ' || t.id || '.',
                       '<p>Comment ' || j || ' on topic ' || t.id || '.</p>',
                       0, t.created_at + j * interval '1 minute'
                FROM topics t
                JOIN (SELECT planet_id, array_agg(user_id ORDER BY user_id) AS user_ids
                      FROM memberships GROUP BY planet_id) AS m ON m.planet_id = t.planet_id
                CROSS JOIN generate_series(1, CAST(:per AS int)) AS j
                """
            ),
            params,
        )
        started = step("comments", started)
        x(
            sa.text(
                """
                UPDATE planets SET
                    member_count = (SELECT count(*) FROM memberships m WHERE m.planet_id = planets.id),
                    topic_count = (SELECT count(*) FROM topics t WHERE t.planet_id = planets.id),
                    last_activity_at = now()
                """
            )
        )
        # Every member is logged in once: the session key is what login_user stores.
        x(
            sa.text(
                """
                INSERT INTO auth_sessions (key, user_id, user_agent, created_at)
                SELECT 'mixed-' || u || '-' || md5(random()::text), u, 'bench', now()
                FROM generate_series(1, CAST(:users AS int)) AS u
                """
            ),
            params,
        )
        for table in ("users", "planets", "memberships", "topics", "comments", "auth_sessions"):
            x(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
        counts = x(
            sa.text(
                "SELECT (SELECT count(*) FROM memberships), (SELECT count(*) FROM topics), "
                "(SELECT count(*) FROM comments)"
            )
        ).one()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    step("counters, sessions, VACUUM ANALYZE", started)
    engine.dispose()
    print(
        f"{planets} planets, {users} users, {counts[0]} memberships, {counts[1]} topics, "
        f"{counts[2]} comments in {time.monotonic() - t0:.1f} s",
        flush=True,
    )


# ---------------------------------------------------------------- run


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1 / (rank**s) for rank in range(1, n + 1)]


def build_requests(app, count: int, seed: int = 12) -> tuple[list[str], dict]:
    """The request list (kind, method, path, cookie, body per line) and what it holds."""
    from itsdangerous import URLSafeTimedSerializer

    rng = random.Random(seed)
    engine = sa.create_engine(DATABASE_URL)
    with engine.connect() as conn:
        sessions = dict(conn.execute(sa.text("SELECT user_id, key FROM auth_sessions")).all())
        members: dict[int, list[int]] = {}
        for planet_id, user_id in conn.execute(
            sa.text("SELECT planet_id, user_id FROM memberships ORDER BY planet_id, user_id")
        ):
            members.setdefault(planet_id, []).append(user_id)
        topics: dict[int, list[int]] = {}
        for planet_id, topic_id in conn.execute(
            sa.text("SELECT planet_id, id FROM topics ORDER BY planet_id, feed_at DESC")
        ):
            topics.setdefault(planet_id, []).append(topic_id)
    engine.dispose()

    serializer = app.session_interface.get_signing_serializer(app)
    form_tokens = URLSafeTimedSerializer(
        app.config.get("WTF_CSRF_SECRET_KEY") or app.secret_key, salt="wtf-csrf-token"
    )
    cookies: dict[int, tuple[str, str]] = {}

    def login(user_id: int) -> tuple[str, str]:
        if user_id not in cookies:
            raw = secrets.token_hex(20)
            cookie = serializer.dumps(
                {"_user_id": sessions[user_id], "_fresh": True, "csrf_token": raw}
            )
            cookies[user_id] = (cookie, form_tokens.dumps(raw))
        return cookies[user_id]

    planet_ids = sorted(members)
    planet_weights = _zipf_weights(len(planet_ids))
    topic_weights = _zipf_weights(max(len(t) for t in topics.values()))
    thresholds = []
    acc = TIMELINE_SHARE
    for kind, share in WRITE_MIX:
        acc += share
        thresholds.append((acc, kind))
    lines = []
    kinds: dict[str, int] = {}
    planets_hit = [0] * (len(planet_ids) + 1)
    picks = rng.choices(planet_ids, weights=planet_weights, k=count)
    for n, planet_id in enumerate(picks):
        user_id = rng.choice(members[planet_id])
        cookie, token = login(user_id)
        planet_topics = topics[planet_id]
        topic_id = rng.choices(planet_topics, weights=topic_weights[: len(planet_topics)])[0]
        slug = f"m{planet_id}"
        roll = rng.random()
        kind = "topic_page"
        if roll < TIMELINE_SHARE:
            kind = "timeline"
        else:
            for limit, write in thresholds:
                if roll < limit:
                    kind = write
                    break
        if kind == "timeline":
            line = ("timeline", "GET", f"/p/{slug}/", cookie, "")
        elif kind == "topic_page":
            line = ("topic_page", "GET", f"/p/{slug}/t/{topic_id}", cookie, "")
        elif kind == "comment":
            body = urllib.parse.urlencode(
                {"csrf_token": token, "body": f"A comment from member {user_id}, number {n}."}
            )
            line = ("comment", "POST", f"/p/{slug}/t/{topic_id}/comments", cookie, body)
        elif kind == "like":
            body = urllib.parse.urlencode({"csrf_token": token})
            line = ("like", "POST", f"/p/{slug}/t/{topic_id}/like", cookie, body)
        else:
            body = urllib.parse.urlencode(
                {
                    "csrf_token": token,
                    "title": "",
                    "body": f"A new topic from member {user_id}, number {n}.",
                    "intent": "publish",
                }
            )
            line = ("topic", "POST", f"/p/{slug}/new", cookie, body)
        kinds[kind] = kinds.get(kind, 0) + 1
        planets_hit[planet_id] += 1
        lines.append("\t".join(line))
    top = sorted(planets_hit, reverse=True)
    info = {
        "requests": count,
        "kinds": kinds,
        "members_logged_in": len(cookies),
        "planets_requested": sum(1 for c in planets_hit if c),
        "top1_share": top[0] / count,
        "top10_share": sum(top[:10]) / count,
        "top100_share": sum(top[:100]) / count,
    }
    return lines, info


def wrk_mixed(
    url: str, script: str, data: str, duration: int, connections: int, shift: float
) -> dict:
    command = [
        "wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "5s",
        "-s", script, url, "--", data, "2", str(shift),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    output = done.stdout
    result = parse_wrk(output)
    match = re.search(r"^MIXED-COUNTS (\{.*\})$", output, re.MULTILINE)
    result["counts"] = json.loads(match.group(1)) if match else {}
    return result


def table_counts() -> dict[str, int]:
    engine = sa.create_engine(DATABASE_URL)
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM comments), (SELECT count(*) FROM likes), "
                "(SELECT count(*) FROM topics)"
            )
        ).one()
    engine.dispose()
    return {"comments": row[0], "likes": row[1], "topics": row[2]}


def run(duration: int, connections: int, count: int, keep: bool) -> None:
    from bench.web.run import free_port, start_gunicorn, stop, wrk

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    settings = {"DATABASE_URL": DATABASE_URL, "PLANET_ENV": "development", "RATELIMIT_ENABLED": "0"}
    env = dict(os.environ, **settings)
    os.environ.update(settings)
    from planet import create_app

    app = create_app()
    started = time.monotonic()
    lines, info = build_requests(app, count)
    print(
        f"{len(lines)} requests drawn for {info['members_logged_in']} members in "
        f"{time.monotonic() - started:.1f} s: {info['kinds']}",
        flush=True,
    )
    log_dir = os.path.join(ROOT, "var", "bench-web")
    os.makedirs(log_dir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-mixed-")
    script, data = os.path.join(work, "mixed.lua"), os.path.join(work, "requests.tsv")
    with open(script, "w") as handle:
        handle.write(LUA)
    with open(data, "w") as handle:
        handle.write("\n".join(lines) + "\n")

    planet_port, hello_port = free_port(), free_port()
    planet_proc = start_gunicorn("wsgi:app", planet_port, env, f"{log_dir}/mixed-planet.log")
    hello_proc = start_gunicorn("bench.web.hello:app", hello_port, env, f"{log_dir}/hello.log")
    hello_url, planet_url = f"http://127.0.0.1:{hello_port}/", f"http://127.0.0.1:{planet_port}"
    results: dict[str, dict] = {}
    try:
        before = table_counts()
        load_before = os.getloadavg()
        wrk(hello_url, None, 2, connections)  # warm-up
        results["hello (before)"] = wrk(hello_url, None, 10, connections)
        # Warm-up (processes, pools, caches) on another part of the list than the run's.
        wrk_mixed(planet_url, script, data, 5, connections, 0.25)
        warm = table_counts()
        results["mixed"] = wrk_mixed(planet_url, script, data, duration, connections, 0.0)
        results["hello (after)"] = wrk(hello_url, None, 10, connections)
        load_after = os.getloadavg()
        after = table_counts()
    finally:
        stop(planet_proc)
        stop(hello_proc)
        shutil.rmtree(work, ignore_errors=True)
        if not keep:
            drop_database()
            print("dropped the benchmark database", flush=True)

    hello = (results["hello (before)"]["rps"] + results["hello (after)"]["rps"]) / 2
    mixed = results["mixed"]
    counts = mixed["counts"]
    status = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("status:")}
    cache = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("cache:")}
    sent = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("sent:")}
    writes_sent = sum(v for k, v in sent.items() if k in ("comment", "like", "topic"))
    failed = sum(v for k, v in status.items() if not 200 <= int(k) < 400)
    other_redirects = {k: v for k, v in counts.items() if k.startswith("redirect:other")}
    pages = sum(cache.values())
    lines_out = [
        f"Machine: {os.cpu_count()} CPUs; load average (1/5/15 min) before "
        f"{load_before[0]:.2f} / {load_before[1]:.2f} / {load_before[2]:.2f}, after "
        f"{load_after[0]:.2f} / {load_after[1]:.2f} / {load_after[2]:.2f}.",
        f"wrk -t2 -c{connections}, gunicorn -w 2 (sync) for both apps; hello 10 s before and "
        f"after, mixed {duration} s after a 5 s warm-up.",
        "",
        "| run | requests | requests/s | p50 ms | p99 ms | vs hello (mean) | non-2xx/3xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines_out.append(
            f"| {name} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['rps'] / hello:.1%} | {r['non2xx']} |"
        )
    hit = cache.get("hit", 0)
    lines_out += [
        "",
        f"Requests sent in the mixed run (wrk's request() calls, in-flight ones at the end "
        f"included): {dict(sorted(sent.items()))}; writes {writes_sent} "
        f"({writes_sent / max(1, sum(sent.values())):.1%}).",
        f"Statuses: {dict(sorted(status.items()))}; failed (not 2xx/3xx): {failed}; "
        f"redirects to a topic (writes done): {counts.get('redirect:write', 0)}; "
        f"other redirects: {other_redirects or 'none'}.",
        f"Rows added by the measured run: comments +{after['comments'] - warm['comments']}, "
        f"likes +{after['likes'] - warm['likes']} (a repeated like adds none), topics "
        f"+{after['topics'] - warm['topics']} (warm-up added comments "
        f"+{warm['comments'] - before['comments']}, likes +{warm['likes'] - before['likes']}, "
        f"topics +{warm['topics'] - before['topics']}).",
        f"Page cache on 200 responses (X-Page-Cache): {dict(sorted(cache.items()))}; hit rate "
        f"{hit / max(1, pages):.1%} of {pages} pages ('none' = no header).",
        f"Traffic: {info['requests']} requests drawn over {info['planets_requested']} planets "
        f"for {info['members_logged_in']} members; the busiest planet "
        f"{info['top1_share']:.1%}, top 10 {info['top10_share']:.1%}, top 100 "
        f"{info['top100_share']:.1%}.",
    ]
    report = "\n".join(lines_out)
    print("\n" + report)
    with open(os.path.join(log_dir, "mixed-last-run.md"), "w") as handle:
        handle.write(report + "\n")
        for name, r in results.items():
            handle.write(f"\n<details><summary>wrk {name}</summary>\n\n```\n{r['raw']}```\n")
            handle.write("</details>\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("generate", "run"))
    parser.add_argument("--planets", type=int, default=1000)
    parser.add_argument("--users", type=int, default=20_000)
    parser.add_argument("--joins", type=int, default=3, help="planets drawn per user")
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=40_000, help="length of the list")
    parser.add_argument("--keep", action="store_true", help="do not drop the database")
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate(args.planets, args.users, args.joins)
    else:
        run(args.duration, args.connections, args.requests, args.keep)


if __name__ == "__main__":
    main()
