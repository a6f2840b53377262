"""Digest batches in several worker processes, as Celery's prefork workers would run them.

The fan-out runs in the parent (as the beat-triggered task does) and hands every batch to a
queue instead of the broker; N spawned processes, each with its own app and database
connections, take batches from it and run `workers.digests.run_batch`, the task's own body, with
the outbox's guarantees unchanged (one email per member and period; each email's mark committed
before the next is sent). With `--smtp catcher` the catcher is a process of its own, so a
worker's peak memory is the worker's alone; `--smtp smtp-sink` uses postfix's smtp-sink (C)
instead, so the receiving end takes little of the two cores the workers share.
"""

from __future__ import annotations

import multiprocessing
import time
from datetime import datetime

STOP = None


def _cpu_seconds() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _catcher(port: int, ready, stop, count, cpu) -> None:
    from planet.devtools.mailcatcher import start

    controller, handler = start(None, "127.0.0.1", port)
    ready.set()
    while not stop.wait(0.5):
        count.value = len(handler.messages)
    count.value = len(handler.messages)
    controller.stop()
    cpu.value = _cpu_seconds()


def _worker(url: str, async_marks: bool, config: dict, batches, results) -> None:
    import planet.mail
    from bench.workers.run import Sink, make_app, rss_mb
    from planet.extensions import db
    from planet.notifications.models import DigestFrequency
    from workers import digests

    sink = None
    if "MAIL_SERVER" not in config:
        sink = Sink()
        planet.mail.send_email = sink
    app = make_app(url, async_marks)
    app.config.update(config)
    done = 0
    with app.app_context():
        results.put(("ready", 0, 0.0, 0.0))
        while (item := batches.get()) is not STOP:
            ids, frequency, key, since, until = item
            digests.run_batch(
                ids, DigestFrequency(frequency), key,
                datetime.fromisoformat(since), datetime.fromisoformat(until),
            )  # fmt: skip
            done += 1
        db.session.remove()
        db.engine.dispose()
    results.put(("done", done, rss_mb(), _cpu_seconds()))


def run(url: str, async_marks: bool, config: dict, workers: int, smtp: str, fan_out) -> dict:
    """Time `fan_out()` (which sends batches through workers.digests.send_batch.apply_async)
    with `workers` processes running the batches; returns the timing and each worker's peak
    RSS."""
    if smtp != "smtp-sink":
        return _run(url, async_marks, config, workers, smtp, fan_out)
    from bench.workers.smtp_sink import smtp_sink

    with smtp_sink() as sink:
        config = {**config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": sink.port}
        result = _run(url, async_marks, {**config, "MAIL_USE_TLS": False}, workers, "", fan_out)
        return {**result, "caught": sink.messages(), "catcher_cpu_s": round(sink.cpu_seconds(), 1)}


def _run(url: str, async_marks: bool, config: dict, workers: int, smtp: str, fan_out) -> dict:
    from workers import digests

    context = multiprocessing.get_context("spawn")
    batches, results = context.Queue(maxsize=workers * 4), context.Queue()
    catcher = stop = count = cpu = None
    if smtp == "catcher":
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        ready, stop, count = context.Event(), context.Event(), context.Value("i", 0)
        cpu = context.Value("d", 0.0)
        catcher = context.Process(target=_catcher, args=(port, ready, stop, count, cpu))
        catcher.start()
        ready.wait(30)
        config = {**config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port, "MAIL_USE_TLS": False}
    processes = [
        context.Process(target=_worker, args=(url, async_marks, config, batches, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        assert results.get(timeout=120)[0] == "ready"
    task = digests.send_batch
    task.apply_async = lambda args, **_options: batches.put(tuple(args))
    started = time.perf_counter()
    try:
        summary = fan_out()
    finally:
        del task.apply_async
    for _ in processes:
        batches.put(STOP)
    reports = [results.get(timeout=3600) for _ in processes]
    for process in processes:
        process.join()
    seconds = time.perf_counter() - started
    caught = None
    if catcher is not None:
        stop.set()
        catcher.join()
        caught = count.value
    return {
        "summary": summary,
        "seconds": seconds,
        "batches_per_worker": [report[1] for report in reports],
        "worker_peak_rss_mb": [round(report[2]) for report in reports],
        "worker_cpu_s": [round(report[3], 1) for report in reports],
        "catcher_cpu_s": round(cpu.value, 1) if cpu is not None else None,
        "caught": caught,
    }
