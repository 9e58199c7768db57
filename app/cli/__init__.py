"""Flask commands: ``flask --app run <command>``."""
import click
from flask import current_app
from flask.cli import with_appcontext

from . import ops as cli_ops
from .calendar import calendar_cli
from .keys import keys_cli
from .ledger import import_ledger_command


def register(app) -> None:
    """Attach this project's commands to ``app``."""
    app.cli.add_command(sync_roles_command)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(deploy_command)
    app.cli.add_command(remind_command)
    app.cli.add_command(calendar_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(import_ledger_command)  # issue 23: the complaint ledger kept before the system
    app.cli.add_command(keys_cli)
    cli_ops.register(app)  # backup, restore, archive
    # seed-bench belongs to the bench plugin, registered by it in bench mode only (load_bench_plugin).


def register_jobs(app) -> None:
    """The scheduled jobs' commands, on the application without views (``jobs.py``)."""
    app.cli.add_command(remind_command)
    app.cli.add_command(cli_ops.backup_command)


def _sync():
    from ..security.sync import UnknownPermission, sync_roles

    try:
        counts = sync_roles(current_app.appbuilder)
    except UnknownPermission as error:
        raise click.ClickException(str(error))
    for role, count in counts.items():
        click.echo(f"{role}: {count} permissions")


@click.command("sync-roles")
@with_appcontext
def sync_roles_command():
    """Create permissions and make every role match app/security/roles.py (idempotent)."""
    _sync()


@click.command("deploy")
@with_appcontext
def deploy_command():
    """Once per deploy, everything: migrate the database to head, sync roles and permissions, import
    the official calendar for every year chinesecalendar knows (never overriding an administrator's
    days or years), rebuild the kept report months when their definition changed, write the missing
    default assessment rules, write the union's settings once (seeded from the environment) and
    create the ruling bodies that do not exist yet at their configured units (issue 21); encrypt the
    complainant identity still stored in plain text (issue 24, resumable)."""
    from flask_migrate import upgrade

    upgrade()
    _encrypt_existing()
    _sync()
    _import_calendar()
    _build_report_months()
    _default_rules()
    _seed_settings()
    _seed_bodies()


def _encrypt_existing():
    """Issue 24: the values stored before encryption, encrypted (one statement when none is left)."""
    from ..crypto import cipher
    from ..services import identity_keys

    if not cipher().enabled or not identity_keys.needs_encryption():
        return
    try:
        state = identity_keys.encrypt_existing()
    except identity_keys.KeyPassError as error:
        raise click.ClickException(str(error))
    click.echo(f"Complainant identity encrypted: {state.rewritten} rows.")


def _import_calendar():
    from ..services import calendar_import

    changes = calendar_import.import_from_package()
    click.echo(f"Calendar from chinesecalendar ({calendar_import.PACKAGE_FIRST_YEAR}-"
               f"{calendar_import.PACKAGE_LAST_YEAR}): {len(changes.added)} added, {len(changes.changed)} changed, "
               f"{len(changes.removed)} removed; published: {len(changes.years_published)} years.")


def _seed_settings():
    from ..services import settings

    written = settings.seed()
    if written:
        click.echo(f"Settings written: {', '.join(sorted(written))}.")


def _seed_bodies():
    from flask import current_app

    from ..services import committee

    created = committee.seed(current_app.config)
    if created:
        click.echo(f"Ruling bodies created: {', '.join(created)}.")


def _default_rules():
    from ..reports.rules import ensure_default_rules

    added = ensure_default_rules()
    if added:
        click.echo(f"Assessment rules added: {added}.")


def _build_report_months():
    from ..reports import monthly

    built = monthly.ensure_built()
    if built is not None:
        click.echo(f"Report months rebuilt: {built} (month, branch) rows.")


@click.group("report")
def report_cli():
    """Report maintenance."""


@report_cli.command("rebuild-months")
@with_appcontext
def rebuild_months_command():
    """Recount the kept report months from the cases (reports/monthly.py). Safe at any time;
    ``flask deploy`` does it when the counts' definition changed."""
    from ..extensions import db
    from ..reports import monthly

    built = monthly.rebuild()
    db.session.commit()
    click.echo(f"Report months rebuilt: {built} (month, branch) rows.")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command():
    """Load the demo county and one DEMO login per role (idempotent)."""
    from .demo import DEMO_PASSWORD, seed_demo, seed_demo_complaints

    users = seed_demo()
    _seed_settings()  # the demo county's units exist now: appeal bodies not chosen yet are taken from their codes
    complaints = seed_demo_complaints()
    click.echo("Demo data loaded. These are DEMO accounts for trying the system, not for production use:")
    for username, role in users:
        click.echo(f"  {username:<18} {role:<18} password: {DEMO_PASSWORD}")
    if complaints:
        click.echo(f"{complaints} demo complaints added (external reference DEMO-…).")


@click.command("remind")
@click.option("--no-mail", is_flag=True, help="Record reminders but send no e-mail.")
@with_appcontext
def remind_command(no_mail):
    """Record today's reminders for cases due soon or overdue (run daily from cron/systemd)."""
    from ..ops.observability import log_job
    from ..services.deadlines import remind

    counts = remind(send_mail=not no_mail)
    log_job("remind", **counts)
    click.echo(" ".join(f"{key}={value}" for key, value in counts.items()))
