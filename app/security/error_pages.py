"""Error answers that never show a stack trace, SQL text or parameters.

Pages get a Chinese error page (403, 404 and 500 have their own templates); ``/api/`` paths
get ``{"message": ...}`` JSON. The 500 page is self-contained (no menu, no database) and
falls back to a fixed string if even that cannot render. FAB's fixed English API error
messages ("Not found", "Fatal error" …) are replaced by translated ones.
"""
import json
import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, InternalServerError

log = logging.getLogger(__name__)

_MESSAGES = {
    400: _l("The request could not be processed. Please check the input and try again."),
    401: _l("Please log in first."),
    403: _l("You do not have permission to do this."),
    404: _l("The page or record does not exist, or you may not see it."),
    405: _l("This action is not allowed here."),
    409: _l("The record was changed by someone else. Reload it and try again."),
    413: _l("The upload is too large."),
    415: _l("The request body has an unsupported format."),
    422: _l("The request could not be processed. Please check the input and try again."),
    429: _l("Too many requests. Please wait a minute and try again."),
    500: _l("An internal error occurred. It has been logged; please try again later or contact the administrator."),
}
_GENERIC = _l("The request could not be completed.")
_CONFLICT = _l("The data conflicts with existing records.")
_CSRF = _l("The form has expired or lacks its security token. Reload the page and try again.")

# FAB's fixed English API error messages and their translations.
_FAB_API_MESSAGES = {
    "Not authorized": 401,
    "Forbidden": 403,
    "Not found": 404,
    "Fatal error": 500,
    "Internal error": 500,
    "Arguments are not correct": 400,
    "Request payload is not JSON": 415,
}

# FAB's English 400 messages about a list query (rison ``q``) or body, by prefix: translated
# (every refusal speaks the user's language).
_Q_INVALID = _l("The query parameter q is not valid.")
_FAB_API_PREFIXES = (
    ("Not a valid rison/json argument", _Q_INVALID),
    ("Not a valid rison argument", _Q_INVALID),
    ("Not a valid rison schema", _l("The query parameter q has a value of the wrong type or an unknown key.")),
    ("Filter column: ", _l("This column cannot be used to filter.")),
    ("Filter operation: ", _l("This filter operation is not allowed on the column.")),
    ("Invalid order by column: ", _l("The list cannot be sorted by this column.")),
    ("Cannot use both select and sel columns", _Q_INVALID),
    ("Request is not JSON", _l("The request body must be JSON.")),
)

_LAST_RESORT = (
    "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>500</title></head>"
    "<body><h1>500</h1><p>系统内部错误，已记录。请稍后再试或联系系统管理员。</p>"
    "<p><a href=\"/\">返回首页</a></p></body></html>"
)


def wants_json() -> bool:
    """API paths answer JSON; everything else is a page."""
    return request.path.startswith("/api/")


def message_for(error: HTTPException) -> str:
    """The translated message for ``error`` (a rate-limit breach carries its own)."""
    from flask_wtf.csrf import CSRFError

    from ..errors import UnusableInput

    if isinstance(error, CSRFError):
        return str(_CSRF)
    if isinstance(error, UnusableInput):
        return str(error.description)
    limit = getattr(error, "limit", None)
    if error.code == 429 and getattr(limit, "error_message", None):
        return str(error.description)
    return str(_MESSAGES.get(error.code, _GENERIC))


def _page(code: int, message: str):
    template = {403: "errors/403.html", 404: "errors/404.html"}.get(code, "errors/error.html")
    try:
        appbuilder = current_app.appbuilder
        page = render_template(
            template, code=code, message=message, appbuilder=appbuilder,
            base_template=appbuilder.base_template, current_app=current_app,
        )
        return page, code
    except Exception:  # the page must not fail: fall back to the self-contained one
        log.exception("Error page %s failed to render", code)
        return _server_error_page(code, message)


def _server_error_page(code: int = 500, message: str = None):
    try:
        return render_template("errors/500.html", code=code, message=message or str(_MESSAGES[500])), code
    except Exception:
        log.exception("The 500 page failed to render")
        return _LAST_RESORT, code, {"Content-Type": "text/html; charset=utf-8"}


def _extra_headers(error: HTTPException) -> dict:
    """The headers of ``error`` that a client needs (``Allow`` on 405, ``Retry-After`` on 429)."""
    return {
        name: value
        for name, value in error.get_headers()
        if name.lower() in ("allow", "retry-after", "www-authenticate")
    }


def handle_http_error(error: HTTPException):
    """Any HTTP error: JSON for the API, a translated page for people."""
    if error.code is None or error.code < 400:
        return error
    if error.code >= 500:
        return handle_server_error(error)
    message = message_for(error)
    if wants_json():
        response = jsonify(message=message)
        response.status_code = error.code
    else:
        body, code, *rest = _page(error.code, message)
        response = current_app.make_response((body, code, *rest))
    response.headers.update(_extra_headers(error))
    return response


def handle_server_error(error):
    """An unhandled exception (already logged by Flask): no detail reaches the client."""
    try:
        from ..extensions import db

        db.session.rollback()
    except Exception:
        log.exception("Rollback after a server error failed")
    message = str(_MESSAGES[500])
    code = getattr(error, "code", 500) or 500
    if wants_json():
        response = jsonify(message=message)
        response.status_code = code
        return response
    return _server_error_page(code, message)


def rollback_after_server_error(response):
    """FAB's APIs answer some failures 500 themselves (no exception reaches Flask): the session's
    failed transaction must not outlive the request that failed it."""
    if response.status_code >= 500:
        try:
            from ..extensions import db

            db.session.rollback()
        except Exception:
            log.exception("Rollback after a server error failed")
    return response


def translate_fab_api_errors(response):
    """Replace FAB's fixed English API error messages (and its list-query refusals, by prefix)
    with translated ones."""
    if (
        response.status_code < 400
        or not wants_json()
        or response.mimetype != "application/json"
        or response.direct_passthrough
        or (response.content_length or 0) > 4096
    ):
        return response
    try:
        body = json.loads(response.get_data(as_text=True))
    except ValueError:
        return response
    if not isinstance(body, dict) or not isinstance(body.get("message"), str):
        return response
    if response.status_code == 422:
        # FAB's security APIs answer a database error 422 with the driver's text (table and
        # constraint names, sometimes the statement): the contract's 400, translated, instead.
        response.status_code = 400
        body["message"] = str(_CONFLICT)
        response.set_data(json.dumps(body, ensure_ascii=False))
        return response
    code = _FAB_API_MESSAGES.get(body["message"])
    if code is not None:
        body["message"] = str(_MESSAGES[code])
    else:
        prefix = next((m for p, m in _FAB_API_PREFIXES if body["message"].startswith(p)), None)
        if prefix is None:
            return response
        body["message"] = str(prefix)
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


def init_app(app: Flask) -> None:
    """Register the handlers; hide API stack traces whatever the configuration says."""
    app.config["FAB_API_SHOW_STACKTRACE"] = False
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
    app.after_request(translate_fab_api_errors)
    app.after_request(rollback_after_server_error)
