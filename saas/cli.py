"""Flask CLI commands: demo data and the worker."""
from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
def demo_seed() -> None:
    """Create the demo tenants and logins (running it again changes nothing)."""
    from saas import demo
    from saas.extensions import db

    logins = demo.seed()
    db.session.commit()
    click.echo(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
    for login in logins:
        click.echo(f"  {login.role:<10} {login.email:<28} {login.where}")


@click.command("worker")
@click.option("--queues", "-q", multiple=True, help="Queues to listen on (default: all).")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--max-jobs", type=int, default=None, help="Exit after this many jobs (recycling).")
@click.option("--name", default=None)
@click.option("--no-scheduler", is_flag=True, help="Do not run the RQ scheduler in this worker.")
def worker(queues, burst, max_jobs, name, no_scheduler) -> None:
    """Start an RQ worker on the named queues, inside the app context."""
    from workers.queues import QUEUE_NAMES
    from workers.worker import build_worker

    w = build_worker(tuple(queues) or QUEUE_NAMES, name=name)
    w.work(burst=burst, max_jobs=max_jobs, with_scheduler=not no_scheduler, logging_level="WARNING")


def init_app(app: Flask) -> None:
    app.cli.add_command(demo_cli)
    app.cli.add_command(worker)
