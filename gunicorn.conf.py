"""gunicorn's settings file (gunicorn reads ./gunicorn.conf.py by default).

With PROMETHEUS_MULTIPROC_DIR set, every gunicorn worker counts into files in that directory
and `/metrics` adds them up (planet/metrics.py). Here the master empties the directory at
start (the previous run's processes are gone) and tells prometheus_client when a worker
exits, so its live gauges (database pool use) stop counting; its counters are kept.
"""

import os


def on_starting(server):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from planet.metrics import reset_multiprocess_dir

        reset_multiprocess_dir(keep_pid=os.getpid())


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from planet.metrics import process_exited

        process_exited(worker.pid)
