"""gunicorn with several worker processes: with PROMETHEUS_MULTIPROC_DIR set, `/metrics`
adds up every process's counts, including those of workers that have exited since."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.plugins.celery import _own_group_and_die_with_parent
from tests.plugins.mail import _free_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "multiprocess-metrics-token-0123456789"


def _gunicorn(tmp_path: Path, port: int, multiproc_dir: Path) -> subprocess.Popen:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PLANET_", "CELERY_", "DATABASE_", "REDIS_", "PROMETHEUS_"))
    }
    env.update(
        PYTHONPATH=str(ROOT),
        PLANET_VAR_DIR=str(tmp_path / "var"),
        PROMETHEUS_MULTIPROC_DIR=str(multiproc_dir),
        METRICS_TOKEN=TOKEN,
        LOG_FORMAT="json",
    )
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    # Each worker exits after 3 requests: the counts of exited workers must still add up.
    argv += ["--max-requests", "3", "wsgi:app"]
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below, the child keeps it
    process = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=_own_group_and_die_with_parent,
    )
    log.close()
    return process


def test_gunicorn_workers_counts_add_up(tmp_path):
    multiproc_dir = tmp_path / "prometheus"
    multiproc_dir.mkdir()
    stale = multiproc_dir / "counter_999999.db"
    stale.write_bytes(b"left over by a previous run")
    port = _free_port()
    process = _gunicorn(tmp_path, port, multiproc_dir)
    base = f"http://127.0.0.1:{port}"
    try:
        answered = 0
        deadline = time.monotonic() + 60
        while answered == 0:
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            assert time.monotonic() < deadline, "gunicorn did not answer"
            try:
                answered += requests.get(f"{base}/healthz", timeout=30).status_code == 200
            except (requests.ConnectionError, requests.Timeout):  # still starting, or a busy box
                time.sleep(0.3)
        for _ in range(11):
            assert requests.get(f"{base}/healthz", timeout=30).status_code == 200
            answered += 1
        assert requests.get(f"{base}/metrics", timeout=10).status_code == 401
        response = requests.get(
            f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
        )
        assert response.status_code == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)

    served = 0.0
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            if sample.name == "planet_http_requests_total" and sample.labels == {
                "endpoint": "web.health",
                "method": "GET",
                "status": "200",
            }:
                served += sample.value
    assert served == answered == 12
    assert not stale.exists()
    # More processes counted than ever ran at once: the exited workers' counts were kept.
    pids = {path.stem.rsplit("_", 1)[-1] for path in multiproc_dir.glob("counter_*.db")}
    assert len(pids) > 2
    lines = [
        json.loads(line)
        for line in (tmp_path / "gunicorn.log").read_text().splitlines()
        if line.startswith("{")
    ]
    request_lines = [line for line in lines if line["logger"] == "planet.request"]
    assert len(request_lines) >= answered
    assert all(line["request_id"] for line in request_lines)
