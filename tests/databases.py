"""Test databases on either backend: SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``).

SQLite: the template is a file; each test gets an in-memory copy (online backup API), or a
file copy when a test needs several connections (live server, threads).
PostgreSQL: the template is a database built once per session; each test gets a database
made by ``CREATE DATABASE … TEMPLATE …`` (0.1–0.3 s, made in advance on a background thread
while the previous test runs) and dropped afterwards (also in the background).
"""
import itertools
import os
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app import create_app
from app.extensions import csrf, db
from app.reports.rules import ensure_default_rules
from app.security.sync import sync_roles
from app.reports import monthly
from app.services import totals
from config import TestConfig

_counter = itertools.count(1)


def test_url() -> str:
    """The database URL the suite runs against (``TEST_DATABASE_URL``, default in-memory SQLite)."""
    return TestConfig.SQLALCHEMY_DATABASE_URI


def is_postgres(url: str = None) -> bool:
    return make_url(url or test_url()).get_backend_name() == "postgresql"


def is_sqlite(url: str = None) -> bool:
    return make_url(url or test_url()).get_backend_name() == "sqlite"


def render(url) -> str:
    """A URL as a string, password included (for configs and subprocess environments)."""
    return make_url(url).render_as_string(hide_password=False)


class PostgresServer:
    """Creates and drops databases on the server behind ``TEST_DATABASE_URL``."""

    def __init__(self, url: str):
        self.url = make_url(url)
        # The session's own prefix: parallel runs (or xdist workers) never share names.
        worker = os.environ.get("PYTEST_XDIST_WORKER", "w")
        self.prefix = f"{self.url.database}_{worker}_{os.getpid()}"[:40]
        self._admin = create_engine(self.url, isolation_level="AUTOCOMMIT")

    def url_for(self, name: str) -> str:
        return render(self.url.set(database=name))

    def new_name(self, kind: str) -> str:
        return f"{self.prefix}_{kind}{next(_counter)}"

    def create(self, name: str, template: str = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        with self._admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"{suffix}'))
        return self.url_for(name)

    def drop(self, name: str) -> None:
        with self._admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def dispose(self) -> None:
        self._admin.dispose()


class Template:
    """The schema plus synced roles, built once per session; ``clone_url()`` gives a test a copy."""

    def __init__(self, url: str, server: PostgresServer = None, name: str = None, path: str = None):
        self.url = url
        self.server = server
        self.name = name
        self.path = path
        # PostgreSQL: the next copy is created (and the last one dropped) on a background
        # thread while a test runs, so a test waits for neither.
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="template") if server else None
        self._next = None

    @property
    def postgres(self) -> bool:
        return self.server is not None

    def __fspath__(self):
        """SQLite: the template file (``sqlite3.connect(template)`` keeps working)."""
        if self.path is None:
            raise TypeError("a PostgreSQL template has no file")
        return self.path

    def __str__(self):
        return self.path or make_url(self.url).render_as_string(hide_password=True)

    def _create_copy(self) -> str:
        name = self.server.new_name("t")
        self.server.create(name, template=self.name)
        return name

    def close(self) -> None:
        """Drop the template and any copy made in advance (end of the session)."""
        if not self.postgres:
            return
        if self._next is not None:
            self.server.drop(self._next.result())
            self._next = None
        self._worker.shutdown(wait=True)
        self.server.drop(self.name)
        self.server.dispose()

    @contextmanager
    def clone_url(self, tmp_dir: str = None):
        """URL of a new database with the template's content, removed afterwards.

        PostgreSQL: a database created from the template. SQLite: a file copy in ``tmp_dir``
        (for tests that need several connections: threads, live servers, subprocesses).
        """
        if self.postgres:
            if self._next is None:
                self._next = self._worker.submit(self._create_copy)
            name = self._next.result()
            self._next = self._worker.submit(self._create_copy)
            try:
                yield self.server.url_for(name)
            finally:
                self._worker.submit(self.server.drop, name)
        else:
            path = os.path.join(tmp_dir, f"clone{next(_counter)}.db")
            source = sqlite3.connect(self.path)
            target = sqlite3.connect(path)
            try:
                source.backup(target)
            finally:
                source.close()
                target.close()
            yield "sqlite:///" + path


