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
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

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

    def copy(self, name: str, new_name: str) -> None:
        """A new database ``new_name`` with ``name``'s content (its sessions ended first)."""
        self._alone_on(name, f'CREATE DATABASE "{new_name}" TEMPLATE "{name}"')

    def rename(self, name: str, new_name: str) -> None:
        """Rename a database, ending any session still connected to it first."""
        self._alone_on(name, f'ALTER DATABASE "{name}" RENAME TO "{new_name}"')

    def _alone_on(self, name: str, statement: str) -> None:
        """Run ``statement``, which needs no other session on database ``name``, ending those first."""
        with self._admin.connect() as connection:
            for attempt in range(50):
                connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                        "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
                try:
                    connection.execute(text(statement))
                    return
                except OperationalError:  # a terminated session had not gone yet
                    if attempt == 49:
                        raise
                    time.sleep(0.02)

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
        self._shared = None

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

    def shared_app(self) -> "SharedApp":
        """The test process's application of the default configuration (built on first use)."""
        if self._shared is None:
            self._shared = SharedApp(self)
        return self._shared

    def _take_copy(self) -> str:
        """The name of a new copy of the template (made in advance), and start the next one."""
        if self._next is None:
            self._next = self._worker.submit(self._create_copy)
        name = self._next.result()
        self._next = self._worker.submit(self._create_copy)
        return name

    def close(self) -> None:
        """Drop the template and any copy made in advance (end of the session)."""
        if self._shared is not None:
            self._shared.close()
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
            name = self._take_copy()
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


class SharedApp:
    """One application of ``TestConfig`` per test process, over a fresh database per test.

    Creating an application (routes, views, security manager) was most of a test's set-up; the
    application's own state is small and known, and is put back after every test:

    - the database: SQLite's in-memory database is refilled from the template (the online backup
      API replaces every page); on PostgreSQL the application's database name is fixed and a new
      copy of the template is renamed to it before each test, the used one renamed away and dropped
      in the background;
    - ``app.config`` (tests set upload folders, limits, floors), the security manager's attributes
      (tests give it a clock) and the identity cipher's, as they were after ``create_app``;
    - Flask's "first request handled" flag, so a test may still add hooks before its first request.

    Everything else the application keeps lives in the database or in the request (``request_cache``).
    """

    def __init__(self, template: "Template"):
        self.template = template
        self.url = None
        if template.postgres:
            self.name = template.server.new_name("app")
            self.url = template.server.url_for(self.name)
            template.server.rename(template._take_copy(), self.name)
        self.app = create_app(_with_url(TestConfig, self.url) if self.url else TestConfig)
        self.config = _copied(dict(self.app.config))
        self.manager = _copied(vars(self.app.appbuilder.sm))
        self.cipher = _copied(vars(cipher_of(self.app)))
        self._used = 0
        self._fresh = True  # PostgreSQL: the first test gets the database renamed in above
        self._snapshots = []  # built_once's copies, removed at the end

    @contextmanager
    def serve(self):
        application = self.app
        with application.app_context():
            self._new_database()
            try:
                yield application
            finally:
                db.session.remove()
                db.engine.dispose()
                self._restore()

    def _new_database(self) -> None:
        if self.template.postgres and self._fresh:
            self._fresh = False
        elif self.template.postgres:
            self._retire_database()
            self.template.server.rename(self.template._take_copy(), self.name)
        else:
            copy_sqlite_into(self.template.path, db.engine)

    def _retire_database(self) -> None:
        """PostgreSQL: rename the application's database away (dropped in the background)."""
        server = self.template.server
        used = f"{self.name}_old{self._used}"
        self._used += 1
        server.rename(self.name, used)
        self.template._worker.submit(server.drop, used)

    def snapshot(self):
        """A copy of the current database (everything committed): a SQLite connection to an in-memory
        copy, or the name of a PostgreSQL database made from it."""
        db.session.commit()
        if self.template.postgres:
            db.engine.dispose()
            name = self.template.server.new_name("snap")
            self.template.server.copy(self.name, name)
            self._snapshots.append(name)
            return name
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        raw = db.engine.raw_connection()
        try:
            raw.driver_connection.backup(copy)
        finally:
            raw.close()
        self._snapshots.append(copy)
        return copy

    def restore(self, snapshot) -> None:
        """Replace the current database with ``snapshot``'s copy; the session's objects are expired
        (read again from the copy when next used)."""
        db.session.commit()
        if self.template.postgres:
            db.engine.dispose()
            self._retire_database()
            self.template.server.create(self.name, template=snapshot)
        else:
            copy_sqlite_into(snapshot, db.engine)
        db.session.expire_all()

    def _restore(self) -> None:
        application = self.app
        application.config.clear()
        application.config.update(_copied(self.config))
        _put_back(application.appbuilder.sm, _copied(self.manager))
        _put_back(cipher_of(application), _copied(self.cipher))
        application._got_first_request = False

    def close(self) -> None:
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        release(self.app)
        for snapshot in self._snapshots:
            if self.template.postgres:
                self.template.server.drop(snapshot)
            else:
                snapshot.close()
        if self.template.postgres:
            self.template.server.drop(self.name)


