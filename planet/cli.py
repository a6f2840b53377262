"""`flask` CLI commands of the platform (each area adds its own group here)."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register CLI commands. Area modules expose `cli_commands` lists collected here."""
    import importlib

    for dotted in ("planet.demo", "planet.storage", "planet.ops"):
        try:
            module = importlib.import_module(dotted)
        except ModuleNotFoundError as error:
            if error.name == dotted:
                continue
            raise
        for command in getattr(module, "cli_commands", []):
            app.cli.add_command(command)
