"""Flask CLI commands: demo data and the worker."""

from __future__ import annotations

from datetime import UTC

import click
from flask import Flask, current_app
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")


def _refuse_in_production() -> None:
    if not current_app.config.get("DEMO_DATA"):
        raise click.ClickException(
            "Demo data is refused on this configuration: its logins share a published password. "
            "(Set ALLOW_DEMO_DATA=1 only for a throwaway benchmark database.)"
        )


@demo_cli.command("seed")
@click.option("--no-cases", is_flag=True, help="Only shops, staff and policies (no orders or cases).")
def demo_seed(no_cases: bool) -> None:
    """Create the demo tenants, logins, orders and cases (running it again changes nothing)."""
    from saas import demo
    from saas.extensions import db

    _refuse_in_production()
    seeded = demo.seed(with_cases=not no_cases)
    db.session.commit()
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in seeded.logins:
        click.echo(f"  {login.role:<10} {login.email:<28} {login.where}")
    if seeded.cases:
        click.echo("Demo cases a consumer can follow (case number + last 4 digits of the mobile):")
        for case in seeded.cases:
            click.echo(f"  {case.slug:<10} case {case.number}  track with {case.factor} at {case.track_url}")


@demo_cli.command("generate")
@click.option("--tenant", "slug", required=True, help="The tenant's slug (it must exist: see `demo seed`).")
@click.option("--cases", "count", type=click.IntRange(1), required=True, help="How many cases to add.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same data.")
@click.option(
    "--now",
    "anchor",
    type=click.DateTime(),
    default=None,
    help="End of the year the cases are spread over (UTC; default: today 00:00).",
)
def demo_generate(slug, count, seed, anchor) -> None:
    """Bulk-insert synthetic orders, cases, events, clocks, notifications and surveys (load tests)."""
    from datetime import datetime

    from sqlalchemy import select

    from saas import demo_generate as gen
    from saas.extensions import db
    from tenants.models import Tenant

    _refuse_in_production()
    tenant = db.session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise click.UsageError(f"no tenant {slug!r}")
    now = anchor.replace(tzinfo=UTC) if anchor else datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    with click.progressbar(length=count, label=f"{slug}: cases") as bar:
        result = gen.generate(tenant, count, seed=seed, now=now, progress=bar.update)
    click.echo(", ".join(f"{name} {n}" for name, n in result.rows.items()))


@click.command("worker")
@click.option("--queues", "-q", multiple=True, help="Queues to listen on (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--max-jobs", type=int, default=None, help="Exit after this many jobs (recycling).")
@click.option("--name", default=None)
@click.option(
    "--no-scheduler",
    is_flag=True,
    help="Run neither the minute clock (the sweeps) nor RQ's scheduler (it re-queues retried jobs "
    "after their delay: the sign-in link mail's) in this worker; at least one worker must run them.",
)
def worker(queues, burst, max_jobs, name, no_scheduler) -> None:
    """Start an RQ worker on the named queues, inside the app context."""
    from saas.queues import QUEUE_NAMES
    from workers.scheduler import MinuteClock
    from workers.worker import build_worker

    w = build_worker(tuple(queues) or QUEUE_NAMES, name=name)
    clock = None
    if not no_scheduler and not burst:
        clock = MinuteClock(w.connection)
        clock.start()
    try:
        w.work(burst=burst, max_jobs=max_jobs, with_scheduler=not no_scheduler, logging_level="WARNING")
    finally:
        if clock is not None:
            clock.stop()


def init_app(app: Flask) -> None:
    from saas.cli_calendar import calendar_cli
    from saas.cli_operator import operator_cli

    app.cli.add_command(demo_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(operator_cli)
    app.cli.add_command(worker)