_BUILT = {}


def built_once(template: "Template", key, build, factory=None):
    """What ``build()`` writes, built by the first test of this process that asks for ``key`` on the
    same database state, and copied into the database of every later one instead of built again.

    The state before ``build`` is part of the key (each table's row count and highest id), so a test
    whose fixtures wrote anything else builds its own; ``build`` must otherwise depend only on that
    state (explicit times, not the wall clock, for anything a test compares). Returns ``build``'s value,
    its ORM objects read again from the copy; ``factory``'s counter (default names and codes) is put
    where the build left it. Tests on an application of their own (another configuration,
    ``TEST_FRESH_APP``) simply build.
    """
    from flask import current_app

    shared = template._shared
    if shared is None or current_app._get_current_object() is not shared.app:
        return build()
    full_key = (key, _fingerprint())
    entry = _BUILT.get(full_key)
    if entry is None:
        value = build()
        snapshot = shared.snapshot()  # commits first
        _BUILT[full_key] = (snapshot, _references(value), getattr(factory, "_n", None), _fingerprint())
        return value
    snapshot, references, counter, after = entry
    shared.restore(snapshot)
    assert _fingerprint() == after, "the copy is not the state the build left"
    if factory is not None:
        factory._n = counter
    return _objects(references)


def _fingerprint() -> tuple:
    """Each table's row count and highest id (one statement)."""
    from sqlalchemy import func, select

    columns = []
    for table in db.metadata.sorted_tables:
        columns.append(select(func.count()).select_from(table).scalar_subquery())
        if "id" in table.c:
            columns.append(select(func.max(table.c.id)).scalar_subquery())
    return tuple(db.session.execute(select(*columns)).one())


def _references(value):
    """``value`` with every ORM object replaced by (its class, its primary key)."""
    from sqlalchemy import inspect
    from sqlalchemy.exc import NoInspectionAvailable
    from sqlalchemy.orm import InstanceState

    if isinstance(value, dict):
        return {key: _references(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_references(item) for item in value)
    try:
        state = inspect(value)
    except NoInspectionAvailable:
        return value
    return _Row(type(value), state.identity) if isinstance(state, InstanceState) else value


def _objects(value):
    if isinstance(value, dict):
        return {key: _objects(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_objects(item) for item in value)
    if isinstance(value, _Row):
        return db.session.get(value.model, value.identity)
    return value


class _Row:
    def __init__(self, model, identity):
        self.model, self.identity = model, identity


def _copied(mapping: dict) -> dict:
    """A copy of ``mapping`` whose list, dict and set values are copies too (one level)."""
    return {key: (type(value)(value) if isinstance(value, (list, dict, set)) else value)
            for key, value in mapping.items()}


def _put_back(obj, attributes: dict) -> None:
    """Give ``obj`` exactly the attributes it had (added ones removed, changed ones restored)."""
    current = vars(obj)
    for name in [name for name in current if name not in attributes]:
        del current[name]
    current.update(attributes)


def cipher_of(application):
    from app.crypto import cipher

    return cipher(application)


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


def copy_sqlite_into(source, engine) -> None:
    """Replace ``engine``'s SQLite database with ``source``'s: a file path (the template) or an open
    ``sqlite3`` connection (a ``built_once`` copy)."""
    opened = sqlite3.connect(source) if isinstance(source, str) else None
    raw = engine.raw_connection()
    try:
        (opened or source).backup(raw.driver_connection)
    finally:
        if opened is not None:
            opened.close()
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

    The default configuration (``TestConfig`` itself) is served by one application per test
    process (``SharedApp``): building an application registers some 240 routes and every view,
    which was most of a test's set-up. Each test still gets a fresh database, configuration,
    security manager and keyring state; ``TEST_FRESH_APP=1`` builds a new application per test
    instead (to rule the sharing out when a test misbehaves).
    """
    if config is TestConfig and not os.environ.get("TEST_FRESH_APP"):
        with template.shared_app().serve() as application:
            yield application
    elif template.postgres:
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