@contextmanager
def empty_database_url(tmp_dir: str):
    """URL of a new, empty database on the suite's backend, removed afterwards."""
    if is_postgres():
        server = PostgresServer(test_url())
        name = server.new_name("e")
        url = server.create(name)
        try:
            yield url
        finally:
            server.drop(name)
            server.dispose()
    else:
        yield "sqlite:///" + os.path.join(tmp_dir, f"empty{next(_counter)}.db")


def copy_sqlite_into(template_path: str, engine) -> None:
    """Copy the SQLite template into ``engine``'s (in-memory) database."""
    raw = engine.raw_connection()
    source = sqlite3.connect(template_path)
    try:
        source.backup(raw.driver_connection)
    finally:
        source.close()
        raw.close()


def _with_url(config, url):
    return type(config.__name__, (config,), {"SQLALCHEMY_DATABASE_URI": url})


def _populate(url: str) -> None:
    """Schema (from the models) and synced roles: what every test starts from."""
    template = create_app(_with_url(TestConfig, url))
    with template.app_context():
        db.create_all()
        totals.recount()  # the row migration 0005 writes
        monthly.mark_built()  # what `flask deploy` does (no cases yet: nothing to count)
        db.session.commit()
        ensure_default_rules()  # what `flask deploy` does
        load_jrt_codes()  # the code table migration 0022 loads
        sync_roles(template.appbuilder)
        db.session.remove()
        db.engine.dispose()
    release(template)


def load_jrt_codes() -> None:
    """The JR/T 0169 code table as migration 0022 loads it (the defaults, parents first)."""
    from app.domain.jrt0169 import DEFAULT_CODES
    from app.models.classification import JrtCode

    ids = {}
    for entry in DEFAULT_CODES:
        row = JrtCode(code=entry.code, name=entry.name, dimension=entry.dimension, parent_id=ids.get(entry.parent),
                      valid_from=entry.valid_from, valid_to=entry.valid_to, position=entry.position)
        db.session.add(row)
        db.session.flush()
        ids[entry.code] = row.id
    db.session.commit()


def build_template(tmp_dir: str) -> Template:
    """Build the session's template database on the suite's backend."""
    if is_postgres():
        server = PostgresServer(test_url())
        name = server.new_name("tmpl")
        url = server.create(name)
        _populate(url)
        return Template(url, server=server, name=name)
    path = os.path.join(tmp_dir, "template.db")
    url = "sqlite:///" + path
    _populate(url)
    return Template(url, path=path)


def drop_template(template: Template) -> None:
    template.close()


def release(application) -> None:
    """Let a finished test's application be garbage-collected.

    The module-level ``CSRFProtect`` (app/extensions.py) remembers every blueprint it exempts
    (FAB's APIs); in a process that builds one application per test it would keep every
    application, with its views and forms, alive to the end: memory and garbage-collection
    time grow with the number of tests. Production builds one application per process.
    """
    csrf._exempt_blueprints.difference_update(application.blueprints.values())


@contextmanager
def app_for_url(url: str, config=TestConfig):
    """A new application over the database at ``url``, inside its app context."""
    application = create_app(_with_url(config, url))
    with application.app_context():
        try:
            yield application
        finally:
            db.session.remove()
            db.engine.dispose()
            release(application)


@contextmanager
def app_from_template(template: Template, config=TestConfig):
    """A new application over a fresh copy of the template database, inside its app context.

    SQLite: ``config``'s in-memory database filled from the template file. PostgreSQL: a new
    database created from the template, dropped afterwards.
    """
    if template.postgres:
        with template.clone_url() as url, app_for_url(url, config) as application:
            yield application
    else:
        application = create_app(config)
        with application.app_context():
            copy_sqlite_into(template.path, db.engine)
            try:
                yield application
            finally:
                db.session.remove()
                db.engine.dispose()
                release(application)
