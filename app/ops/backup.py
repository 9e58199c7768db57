"""Database backup and restore for both supported databases (docs/deploy.md, "Backup").

- SQLite: the online backup API copies a consistent snapshot while the application keeps
  writing (WAL mode: the copy never blocks writers); the copy is checked with
  ``PRAGMA integrity_check`` and stored as one self-contained file.
- PostgreSQL: ``pg_dump --format=custom`` (a consistent snapshot, taken without locking
  writers out). Every connection parameter, the password included, reaches ``pg_dump`` and
  ``pg_restore`` through their environment (``PGHOST``, ``PGPASSWORD`` …), never their
  command line, which other local users can read in the process list.

Backups hold complainants' identities (§16) encrypted at the field level (issue 24): a backup is
the database, and the database holds every identity value as ciphertext naming its key id; the
keys live outside it (``IDENTITY_KEYS_FILE``) and are never in a backup. Files are created
readable by their owner only all the same. Restore goes into an *empty* database, and only when
this installation's keyring holds every key the backup's values name (``key_ids``): without the
keys a restored database could not show a single complainant. The application's schema is then
brought to head by ``flask --app run deploy``.
"""
import os
import shutil
import sqlite3
import subprocess  # nosec B404
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    """A backup or restore could not be made; the message says why (no secrets in it)."""


def backend(url) -> str:
    return make_url(url).get_backend_name()


def suffix(url) -> str:
    """File extension of a backup of ``url``'s database."""
    return ".db" if backend(url) == "sqlite" else ".dump"


def default_path(url, directory: str, stamp: str) -> str:
    """``<directory>/complaints-<stamp><suffix>``."""
    return os.path.join(directory, f"complaints-{stamp}{suffix(url)}")


def _private_temp(directory: str, suffix_: str) -> str:
    """A new empty file in ``directory`` readable by its owner only."""
    os.makedirs(directory, exist_ok=True)
    handle, path = tempfile.mkstemp(prefix=".partial-", suffix=suffix_, dir=directory)
    os.close(handle)
    os.chmod(path, 0o600)
    return path


def backup(url, output: str) -> str:
    """Write a backup of the database at ``url`` to ``output`` (never overwritten); returns it."""
    output = os.path.abspath(output)
    if os.path.exists(output):
        raise BackupError(f"{output} exists already; choose another file.")
    partial = _private_temp(os.path.dirname(output), suffix(url))
    try:
        if backend(url) == "sqlite":
            _sqlite_backup(url, partial)
        elif backend(url) == "postgresql":
            _pg_dump(url, partial)
        else:
            raise BackupError(f"Backups of {backend(url)} databases are not supported.")
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.remove(partial)
    return output


