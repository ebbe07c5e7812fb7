"""`flask calendar …`: import a year's official arrangement and list the years the calendar knows."""

from __future__ import annotations

import getpass
from pathlib import Path

import click
from flask.cli import AppGroup

calendar_cli = AppGroup("calendar", help="The official business calendar (holidays and adjusted working days).")


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry in some containers
        return "unknown"


@calendar_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--country", default=None, help="Two-letter country code (default: the file's, else CN).")
@click.option(
    "--year", type=int, default=None, help="The year the file holds (default: the file's, or its first date's)."
)
def import_year(file: Path, country: str | None, year: int | None) -> None:
    """Replace a year's official arrangement with FILE (CSV: date,is_working_day,name; or JSON).

    The file lists the exceptions: holidays on weekdays and adjusted working weekends (调休).
    Every row is checked first; when any is invalid nothing is written.
    """
    from saas.extensions import db
    from saas.services import calendar_import

    result = calendar_import.import_arrangement(
        file.read_bytes(),
        file.name,
        country=country,
        year=year,
        imported_by=f"command line ({_os_user()})",
    )
    if not result.ok:
        db.session.rollback()
        click.echo(f"Nothing was imported: {file.name} has {len(result.errors)} problem(s).", err=True)
        for error in result.errors:
            click.echo(f"  {error}", err=True)
        raise click.exceptions.Exit(1)
    db.session.commit()
    click.echo(result.summary())
    for note in result.notes:
        click.echo(f"Note: {note}")


@calendar_cli.command("years")
@click.option("--country", default="CN", show_default=True)
def list_years(country: str) -> None:
    """List the years whose official arrangement is known (package and imported) and warn about missing ones."""
    from saas.services import business_calendar

    country = country.upper()
    package = business_calendar.package_years(country)
    if package:
        click.echo(f"chinesecalendar package: {package[0]}–{package[-1]}")
    imported = business_calendar.imported_years(country)
    if imported:
        click.echo("Imported:")
        for y in imported:
            when = y.imported_at.strftime("%Y-%m-%d %H:%M UTC")
            click.echo(
                f"  {y.country} {y.year}: {y.days} days, {when} by {y.imported_by or '?'}"
                f"{f' from {y.source}' if y.source else ''}"
            )
    else:
        click.echo("Imported: none")
    if country == business_calendar.DEFAULT_COUNTRY:
        missing = business_calendar.missing_years_warning(None)
        if missing:
            years = ", ".join(str(y) for y in missing)
            click.echo(
                f"Missing: {years}. Times are computed Monday–Friday until an operator imports it "
                "(flask calendar import FILE)."
            )
