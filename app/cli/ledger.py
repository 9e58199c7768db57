"""``flask --app run import-ledger FILE``: import a complaint ledger (投诉登记台账, issue 23) as a
named user — the same service, checks and single transaction as the import page."""
import click
from flask.cli import with_appcontext

from ..errors import DomainError


def _mapping_option(values, ledger):
    """``--map 表头=field`` options over the ledger's starting mapping."""
    from ..domain import ledger as d
    from ..services import ledger as service

    mapping = service.mapping_for(ledger)
    for value in values:
        header, _, name = value.partition("=")
        header, name = header.strip(), name.strip()
        if not header or not _:
            raise click.UsageError(f"--map takes HEADER=FIELD (FIELD empty to ignore the column), not {value!r}")
        if name and name not in d.FIELDS:
            raise click.UsageError(f"unknown field {name!r}; the fields are: {', '.join(d.FIELD_NAMES)}")
        mapping[header] = name
    return mapping


def _show_row(row):
    """One row of the outcome; the complainant's name as the importing user sees it in a list (masked)."""
    from ..security.masking import mask_name

    name = mask_name(row.complainant.get("complainant_name") or "")
    due = row.due_date.isoformat() if row.due_date else "-"
    late = " LATE" if row.late else ""
    case = row.case_number or "new"
    received = row.received_at.date().isoformat() if row.received_at else "-"
    return (f"  row {row.number}: {case} {row.status} received {received} due {due}{late} "
            f"{row.branch} {name} {row.ruling or ''} {row.ruling_category or ''}".rstrip())


@click.command("import-ledger")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--user", "username", required=True,
              help="The login the import is made as (its role must allow importing: the discipline office or Admin; "
                   "its scope limits the branches).")
@click.option("--branch", "branch_code",
              help="Code of the branch complained about in rows that name none (a branch's own ledger).")
@click.option("--sheet", help="The workbook's sheet (default: the first that has the ledger's headers).")
@click.option("--map", "mappings", multiple=True, metavar="HEADER=FIELD",
              help="Map a column to a field (repeatable); FIELD empty ignores the column. Without it the mapping "
                   "saved by the last import, else the one the headers name, is used; an import saves the mapping.")
@click.option("--dry-run", is_flag=True, help="Check every row and show what it would become; write nothing.")
@with_appcontext
def import_ledger_command(path, username, branch_code, sheet, mappings, dry_run):
    """Import the complaint ledger PATH (.xlsx, or .csv in UTF-8 or GBK): every row is checked first,
    then all are written in one transaction — or, when any row is refused, none (each refusal is
    listed with its row number). Rows imported before are skipped."""
    from flask import current_app
    from sqlalchemy import select

    from ..domain import ledger as d
    from ..extensions import db
    from ..models import OrgUnit
    from ..services import ledger as service

    user = current_app.appbuilder.sm.find_user(username=username)
    if user is None or not service.may_import(user):
        raise click.ClickException(f"{username}: no active login with the permission to import a ledger")
    branch_id = None
    if branch_code:
        branch_id = db.session.execute(select(OrgUnit.id).where(OrgUnit.code == branch_code)).scalar()
        if branch_id is None:
            raise click.ClickException(f"no unit with the code {branch_code!r}")
    with open(path, "rb") as handle:
        content = handle.read(d.MAX_FILE_BYTES + 1)
    # One import is one request for the services' per-request reads (settings, calendar, the actor).
    with current_app.test_request_context():
        _import(user, path, content, branch_id, sheet, mappings, dry_run)


def _import(user, path, content, branch_id, sheet, mappings, dry_run):
    from ..ops.observability import log_job
    from ..services import ledger as service

    try:
        ledger = service.read_ledger(path, content, sheet)
        mapping = _mapping_option(mappings, ledger)
        click.echo(f"{ledger.filename}: {len(ledger.rows)} rows" + (f", sheet {ledger.sheet}" if ledger.sheet else "")
                   + (f", {ledger.encoding}" if ledger.encoding else ""))
        for header in ledger.headers:
            click.echo(f"  {header} -> {mapping.get(header) or '(ignored)'}")
        result = service.import_ledger(user, ledger, mapping, default_branch_id=branch_id, dry_run=dry_run)
    except service.MappingErrors as error:
        raise click.ClickException("\n".join([str(error), *error.lines()]))
    except DomainError as error:
        raise click.ClickException(str(error))
    for row in result.rows:
        if not row.errors:
            click.echo(_show_row(row))
    if result.errors:
        click.echo("\n".join(result.errors), err=True)
        raise click.ClickException(f"{result.refused_rows} of {len(result.rows)} rows refused; nothing was imported")
    if result.committed:
        service.save_mapping(ledger, mapping, user)
    log_job("import-ledger", rows=len(result.rows), imported=result.new if result.committed else 0,
            skipped=result.before, dry_run=dry_run)
    verb = "would import" if dry_run else "imported"
    click.echo(f"{verb} {result.new if (dry_run or result.committed) else 0}, "
               f"skipped {result.before} imported before")
