"""CPU seconds spent by the processes serving a load test, read from /proc around each run:
the app server (gunicorn master and workers), every PostgreSQL process, and wrk itself. Per
request, that is steadier than throughput on a shared machine (other work takes wall time,
not our CPU)."""

from __future__ import annotations

import os
import resource

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            text = handle.read()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()  # the fields after the command name


def process_seconds(pid: int, with_children: bool = False) -> float:
    """utime + stime of `pid` (and, `with_children`, of its reaped children)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def tree_seconds(root: int) -> float:
    """`root` and every live descendant (a gunicorn master and its workers)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat(int(entry))) is not None:
            parents[int(entry)] = int(fields[1])
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        total += process_seconds(pid, with_children=True)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


def postgres_seconds() -> float:
    """Every process whose command is postgres (the server and its backends)."""
    total = 0.0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/comm") as handle:
                if not handle.read().startswith("postgres"):
                    continue
        except OSError:
            continue
        total += process_seconds(int(entry))
    return total


def children_seconds() -> float:
    """This process's reaped children (wrk runs as one)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def snapshot(server_pid: int) -> tuple[float, float, float]:
    return tree_seconds(server_pid), postgres_seconds(), children_seconds()


def spent(before: tuple[float, float, float], after: tuple[float, float, float]) -> dict:
    app, pg, client = (b - a for a, b in zip(before, after, strict=True))
    return {"cpu_app": app, "cpu_pg": pg, "cpu_wrk": client, "cpu_total": app + pg + client}
