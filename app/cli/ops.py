"""Operations commands: ``flask --app run backup | restore | archive`` (docs/deploy.md)."""
import os

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db


def register(app) -> None:
    """Attach the operations commands to ``app``."""
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(archive_command)


def _url() -> str:
    return db.engine.url.render_as_string(hide_password=False)


@click.command("backup")
@click.option("--output", type=click.Path(dir_okay=False), help="Backup file to write (default: BACKUP_DIR/complaints-<time>.db|.dump).")
@with_appcontext
def backup_command(output):
    """Back up the database while the application runs (SQLite backup API / pg_dump -Fc)."""
    from ..ops import backup
    from ..ops.observability import log_job
    from .. import clock

    url = _url()
    if output is None:
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        output = backup.default_path(url, current_app.config["BACKUP_DIR"], stamp)
    try:
        path = backup.backup(url, output)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    log_job("backup", bytes=os.path.getsize(path))
    click.echo(path)


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore_command(source, yes):
    """Restore a backup into the configured database, which must be empty (a new database), with
    the identity keys the backup needs in the keyring (issue 24).

    Then run `flask --app run deploy` to bring the schema to the current version.
    """
    from ..ops import backup
    from ..ops.observability import log_job

    from ..crypto import cipher

    url = _url()
    target = db.engine.url.render_as_string(hide_password=True)
    try:
        needed = backup.key_ids(url, source)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    missing = sorted(needed - set(cipher().keyring.ids))
    if missing:
        # Issue 24: the identity in the backup opens only with the keys it was written with.
        raise click.ClickException(
            f"The backup's complainant identity is encrypted with key(s) {', '.join(missing)}, which this "
            f"installation's keyring (IDENTITY_KEYS / IDENTITY_KEYS_FILE) does not hold. Restoring needs the keys in "
            f"use when the backup was taken (a finished rotation keeps the older ones in <keyring file>.retired): "
            f"add them to the keyring and try again. Nothing was restored.")
    if not yes:
        click.confirm(f"Restore {source} into {target}?", abort=True)
    db.session.remove()
    db.engine.dispose()
    try:
        backup.restore(url, source)
    except backup.BackupError as error:
        raise click.ClickException(str(error))
    log_job("restore")
    click.echo(f"Restored into {target}. Now run: flask --app run deploy")


@click.command("archive")
@click.option("--before", "before", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Archive cases closed before this date (YYYY-MM-DD); at least the retention period ago.")
@click.option("--output", type=click.Path(dir_okay=False), help="JSON-lines file to write (default: ARCHIVE_DIR/…).")
@with_appcontext
def archive_command(before, output):
    """Export closed cases older than the retention period with their timelines and mark them
    archived. Nothing is deleted."""
    from ..ops.observability import log_job
    from .. import clock
    from ..services import archive

    before = before.date()
    if output is None:
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        output = os.path.join(current_app.config["ARCHIVE_DIR"], f"closed-before-{before.isoformat()}-{stamp}.jsonl")
    try:
        result = archive.archive_closed(before, output, current_app.config.get("ARCHIVE_RETENTION_YEARS", 3))
    except (archive.RetentionError, FileExistsError, RuntimeError) as error:
        raise click.ClickException(str(error))
    log_job("archive", archived=result["archived"], events=result["events"])
    click.echo(f"{result['archived']} closed cases ({result['events']} events) written to {result['output']} "
               "and marked archived.")
