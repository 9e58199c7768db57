"""Filter values FAB's generic lists and APIs pass to the database unchecked.

FAB 5.3's search filters hand the raw value of ``?_flt_<n>_<column>=`` (pages) and of
``(filters:!((col:…,opr:…,value:…)))`` (APIs) to the query. An integer beyond the column's
range, a string where a row id is expected, an impossible date or a NUL character then reaches
the database: SQLite finds nothing, PostgreSQL refuses the statement, and the user sees a 500.
A JSON value of the wrong kind (a number or flag for a text search, an object) fails in FAB
itself (``value + "%"``) or in PostgreSQL (``varchar = integer``). A filter index the column does not have fails in FAB itself (IndexError).

A filter with a ``check_value(value)`` method (the complaint list's search filters,
``data/search.py``) checks its value itself and raises ``InvalidFilter`` with its own message.

``install()`` (called once by ``create_app``) makes every FAB list — ours and FAB's own
security pages — answer such a filter with a translated 400 before any statement runs. The
check is by the column's type, so a new view or column is covered without further work.
"""
import math
from datetime import date, datetime

from dateutil import parser as date_parser
from flask_appbuilder.models.filters import Filters
from flask_babel import gettext
from sqlalchemy import BigInteger, Boolean, Date, DateTime, Float, Integer, Numeric, SmallInteger

from .errors import UnusableInput
from .ids import row_id

INT_RANGES = (
    (SmallInteger, 2**15),
    (BigInteger, 2**63),
    (Integer, 2**31),
)
BOOLEAN_VALUES = {"y", "n", "yes", "no", "true", "false", "1", "0", "on", "off", "是", "否"}
RELATION_OPERATIONS = {"rel_o_m", "nrel_o_m", "rel_m_m"}
TEXT_OPERATIONS = {"sw", "nsw", "ew", "new", "ct", "nct"}
LIST_OPERATIONS = {"in", "not_in"}
FAB_OPERATIONS = TEXT_OPERATIONS | LIST_OPERATIONS | RELATION_OPERATIONS | {"eq", "neq", "gt", "lt"}


class InvalidFilter(UnusableInput):
    """A search filter no row can match because its value is impossible for the column."""


def _column_type(datamodel, column_name):
    """The SQLAlchemy type of ``column_name`` (dotted names follow one relation), or None."""
    model = datamodel.obj
    if "." in column_name:
        relation, column_name = column_name.split(".", 1)
        model = getattr(model, relation).property.mapper.class_
    column = getattr(model, column_name, None)
    expression = getattr(column, "expression", None)
    return getattr(expression, "type", None)


def _is_relation(datamodel, column_name):
    try:
        return datamodel.is_relation(column_name)
    except Exception:  # noqa: BLE001 -- FAB raises for names it does not map; then not a relation
        return False


def valid_value(datamodel, column_name, operation, value) -> bool:
    """Whether ``value`` can stand in a filter on ``column_name`` without a database error.

    The API's rison ``value`` may be any JSON value, a page's filter is a list of texts. FAB
    applies each item of a list (all of them must hold) and hands ``in``/``not_in`` the whole
    list; it iterates over a single value given to those. Text operations (starts with,
    contains …) take text only; every other item must be a value of the column's kind — a
    number where text is stored, or a flag where a number is, fails in FAB or in PostgreSQL.
    """
    if isinstance(value, (list, tuple)):
        return all(_valid_item(datamodel, column_name, operation, item) for item in value)
    if operation in LIST_OPERATIONS and not isinstance(value, str):
        return False
    return _valid_item(datamodel, column_name, operation, value)


def _valid_item(datamodel, column_name, operation, value) -> bool:
    if operation in TEXT_OPERATIONS and not isinstance(value, str):
        return False
    if isinstance(value, (bool, int, float)) and operation not in FAB_OPERATIONS:
        # The application's own filters ("year is", "is") read numbers and flags themselves.
        return not isinstance(value, float) or math.isfinite(value)
    return _valid_scalar(datamodel, column_name, operation, value)


def _valid_scalar(datamodel, column_name, operation, value) -> bool:
    if isinstance(value, (list, tuple, dict)):
        return False
    if value is None or isinstance(value, date):
        return True
    relation = operation in RELATION_OPERATIONS or _is_relation(datamodel, column_name)
    column_type = None if relation else _column_type(datamodel, column_name)
    if isinstance(value, (bool, int, float)):
        return _valid_number(column_type, value, relation)
    text = str(value)
    if "\x00" in text:
        return False
    if relation:
        return row_id(text) is not None
    if isinstance(column_type, Boolean):
        return text.strip().lower() in BOOLEAN_VALUES
    if isinstance(column_type, (Integer, SmallInteger, BigInteger)):
        try:
            return _valid_integer(column_type, int(text.strip()))
        except ValueError:
            return False
    if isinstance(column_type, (Float, Numeric)):
        try:
            number = float(text)
        except ValueError:
            return False
        return math.isfinite(number) and abs(number) < 1e15
    if isinstance(column_type, (Date, DateTime)):
        try:
            parsed = date_parser.parse(text)
        except (ValueError, OverflowError, TypeError):
            return False
        return isinstance(parsed, datetime) and 1900 <= parsed.year <= 9999
    return True


def _valid_number(column_type, value, relation) -> bool:
    """A JSON number or flag: only where the column holds one (a flag only in a flag column)."""
    if isinstance(value, bool):
        return isinstance(column_type, Boolean)
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return isinstance(column_type, (Float, Numeric)) and math.isfinite(value) and abs(value) < 1e15
    if relation:
        return row_id(value) is not None
    if isinstance(column_type, (Integer, SmallInteger, BigInteger)):
        return _valid_integer(column_type, int(value))
    if isinstance(column_type, (Float, Numeric)):
        return abs(value) < 1e15
    return False


def _valid_integer(column_type, value: int) -> bool:
    for kind, bound in INT_RANGES:
        if isinstance(column_type, kind):
            return -bound <= value < bound
    return True


def _user_supplied(flt, values) -> bool:
    """A search filter a request can name (it has an ``arg_name``) with a plain value. Base
    filters (the scope rule: no ``arg_name``, a function as value) own their values."""
    return bool(getattr(flt, "arg_name", None)) and not callable(values)


def _checked_apply_all(self, query):
    for flt, values in zip(self.filters, self.values):
        own_check = getattr(flt, "check_value", None)
        if own_check is not None and _user_supplied(flt, values):
            # A filter that reads its value itself (a period, a case id, a search term) checks it
            # itself, raising ``InvalidFilter`` with its own message.
            own_check(values)
            continue
        if _user_supplied(flt, values) and not valid_value(flt.datamodel, flt.column_name, getattr(flt, "arg_name", ""), values):
            raise InvalidFilter(
                gettext("The search value for “%(column)s” is not valid.", column=flt.column_name)
            )
    return _original_apply_all(self, query)


def _checked_add_filter_index(self, column_name, filter_instance_index, value):
    candidates = self._all_filters.get(column_name)
    if candidates is not None and not 0 <= filter_instance_index < len(candidates):
        raise InvalidFilter(gettext("The search value for “%(column)s” is not valid.", column=column_name))
    return _original_add_filter_index(self, column_name, filter_instance_index, value)


_original_apply_all = Filters.apply_all
_original_add_filter_index = Filters.add_filter_index


def install() -> None:
    """Check every FAB filter value before it reaches a query (idempotent)."""
    Filters.apply_all = _checked_apply_all
    Filters.add_filter_index = _checked_add_filter_index
