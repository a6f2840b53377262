"""The job registry: every deferred name is declared with one handler, every declared name is
deferred somewhere, every Celery task is sent by something, and an unknown name fails at once."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from planet import jobs

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = ("planet", "payments", "workers")
SEND_METHODS = {"apply_async", "delay", "s", "si", "signature"}


def _source_files():
    for package in SOURCE_PACKAGES:
        yield from sorted((ROOT / package).rglob("*.py"))


def _trees():
    for path in _source_files():
        yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _called_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None


def deferred_names() -> dict[str, list[str]]:
    """Every literal name passed to `defer(...)` / `jobs.defer(...)`, with where."""
    found: dict[str, list[str]] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or _called_name(node) != "defer":
                continue
            first = node.args[0] if node.args else None
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), (
                f"{where}: defer() takes a literal job name, so this test can check it"
            )
            found.setdefault(first.value, []).append(where)
    return found


def declared_handlers() -> dict[str, list[str]]:
    """Every literal name in a `@jobs.handler("...")` decorator, with where (a name declared in
    two places shows up twice)."""
    found: dict[str, list[str]] = {}
    for path, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for decorator in node.decorator_list:
                if (
                    isinstance(decorator, ast.Call)
                    and _called_name(decorator) == "handler"
                    and decorator.args
                    and isinstance(decorator.args[0], ast.Constant)
                ):
                    where = f"{path.relative_to(ROOT)}:{node.name}"
                    found.setdefault(decorator.args[0].value, []).append(where)
    return found


def test_the_source_walk_finds_defers_and_handlers():
    """The walk itself works (an empty result would make the checks below pass vacuously)."""
    assert "messages.sent" in deferred_names()
    assert declared_handlers()["messages.sent"] == ["planet/notifications/handlers.py:message_sent"]


def test_every_deferred_name_is_declared_with_one_handler(app):
    problems = []
    declared = declared_handlers()
    for name, places in sorted(deferred_names().items()):
        if name not in jobs.registry:
            problems.append(f"{name} (deferred at {places}) has no handler")
        elif len(declared.get(name, [])) != 1:
            problems.append(f"{name} has handlers {declared.get(name)}")
    assert problems == []


def test_every_declared_name_has_one_handler_and_is_deferred(app):
    deferred = deferred_names()
    declared = declared_handlers()
    assert set(jobs.registry) == set(declared), "a handler module is not imported by the app"
    assert {name: places for name, places in declared.items() if len(places) != 1} == {}
    assert sorted(set(declared) - set(deferred)) == []


def test_defer_of_an_unknown_name_raises_at_once(app):
    with pytest.raises(jobs.UnknownJob, match="no.such_job"):
        jobs.defer("no.such_job", planet_id=1)
    from planet.extensions import db

    assert not jobs.has_pending(db.session())


def test_a_second_handler_for_a_name_is_refused(app):
    def first(**_):
        return None

    def second(**_):
        return None

    name = "tests.refuse_twice"
    try:
        jobs.handler(name)(first)
        jobs.handler(name)(first)  # the same function again (a re-import): harmless
        with pytest.raises(jobs.DuplicateJob):
            jobs.handler(name)(second)
        assert jobs.handler_for(name) is first
    finally:
        jobs.registry.pop(name, None)


def _sent_task_references() -> tuple[set[str], set[str]]:
    """(Python names on which a task is sent, task names sent by name) in the source."""
    attributes: set[str] = set()
    by_name: set[str] = set()
    for _path, tree in _trees():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            if node.func.attr in SEND_METHODS:
                target = node.func.value
                if isinstance(target, ast.Name):
                    attributes.add(target.id)
                elif isinstance(target, ast.Attribute):
                    attributes.add(target.attr)
            elif (
                node.func.attr == "send_task"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                by_name.add(node.args[0].value)
    return attributes, by_name


def test_every_celery_task_is_sent_by_something(app):
    from workers.app import TASK_MODULES, celery
    from workers.schedule import beat_schedule

    for module in TASK_MODULES:
        __import__(module)
    celery.loader.import_default_modules()
    from_beat = {entry["task"] for entry in beat_schedule().values()}
    attributes, by_name = _sent_task_references()
    ours = {name: task for name, task in celery.tasks.items() if not name.startswith("celery.")}
    assert "workers.run_job" in ours  # the task list is really the app's
    unreachable = []
    for name, task in sorted(ours.items()):
        python_name = task.run.__name__
        module = inspect.getmodule(task.run)
        if name in from_beat or name in by_name or python_name in attributes:
            continue
        unreachable.append(f"{name} ({module.__name__}.{python_name})")
    assert unreachable == []
