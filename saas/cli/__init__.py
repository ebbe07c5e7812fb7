"""The Flask CLI: every command group, registered on the app by `init_app` (called by create_app).

`flask demo …` (demo.py), `flask worker` (worker.py), `flask calendar …` (calendar.py), `flask operator …` (operator.py).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from saas.cli.calendar import calendar_cli
    from saas.cli.demo import demo_cli
    from saas.cli.operator import operator_cli
    from saas.cli.worker import worker

    app.cli.add_command(demo_cli)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(operator_cli)
    app.cli.add_command(worker)
