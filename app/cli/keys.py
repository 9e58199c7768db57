"""``flask --app run keys status | rotate | encrypt-existing | decrypt-existing`` (issue 24): the
complainant identity's keys and the passes that bring every stored value under one of them
(``services/identity_keys.py``). No command ever prints a key: keys are shown by id and
fingerprint."""
import click
from flask.cli import with_appcontext


@click.group("keys")
def keys_cli():
    """The complainant identity's encryption keys (docs/security.md)."""


def _printer(label: str):
    def progress(step) -> None:
        if step.table == "sweep":
            click.echo(f"{label}: sweep found {step.done} row(s) still to rewrite; {step.rewritten} rewritten so far")
            return
        share = 100.0 * step.done / step.last if step.last else 100.0
        click.echo(f"{label}: {step.table} {step.done}/{step.last} ({share:.1f}%), {step.rewritten} rewritten")
    return progress


def _run(label, function, **kwargs):
    from ..crypto import KeyringError
    from ..ops.observability import log_job
    from ..services.identity_keys import KeyPassError

    try:
        state = function(progress=_printer(label), **kwargs)
    except (KeyPassError, KeyringError) as error:
        raise click.ClickException(str(error))
    log_job(f"keys {label}", rewritten=state.rewritten)
    return state


@keys_cli.command("status")
@with_appcontext
def status_command():
    """The keyring's keys (id, fingerprint), the key ids the stored data name, plain values left."""
    from ..services.identity_keys import status

    report = status()
    click.echo(f"Keyring: {report['file'] or 'IDENTITY_KEYS (environment)'}; "
               f"encryption {'on' if report['encryption'] else 'OFF'}")
    for key_id, fingerprint, current in report["keys"]:
        click.echo(f"  {key_id}  fingerprint {fingerprint}{'  (current)' if current else ''}")
    click.echo(f"Key ids in the data: {', '.join(report['in_use']) or 'none'}")
    click.echo(f"Complaints with plain-text identity: {report['plain']}")
    for purpose, target, complaints, events in report["unfinished"]:
        click.echo(f"Unfinished {purpose} pass (to {target or 'plain text'}): complaints up to id {complaints}, "
                   f"events up to id {events} — run it again to resume")
    if report["missing"]:
        raise click.ClickException(f"The data name key(s) {', '.join(report['missing'])}, which this keyring does "
                                   f"not hold: those values cannot be read.")


@keys_cli.command("rotate")
@click.option("--batch", default=500, show_default=True, help="Complaints or events per transaction.")
@click.option("--grace", default=10.0, show_default=True,
              help="Seconds to wait before the final sweep (transactions that encrypted under the old key).")
@click.option("--keep-old-keys", is_flag=True, help="Leave the older keys in the keyring file.")
@with_appcontext
def rotate_command(batch, grace, keep_old_keys):
    """Add a new key and re-encrypt every value under it while the application runs (resumable:
    run it again after an interruption); then move the older keys to <keyring file>.retired."""
    from ..services import identity_keys

    state = _run("rotate", identity_keys.rotate, batch=batch, grace=grace, keep_old_keys=keep_old_keys)
    click.echo(f"Every value is under key {state.target_key} ({state.rewritten} rows rewritten).")
    if state.retired_keys:
        click.echo(f"Retired key(s) {state.retired_keys}: moved to the .retired file beside the keyring. Keep it "
                   f"offline with the backups taken before; restoring one of them needs it.")


@keys_cli.command("encrypt-existing")
@click.option("--batch", default=500, show_default=True, help="Complaints or events per transaction.")
@with_appcontext
def encrypt_existing_command(batch):
    """Encrypt the identity values stored in plain text (before issue 24) and fill their blind
    indexes; resumable, safe while the application runs; `flask deploy` runs it."""
    from ..services import identity_keys

    state = _run("encrypt-existing", identity_keys.encrypt_existing, batch=batch)
    click.echo(f"Identity encrypted: {state.rewritten} rows rewritten.")


@keys_cli.command("decrypt-existing")
@click.option("--batch", default=500, show_default=True, help="Complaints or events per transaction.")
@with_appcontext
def decrypt_existing_command(batch):
    """The way down (docs/security.md "Downgrade"): write every value back in plain text. Needs
    IDENTITY_ENCRYPTION=0 here and in every running process."""
    from ..services import identity_keys

    state = _run("decrypt-existing", identity_keys.decrypt_existing, batch=batch)
    click.echo(f"Identity written back in plain text: {state.rewritten} rows rewritten.")
