"""docker-compose.yml runs web (gunicorn), worker, exactly one beat, PostgreSQL and Redis."""

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_compose_services_and_commands():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "postgres", "redis"} <= set(services)
    assert "wsgi:app" in services["web"]["command"] and "gunicorn" in services["web"]["command"]
    worker = " ".join(services["worker"]["command"])
    assert worker.startswith("celery -A workers.app worker") and "billing,mail,default" in worker
    assert " ".join(services["beat"]["command"]).startswith("celery -A workers.app beat")
    assert services["beat"]["deploy"]["replicas"] == 1
    env = services["worker"]["environment"]
    assert env["DATABASE_URL"].startswith("postgresql") and env["REDIS_URL"].startswith("redis")
    assert (ROOT / "Dockerfile").exists()


def test_compose_runs_metrics_in_multiprocess_mode_with_a_private_worker_port():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("web", "worker"):
        assert services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    worker = services["worker"]
    port = worker["environment"]["WORKER_METRICS_PORT"]
    assert int(port) > 0 and port in worker["expose"] and "ports" not in worker
    assert "METRICS_TOKEN" in services["web"]["environment"]
    assert (ROOT / "gunicorn.conf.py").exists()
