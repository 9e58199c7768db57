"""FAB data interfaces: eager loading and a cheap total for complaints, and the calendar's
interfaces whose add/edit/delete go through ``app.services.calendar`` (pages and API alike)."""
from datetime import date

from flask import g, has_request_context
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import (
    FilterEqual,
    FilterGreater,
    FilterNotEqual,
    FilterSmaller,
    SQLAFilterConverter,
    get_field_setup_query,
)
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from sqlalchemy import false
from sqlalchemy.orm import selectinload

from ..models.complaint import Complaint
from ..security.filters import ComplaintScopeFilter, scan_in_order
from ..services import calendar as calendar_service
from ..services import committee_roster, totals
from .. import clock
from . import plans
from .search import ComplaintFilterConverter


class EagerInterface(SQLAInterface):
    """SQLAInterface that eager-loads the named relations of its own model's list queries."""

    def __init__(self, obj, session=None, eager=()):
        super().__init__(obj, session)
        self._eager = tuple(eager)

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        if self._eager:
            query = query.options(*[selectinload(getattr(self.obj, name)) for name in self._eager])
        return query


class ComplaintInterface(EagerInterface):
    """The complaint list's interface (pages and API). Its ``query`` counts first, then chooses
    the page's plan from that count (``plans.walks_in_order``) and reads the page with it:

    - when nothing narrows the list (no search filter, and a role that sees every case) the total
      is the kept complaint total, not a count over the table; a narrower scope alone adds up one
      count per way of reaching a case (``plans.scope_count``); any search filter counts as FAB
      does (by index);
    - a page of a large scope in order of receipt reads its candidates only
      (``plans.newest_candidates``), and tests each case it walks against the scope instead of
      collecting the scope's ids first;
    - a search that finds its cases through an index (phone, name, case number, same caller)
      tests each found case against the scope, in the count and the page alike.

    Its search filters are ``data/search.py``'s (case number, phone, name, text, same caller).
    """

    filter_converter_class = ComplaintFilterConverter

    def __init__(self, session=None, eager=()):
        super().__init__(Complaint, session, eager)

    def query(self, filters=None, order_column="", order_direction="", page=None, page_size=None,
              select_columns=None, outer_default_load=False):
        narrow = self._narrowed_by_index(filters)
        with scan_in_order(narrow):
            count = self.query_count(self.session.query(self.obj), filters, select_columns)
        ordered = narrow or plans.walks_in_order(count)
        with scan_in_order(ordered):
            query = self.apply_all(self.session.query(self.obj), filters, order_column, order_direction, page,
                                   page_size, select_columns, outer_default_load,
                                   candidates=ordered)
            rows = query.all()
        # As FAB's own ``query``: rows of selected columns come back as they are.
        if rows and not hasattr(rows[0], self.obj.__name__):
            return count, rows
        return count, [getattr(row, self.obj.__name__) for row in rows]

    def query_count(self, query, filters=None, select_columns=None):
        count = None
        if self._scope_only(filters):
            # The scope alone: each way of reaching a case counted from its own index, or (a
            # role that sees every case) the kept total.
            count = plans.scope_count(getattr(g, "user", None))
            if count is None:
                count = totals.total()
        if count is None:
            count = super().query_count(query, filters, select_columns)
        return count

    def apply_all(self, query, filters=None, order_column="", order_direction="", page=None, page_size=None,
                  *args, candidates=False, **kwargs):
        depth = ((page or 0) + 1) * (page_size or 0)
        if (candidates and order_column == "received_at" and 0 < depth <= plans.CANDIDATE_DEPTH_AT_MOST
                and self._scope_only(filters)):
            found = plans.newest_candidates(getattr(g, "user", None), self.obj, order_direction != "asc", depth)
            if found is not None:
                query = query.filter(self.obj.id.in_(found))
        return super().apply_all(query, filters, order_column, order_direction, page, page_size, *args, **kwargs)

    @staticmethod
    def _narrowed_by_index(filters) -> bool:
        """Whether a search finds the list's few cases through an index (phone, name, case number,
        same caller): then count and page test each found case against the scope instead of
        collecting a large scope's ids (a branch head's phone search at a million cases)."""
        if filters is None or not has_request_context():
            return False
        return any(getattr(flt, "narrows_by_index", None) and flt.narrows_by_index(value)
                   for flt, value in zip(filters.filters, filters.values))

    @staticmethod
    def _scope_only(filters) -> bool:
        return (filters is not None and has_request_context()
                and all(isinstance(flt, ComplaintScopeFilter) for flt in filters.filters))

    def get_values(self, lst, list_columns):
        """FAB's row values, each also carrying ``duplicate_of_id``: the list marks a duplicate 重复
        (issue 23) from the row it has already read."""
        for item, values in zip(lst, super().get_values(lst, list_columns)):
            values.setdefault("duplicate_of_id", item.duplicate_of_id)
            yield values


