"""Flask extensions shared by the whole application (database, migrations, CSRF, e-mail).

AppBuilder itself is created per application inside ``create_app``: a module-level
instance reused by a second app silently skips registering views.
"""
from flask_appbuilder import Model
from flask_mailman import Mail
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler

# One metadata for FAB's tables and ours, so Alembic and create_all see everything.
db = SQLAlchemy(metadata=Model.metadata)
csrf = CSRFProtect()
# E-mail (issue 23): sent only when MAIL_SERVER is set (services/mail.py).
mail = Mail()


def init_migrations(app, directory: str) -> None:
    """Flask-Migrate (``flask db …``) on ``app``. Imported here, not at the top: Flask-Migrate brings
    Alembic and Mako (about 0.1 s of a start-up), which the scheduled jobs' application never needs."""
    from flask_migrate import Migrate

    Migrate(app, db, directory=directory, render_as_batch=True, compare_type=True)


class SQLiteHintCompiler(SQLiteCompiler):
    """SQLite's statement compiler, rendering a table hint given for SQLite
    (``Select.with_hint(table, "INDEXED BY ix", dialect_name="sqlite")``) after the table's name,
    which SQLAlchemy's own SQLite compiler leaves out. Used by ``data.plans.read_by_index``."""

    def get_from_hint_text(self, table, text):
        return text


def render_sqlite_hints(engine) -> None:
    """Let ``engine`` render SQLite table hints (a SQLite engine only; others are left alone)."""
    if engine.dialect.name == "sqlite":
        engine.dialect.statement_compiler = SQLiteHintCompiler
