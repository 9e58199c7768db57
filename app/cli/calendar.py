"""``flask --app run calendar …``: load and publish the work calendar (domain.md §5)."""
import click
from flask.cli import AppGroup

from ..errors import DomainError

calendar_cli = AppGroup("calendar", help="Work calendar: import official schedules, publish years.")


def _summary(changes) -> str:
    return (
        f"{len(changes.added)} added, {len(changes.changed)} changed, {len(changes.removed)} removed; "
        f"published: {', '.join(map(str, changes.years_published)) or 'none'}"
    )


def _fail(error: DomainError):
    raise click.ClickException(str(error))


@calendar_cli.command("import")
@click.option("--year", "years", type=int, multiple=True,
              help="A year to import (repeatable); default: every year the package covers.")
def import_command(years):
    """Fill the calendar from chinesecalendar (idempotent; administrators' days are kept)."""
    from ..services import calendar_import

    try:
        changes = calendar_import.import_from_package(list(years) or None)
    except DomainError as error:
        _fail(error)
    covered = ", ".join(map(str, changes.years)) if years else (
        f"{calendar_import.PACKAGE_FIRST_YEAR}-{calendar_import.PACKAGE_LAST_YEAR}"
    )
    click.echo(f"Calendar import from chinesecalendar ({covered}): {_summary(changes)}")


@calendar_cli.command("import-csv")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--merge", is_flag=True, help="Only add or change the listed days (default: replace those years).")
@click.option("--no-publish", is_flag=True, help="Do not mark the years in the file as published.")
@click.option("--dry-run", is_flag=True, help="Show what would change and write nothing.")
def import_csv_command(path, merge, no_publish, dry_run):
    """Import a calendar file (columns: date, is_workday, name); a bad row refuses the whole file."""
    from ..services import calendar_import

    with open(path, "rb") as handle:
        content = handle.read(calendar_import.MAX_CSV_BYTES + 1)
    try:
        if dry_run:
            changes = calendar_import.preview_csv(content, replace=not merge, publish=not no_publish)
        else:
            changes = calendar_import.import_csv(content, replace=not merge, publish=not no_publish)
    except DomainError as error:
        _fail(error)
    prefix = "Would change" if dry_run else "Imported"
    click.echo(f"{prefix} {path}: {_summary(changes)}")
    for label, items in (("+", changes.added), ("~", changes.changed), ("-", changes.removed)):
        for change in items:
            spec = change.new or change.old
            kind = "workday" if spec.is_workday else "day off"
            click.echo(f"  {label} {change.date.isoformat()} {kind} {spec.name or ''}".rstrip())


def _set_published(year, published):
    from ..services import calendar as service

    try:
        service.set_year_published(year, published)
    except DomainError as error:
        _fail(error)
    state = "published" if published else "unpublished"
    click.echo(f"{year}: {state}")


@calendar_cli.command("publish")
@click.argument("year", type=int)
def publish_command(year):
    """Mark YEAR's official schedule as in the calendar (deadlines in it become final)."""
    _set_published(year, True)


@calendar_cli.command("unpublish")
@click.argument("year", type=int)
def unpublish_command(year):
    """Mark YEAR as not yet published (deadlines reaching it are provisional)."""
    _set_published(year, False)
