"""`flask workers ...`: run each sweep by hand with a progress bar and a summary line."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask
from flask.cli import AppGroup

from planet.models import utcnow

group = AppGroup("workers", help="Run the workers' sweeps by hand.")


def _now(value: str | None) -> datetime:
    if not value:
        return utcnow()
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise click.BadParameter("give a timezone, e.g. 2026-01-31T08:00:00+00:00")
    return parsed


def _run(label: str, func, now: datetime, total: int | None = None) -> None:
    with click.progressbar(length=total or 0, label=label, show_pos=True) as bar:
        summary = func(now=now, progress=bar.update)
    click.echo(f"{label}: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


@group.command("sweep")
@click.argument(
    "name",
    type=click.Choice(
        [
            "expiry",
            "reminders",
            "renewals",
            "settlement",
            "payouts",
            "reconcile",
            "abandoned",
            "question-deadlines",
            "weekly-reports",
            "digest-daily",
            "digest-weekly",
            "relay",
        ]
    ),
)
@click.option("--now", help="pretend it is this instant (ISO 8601 with timezone)")
def sweep(name: str, now: str | None) -> None:
    """Run one sweep now (without the periodic lock)."""
    from workers import digests, relay, sweeps

    instant = _now(now)
    if name == "expiry":
        _run(name, sweeps.sweep_expiry, instant, sweeps.count_expiry_due(instant))
    elif name in sweeps.SWEEPS:
        _run(name, sweeps.SWEEPS[name], instant)
    elif name == "digest-daily":
        _run(name, digests.fan_out_daily, instant)
    elif name == "digest-weekly":
        _run(name, digests.fan_out_weekly, instant)
    else:
        summary = relay.relay_due(instant)
        click.echo("relay: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


@group.command("tick")
@click.argument("job")
@click.option("--now", help="pretend it is this instant (ISO 8601 with timezone)")
def tick(job: str, now: str | None) -> None:
    """Run a beat job as beat would (once per period: takes the periodic lock)."""
    from workers.tasks import tick as tick_task

    click.echo(tick_task.run(job, _now(now).isoformat()))


def init_app(app: Flask) -> None:
    if "workers" not in app.cli.commands:
        app.cli.add_command(group)
