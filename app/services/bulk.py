"""Set-based writing on both databases the application runs on (SQLite and PostgreSQL): the
dialect's INSERT (the one with ON CONFLICT), a list of ids as one parameter, a date as the text
``date.isoformat`` writes, and which of the two the session is on. ``flask remind``
(``services/deadlines.py``) and its notifications (``services/notifications.py``) write thousands
of rows with an INSERT … SELECT each and use them; identity re-encryption and search ask
``on_postgresql``.
"""
import json

from sqlalchemy import Integer, Text, any_, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY

from ..extensions import db


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def on_postgresql() -> bool:
    """Whether the session's database is PostgreSQL (else SQLite)."""
    return dialect_name() == "postgresql"


def dialect_insert(table):
    """``INSERT INTO table`` of the session's database, with ``on_conflict_do_nothing``."""
    dialect = dialect_name()
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - the application runs on SQLite and PostgreSQL only
        raise RuntimeError(f"unsupported database {dialect}")
    return insert(table)


def among(column, ids):
    """SQL: ``column`` is one of ``ids`` (integers), as one parameter however many they are:
    PostgreSQL an array (``= ANY``), SQLite a JSON list read by ``json_each``."""
    if on_postgresql():
        return column == any_(literal([int(value) for value in ids], ARRAY(Integer)))
    listed = func.json_each(literal(json.dumps([int(value) for value in ids]), Text())).table_valued("value")
    return column.in_(select(listed.c.value))


def iso_date(day, plus_days=0):
    """SQL: the date ``day`` plus ``plus_days`` as YYYY-MM-DD text (what ``date.isoformat`` writes)."""
    plus_days = int(plus_days)
    if on_postgresql():
        if plus_days:
            day = day + literal_column(str(plus_days))
        return func.to_char(day, literal_column("'YYYY-MM-DD'"))
    return func.date(day, f"{plus_days:+d} days")
