"""Shared glue for this application's REST APIs (spec/api.md conventions)."""
import functools
import sys

from flask import request
from flask_appbuilder.api import BaseApi, ModelRestApi
from flask_appbuilder.exceptions import InvalidColumnFilterFABException, InvalidOperationFilterFABException
from flask_babel import gettext
from sqlalchemy.exc import DataError, IntegrityError

from ..data.checks import DomainChecks
from ..errors import DomainError
from ..i18n import translate_messages
from ..extensions import db


def domain_error_response(api, error: DomainError):
    """The contract's answer to a broken domain rule (its status + ``{"message"}``), with the
    session rolled back so nothing is half-written."""
    db.session.rollback()
    return api.response(error.status, message=error.payload())


def contract_errors(method):
    """Answer a domain error raised by an API ``method`` with ``domain_error_response``."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except DomainError as error:
            return domain_error_response(self, error)

    return wrapper


def json_object(method):
    """Hand an API ``method`` the request's JSON object as ``body``; anything else (no JSON, bad
    JSON, a list or a scalar) answers 400 "Invalid input type." before the method runs."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message=gettext("Invalid input type."))
        return method(self, *args, body=body, **kwargs)

    return wrapper


class DomainApi(DomainChecks, ModelRestApi):
    """A ModelRestApi that speaks the contract's error language.

    - validation errors answer 400 ``{"message": {field: [..]}}`` (FAB says 422);
    - a domain rule broken in a check answers its status with a translated message, and the
      session is rolled back so nothing is half-written;
    - a database error never shows its SQL or parameters.
    Browser-cookie login is off: the API is token-only and CSRF-exempt.
    """

    allow_browser_login = False

    @contract_errors
    def post_headless(self):
        return super().post_headless()

    @contract_errors
    def put_headless(self, pk):
        return super().put_headless(pk)

    @contract_errors
    def delete_headless(self, pk):
        return super().delete_headless(pk)

    def response_422(self, message=None):
        db.session.rollback()
        if isinstance(message, dict):
            return self.response_400(message=translate_messages(message))
        return self.response_400(message=gettext("The data conflicts with existing records."))


class PerColumnFilters:
    """An API whose search filters include the application's own (``data/search.py``,
    ``data/rulings.py``): FAB's ``filters`` looked up per column. FAB looks ``eq``, ``sw``, ``ct`` …
    up in one map shared by every API, which would bypass a column's own filters, and it fails
    instantiating a filter of a column's own (FAB 5.3 ``rest_add_filters``)."""

    def _handle_filters_args(self, rison_args):
        """FAB's ``filters``, each operator looked up among its own column's filters."""
        self._filters.clear_filters()
        offered = self._filters.get_search_filters()
        for item in rison_args.get("filters", []):
            column, operation, value = item.get("col"), item.get("opr"), item.get("value")
            if column not in self.search_columns:
                raise InvalidColumnFilterFABException(f"Filter column: {column} not allowed to filter")
            chosen = next((flt for flt in offered.get(column, []) if flt.arg_name == operation), None)
            if chosen is None:
                raise InvalidOperationFilterFABException(f"Filter operation: {operation} not allowed on column: {column}")
            self._filters.add_filter(column, type(chosen), value)
        return self._filters.get_joined_filters(self._base_filters)


# --- FAB's own APIs ----------------------------------------------------------------------------

def _response_500(self, message=None):
    """FAB's ``@safe`` answers any error 500, also the constraint violation a client's data
    causes where FAB does not catch it (FAB 5.3's ``SQLAInterface.add`` re-raises it: a duplicate
    role name or a missing permission id on the security API). Such an error is the client's:
    400 with the contract's translated message, the session rolled back."""
    error = sys.exc_info()[1]
    if isinstance(error, (IntegrityError, DataError)):
        db.session.rollback()
        return self.response_400(message=gettext("The data conflicts with existing records."))
    return _original_response_500(self, message)


def _field_info(self, field, filter_rel_field, page=None, page_size=None):
    """FAB translates "" for a field without label or description, which yields the catalog's
    header: every API's ``_info`` (ours and FAB's own) would show it as text."""
    info = _original_field_info(self, field, filter_rel_field, page, page_size)
    for key in ("label", "description"):
        if str(info.get(key, "")).startswith("Project-Id-Version"):
            info[key] = ""
    return info


_original_response_500 = BaseApi.response_500
_original_field_info = ModelRestApi._get_field_info


def install() -> None:
    """Answer client-caused database errors in every API, FAB's included, with 400; no catalog
    header in FAB's ``_info`` (idempotent)."""
    BaseApi.response_500 = _response_500
    ModelRestApi._get_field_info = _field_info
