"""REST resource /api/v1/workday/ (spec/api.md "Work calendar"): Admin writes, everyone reads.

POST, PUT and DELETE go through ``app.services.calendar`` (via the datamodel), so a change
recomputes the due dates of the open complaints it affects in the same transaction.
"""
from flask_babel import lazy_gettext as _l

from ..models.calendar import WorkDay
from ..security import permissions as p
from ..domain.payloads import BeijingDate
from ..data.interfaces import WorkDayInterface
from ..domain import vocabulary as v
from ..i18n import lazy_labels
from .base import DomainApi


class WorkDayApi(DomainApi):
    """Calendar days: ``date`` (YYYY-MM-DD), ``is_workday``, ``name``; ``source`` is read-only."""

    resource_name = "workday"
    datamodel = WorkDayInterface(WorkDay)
    class_permission_name = p.WORK_DAY
    method_permission_name = p.REST_API_READ_WRITE
    label_columns = lazy_labels(v.WORK_DAY_LABELS)
    list_title = _l("Work days")
    show_title = _l("Work day")
    add_title = _l("Add work day")
    edit_title = _l("Edit work day")

    list_columns = ["id", "date", "is_workday", "name", "source"]
    show_columns = list_columns
    add_columns = ["date", "is_workday", "name"]
    edit_columns = add_columns
    search_columns = ["date", "is_workday", "name", "source"]
    order_columns = ["id", "date", "is_workday", "source"]
    base_order = ("date", "asc")

    def _init_model_schemas(self):
        """FAB's schemas, with ``date`` read as every date field of the API reads it: ``YYYY-MM-DD``
        or a date-time (its Beijing date), years 1900–2100 (api.md "Additions")."""
        super()._init_model_schemas()
        self.add_model_schema = _with_beijing_date(self.add_model_schema)
        self.edit_model_schema = _with_beijing_date(self.edit_model_schema)


def _with_beijing_date(schema):
    """An instance of a subclass of ``schema``'s class whose ``date`` field is a ``BeijingDate``."""
    field = schema.fields["date"]
    date = BeijingDate(required=field.required, allow_none=field.allow_none, validate=field.validators)
    return type(type(schema).__name__, (type(schema),), {"date": date})()