def acting_user():
    """The logged-in user of this request, or None (the calendar service records who changed a day)."""
    user = getattr(g, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


# --- filters: "year is" on dates, "is" on yes/no columns (pages and API) -----------------------

class FilterYear(BaseFilter):
    """Dates within one calendar year (value: the year, e.g. 2026)."""

    name = _l("Year is")
    arg_name = "year"

    def apply(self, query, value):
        query, column = get_field_setup_query(query, self.model, self.column_name)
        try:
            year = int(str(value).strip())
            first, last = date(year, 1, 1), date(year, 12, 31)
        except (TypeError, ValueError, OverflowError):  # not a year, or one no date can have
            return query.filter(false())
        return query.filter(column >= first, column <= last)


class FilterBooleanIs(BaseFilter):
    """A yes/no column equal to the value (1/0, true/false, y/n, 是/否)."""

    name = _l("Is")
    arg_name = "is"

    def apply(self, query, value):
        query, column = get_field_setup_query(query, self.model, self.column_name)
        text = str(value).strip().lower()
        if value is True or text in {"1", "true", "y", "yes", "是"}:
            return query.filter(column.is_(True))
        if value is False or text in {"0", "false", "n", "no", "否"}:
            return query.filter(column.is_(False))
        return query.filter(false())


class CalendarFilterConverter(SQLAFilterConverter):
    """FAB's filters, plus "year is" for dates and a working "is" for yes/no columns."""

    conversion_table = tuple(
        ("is_date", [FilterYear, FilterEqual, FilterGreater, FilterSmaller, FilterNotEqual]) if kind == "is_date"
        else ("is_boolean", [FilterBooleanIs]) if kind == "is_boolean"
        else (kind, filters)
        for kind, filters in SQLAFilterConverter.conversion_table
    )



class WorkDayInterface(SQLAInterface):
    """Adds, edits and deletes calendar days through ``app.services.calendar``."""

    filter_converter_class = CalendarFilterConverter

    def add(self, item, commit=True):
        calendar_service.add_day(item.date, item.is_workday, item.name, user=acting_user(), row=item)

    def edit(self, item, commit=True):
        calendar_service.update_day(item.id, item.date, item.is_workday, item.name, user=acting_user())

    def delete(self, item, commit=True):
        calendar_service.remove_day(item.id, user=acting_user())


class CalendarYearInterface(SQLAInterface):
    """Adds and edits calendar years through ``app.services.calendar``."""

    filter_converter_class = CalendarFilterConverter

    def add(self, item, commit=True):
        calendar_service.set_year_published(item.year, bool(item.published), user=acting_user(), note=item.note or "")

    def edit(self, item, commit=True):
        calendar_service.set_year_published(item.year, bool(item.published), user=acting_user(), note=item.note or "")


class RulingBodyInterface(SQLAInterface):
    """Ruling bodies (issue 21) with two read-only columns for pages: ``serving_today`` (members
    whose term runs today) and ``quorum_rule`` (the quorum rule in words). Bodies are written
    through ``app.services.committee_roster`` only (the views call it)."""

    def _get_attr_value(self, item, col):
        if col == "serving_today":
            return len(committee_roster.serving(item, clock.now().date()))
        if col == "quorum_rule":
            return committee_roster.quorum_words(item)
        return SQLAInterface._get_attr_value(item, col)