def key_ids(url, source: str) -> set:
    """The encryption key ids the identity values in the backup ``source`` name (read from the
    file, before anything is restored): SQLite, the tables themselves; PostgreSQL, the data of the
    complaint and event tables as ``pg_restore`` prints them."""
    from ..services.identity_keys import KEY_IDS_SQL, key_ids_from_prefixes, key_ids_in_text

    if not os.path.isfile(source):
        raise BackupError(f"{source} is not a file.")
    if backend(url) == "sqlite":
        connection = sqlite3.connect(Path(source).resolve().as_uri() + "?mode=ro", uri=True)
        found = set()
        try:
            for sql in KEY_IDS_SQL:
                found |= key_ids_from_prefixes(row[0] for row in connection.execute(sql))
            events = connection.execute(
                "SELECT CAST(payload AS TEXT) FROM complaint_event WHERE name = 'edit' AND payload LIKE '%ENC1:%'")
            found |= key_ids_in_text(row[0] or "" for row in events)
        except sqlite3.OperationalError:
            pass  # a backup from before the identity columns or the timeline: nothing encrypted
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{source} is not a SQLite backup ({error}).")
        finally:
            connection.close()
        return found
    if backend(url) == "postgresql":
        # Reviewed (bandit B603): pg_restore with fixed arguments and the backup's path, no shell.
        process = subprocess.Popen(  # nosec B603
            [_tool("pg_restore"), "--data-only", "--table=complaint", "--table=complaint_event", "--file=-", source],
            env=libpq_environment(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        found = key_ids_in_text(process.stdout)
        error = process.stderr.read()
        if process.wait() != 0:
            raise BackupError(f"Reading the backup failed: {error.strip()}")
        return found
    raise BackupError(f"Restoring {backend(url)} databases is not supported.")


def restore(url, source: str) -> None:
    """Restore the backup ``source`` into the (empty) database at ``url``."""
    if not os.path.isfile(source):
        raise BackupError(f"{source} is not a file.")
    if backend(url) == "sqlite":
        _sqlite_restore(url, source)
    elif backend(url) == "postgresql":
        _pg_restore(url, source)
    else:
        raise BackupError(f"Restoring {backend(url)} databases is not supported.")


# --- SQLite ----------------------------------------------------------------------------------

def _sqlite_path(url) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return os.path.abspath(path)


def _sqlite_backup(url, target: str) -> None:
    path = _sqlite_path(url)
    if not os.path.isfile(path):
        raise BackupError(f"The database file {path} does not exist.")
    source = sqlite3.connect(path, timeout=30)
    copy = sqlite3.connect(target)
    try:
        # pages=-1: the whole database in one step, i.e. one consistent snapshot.
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        result = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if result != "ok":
            raise BackupError("The backup copy failed its integrity check.")
    finally:
        copy.close()
        source.close()


def _sqlite_has_tables(connection) -> bool:
    return connection.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0


def _sqlite_restore(url, source: str) -> None:
    path = _sqlite_path(url)
    backup_file = sqlite3.connect(Path(source).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        if backup_file.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{source} is not a sound SQLite database.")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        target = sqlite3.connect(path, timeout=30)
        try:
            if _sqlite_has_tables(target):
                raise BackupError(f"{path} is not empty; restore into a new database file.")
            backup_file.backup(target, pages=-1)
        finally:
            target.close()
        os.chmod(path, 0o600)
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source} is not a SQLite backup ({error}).")
    finally:
        backup_file.close()


# --- PostgreSQL ------------------------------------------------------------------------------

# Query parameters of a SQLAlchemy/libpq URL that libpq also reads from its environment.
_LIBPQ_ENV = {
    "host": "PGHOST", "port": "PGPORT", "sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT", "sslkey": "PGSSLKEY", "connect_timeout": "PGCONNECT_TIMEOUT",
    "application_name": "PGAPPNAME", "options": "PGOPTIONS", "target_session_attrs": "PGTARGETSESSIONATTRS",
}


def libpq_environment(url) -> dict:
    """The environment that points libpq tools at ``url``'s database (password included)."""
    url = make_url(url)
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    for name, variable in _LIBPQ_ENV.items():
        value = url.query.get(name)
        if value:
            env[variable] = value if isinstance(value, str) else value[0]
    if url.host:
        env["PGHOST"] = url.host
    if url.port:
        env["PGPORT"] = str(url.port)
    if url.username:
        env["PGUSER"] = url.username
    if url.password:
        env["PGPASSWORD"] = url.password
    if url.database:
        env["PGDATABASE"] = url.database
    return env


def _tool(name: str) -> str:
    configured = os.environ.get(name.upper().replace("-", "_"))  # PG_DUMP, PG_RESTORE, PSQL
    path = configured or shutil.which(name)
    if not path:
        raise BackupError(f"{name} was not found; install the PostgreSQL client (Debian: postgresql-client).")
    return path


def _run(arguments, url, what: str) -> subprocess.CompletedProcess:
    # Reviewed (bandit B603): a fixed PostgreSQL client program and an argument list built from
    # the configured URL — no shell, no user input; the password travels in the environment.
    result = subprocess.run(arguments, env=libpq_environment(url), capture_output=True, text=True)  # nosec B603
    if result.returncode != 0:
        password = make_url(url).password
        message = (result.stderr or result.stdout or "").strip()
        if password:
            message = message.replace(password, "***")
        raise BackupError(f"{what} failed: {message}")
    return result


def _pg_dump(url, target: str) -> None:
    _run([_tool("pg_dump"), "--format=custom", "--no-password", "--file", target], url, "pg_dump")
    _run([_tool("pg_restore"), "--list", target], url, "Checking the dump")


def _pg_restore(url, source: str) -> None:
    check = _run([_tool("psql"), "--no-password", "--no-psqlrc", "--tuples-only", "--no-align", "--command",
                  "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = 'public'"], url, "psql")
    if check.stdout.strip() != "0":
        raise BackupError("The target database is not empty; restore into a new, empty database.")
    _run([_tool("pg_restore"), "--no-password", "--no-owner", "--no-privileges", "--exit-on-error",
          "--single-transaction", "--dbname", make_url(url).database, source], url, "pg_restore")
