"""Request input no view can use, refused with a translated 400 before any view runs.

Called by ``web.refuse_impossible_requests`` (a before-request hook), so every page and API —
FAB's own security pages and APIs included — is covered the day it is added (no input answers 500):

- text no field may hold: a NUL character (PostgreSQL cannot store or compare it) or a lone
  UTF-16 surrogate (``"\\ud800"`` in JSON: no UTF-8 encoder, hence no database driver, password
  hash or log line, can encode it), in the query string, a form field or anywhere in a JSON body;
- a JSON body nested too deeply for the parser;
- a whole number, in a JSON body or in ``q``, outside the signed 64-bit range no database column
  can hold (the driver raises an overflow that no view expects);
- page numbers and page sizes that are not small non-negative integers (FAB's
  ``page_<view>``/``psize_<view>`` arguments, the pages' own ``page``, the API's ``q`` keys
  ``page``/``page_size`` at any depth): FAB calls ``int()`` on them, and a huge number
  overflows the database's OFFSET;
- an API ``q`` argument that is neither rison nor JSON (FAB's rison parser fails on some input
  with errors it does not catch, e.g. ``((((``).
"""
import json
import re

import prison
from flask_babel import gettext

from .errors import UnusableInput

INT64 = (-(2**63), 2**63 - 1)  # the widest integer column of SQLite and PostgreSQL
MAX_PAGE = 2**31 - 1  # page numbers and sizes: any list here is far shorter
FAB_PAGE_ARGUMENT = re.compile(r"page_|psize_")  # FAB's urltools read any argument containing these
PAGE_ARGUMENTS = ("page",)  # the pages' own page argument (accountability list)
API_PAGE_KEYS = ("page", "page_size")
_MISSING = object()


def refuse_unusable_input(request) -> None:
    """Raise ``UnusableInput`` (400) for input no view can use."""
    body = _json_body(request)
    if _carries(request, body, _nul):
        raise UnusableInput(gettext("The request contains a NUL character (\\0), which no text may contain."))
    if _carries(request, body, _surrogate):
        raise UnusableInput(gettext("The request contains text that is not valid Unicode."))
    if body is not _MISSING:
        _refuse_huge_integer(body)
    if request.path.startswith("/api/"):
        _check_api_query(request)
    else:
        _check_page_arguments(request)


def refuse_unnamed_form_parts(request) -> None:
    """Raise ``UnusableInput`` (400) for a form whose part has no readable name (a line break
    inside the name: Werkzeug gives it the key None). Run before every other hook: Flask-WTF's
    CSRF check, the first to read the form, fails on such a key (a 500 on every page form)."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or request.is_json:
        return
    if None in request.form or None in request.files:
        raise UnusableInput(gettext("The form contains a field whose name cannot be read."))


# --- text ------------------------------------------------------------------------------------

_SURROGATES = re.compile("[\ud800-\udfff]")


def _nul(text: str) -> bool:
    return "\x00" in text


def _surrogate(text: str) -> bool:
    return _SURROGATES.search(text) is not None


def _json_body(request):
    """The parsed JSON body of a writing request (``_MISSING`` when there is none or it is not
    JSON). A body nested deeper than the parser can follow is refused here: Flask's own parser
    lets that error through."""
    if request.method not in ("POST", "PUT", "PATCH", "DELETE") or not request.is_json:
        return _MISSING
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except RecursionError:
        raise UnusableInput(gettext("The request body is not valid JSON."))
    except ValueError:  # the view answers a malformed body itself
        return _MISSING


def _walk(value, bad) -> bool:
    if isinstance(value, str):
        return bad(value)
    if isinstance(value, dict):
        return any(_walk(k, bad) or _walk(v, bad) for k, v in value.items())
    if isinstance(value, list):
        return any(_walk(item, bad) for item in value)
    return False


def _carries(request, body, bad) -> bool:
    def walk(value):
        return _walk(value, bad)

    if bad(request.path) or any(bad(k) or bad(v) for k, v in request.args.items(multi=True)):
        return True
    if body is not _MISSING:
        return walk(body)
    if request.method in ("POST", "PUT", "PATCH", "DELETE") and not request.is_json:
        # (A part whose name cannot be read, key None, was refused first: refuse_unnamed_form_parts.)
        return any(bad(k) or bad(v) for k, v in request.form.items(multi=True))
    return False


def _huge_integer_at(value, path: str = ""):
    """Where in ``value`` a whole number lies outside ``INT64`` (``"version"``,
    ``"filters.0.value"``), or None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return None if INT64[0] <= value <= INT64[1] else (path or "-")
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        found = _huge_integer_at(item, f"{path}.{key}" if path else str(key))
        if found:
            return found
    return None


def _refuse_huge_integer(value) -> None:
    where = _huge_integer_at(value)
    if where:
        raise UnusableInput(gettext("The number in %(field)s is too large for any field.", field=where))


# --- page numbers ----------------------------------------------------------------------------

def valid_page_number(value, minimum: int = 0) -> bool:
    """``value`` (text from a URL or a number from ``q``) is an integer in [minimum, MAX_PAGE]."""
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        if not re.fullmatch(r"\s*[0-9]{1,10}\s*", value):
            return False
        value = int(value)
    return isinstance(value, int) and minimum <= value <= MAX_PAGE


def _refuse_page():
    raise UnusableInput(gettext("The page number or page size is not valid."))


def _check_page_arguments(request) -> None:
    for name, value in request.args.items(multi=True):
        if FAB_PAGE_ARGUMENT.search(name) or name in PAGE_ARGUMENTS:
            minimum = 1 if "psize_" in name else 0
            if not valid_page_number(value, minimum):
                _refuse_page()


# --- the API's q argument --------------------------------------------------------------------

def parse_api_query(value: str):
    """``q`` as FAB reads it: rison, else JSON. ``UnusableInput`` where FAB would fail."""
    try:
        return prison.loads(value)
    except prison.decoder.ParserException:
        pass
    except Exception:  # noqa: BLE001 -- prison fails on some input with IndexError, RecursionError …
        raise UnusableInput(gettext("The query parameter q is not valid."))
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise UnusableInput(gettext("The query parameter q is not valid."))


def _check_api_query(request) -> None:
    value = request.args.get("q")
    if not value:
        return
    parsed = parse_api_query(value)
    # JSON in q can spell a NUL or a lone surrogate as an escape ("\ud800").
    if _walk(parsed, _nul):
        raise UnusableInput(gettext("The request contains a NUL character (\\0), which no text may contain."))
    if _walk(parsed, _surrogate):
        raise UnusableInput(gettext("The request contains text that is not valid Unicode."))
    _refuse_huge_integer(parsed)
    _check_pages(parsed)


def _check_pages(value) -> None:
    """``page``/``page_size`` at any depth: FAB also pages ``_info``'s related choices with
    ``(add_columns:(roles:(page:…,page_size:…)))``."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in API_PAGE_KEYS and not (isinstance(item, int) and valid_page_number(item)):
                _refuse_page()
            _check_pages(item)
    elif isinstance(value, list):
        for item in value:
            _check_pages(item)
