"""A password change required by an administrator (issue 20 item 4).

While ``User.must_change_password`` is set (user form, the reset-password form, the security
API), the user's open sessions and tokens end (``sessions._credentials_changed``); at the next
web login the user lands on the own-password form, and every other page sends it back there —
only that form, logging out, the language switch and static files stay reachable. The API login
is refused (403) until the password has been changed on the web. Changing the own password
clears the flag (``ComplaintSecurityManager.reset_password``).
"""
from flask import flash, jsonify, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

# Endpoints a user who must change the password may still reach.
ALLOWED_ENDPOINTS = frozenset({
    "ResetMyPasswordView.this_form_get",
    "ResetMyPasswordView.this_form_post",
    "AuthDBView.logout",
    "AuthDBView.login",
    "LocaleView.index",
    "static",
    "appbuilder.static",
})


def required(user) -> bool:
    """Whether ``user`` must change the password before doing anything else."""
    return bool(getattr(user, "must_change_password", False))


def change_form_url() -> str:
    return url_for("ResetMyPasswordView.this_form_get")


def notice() -> str:
    return gettext("An administrator requires you to choose a new password before you continue.")


def api_refusal() -> str:
    return gettext("An administrator requires a new password for this account: change it on the web pages "
                   "first, then log in here again.")


def _allowed(endpoint) -> bool:
    return endpoint in ALLOWED_ENDPOINTS or (endpoint or "").endswith(".static")


def guard():
    """``before_request``: a logged-in user who must change the password reaches only the
    own-password form (a page is redirected there, an API call answered 403)."""
    if _allowed(request.endpoint):
        return None
    if not (current_user and current_user.is_authenticated and required(current_user)):
        return None
    if request.path.startswith("/api/"):
        return jsonify(message=api_refusal()), 403
    flash(notice(), "warning")
    return redirect(change_form_url())


def init_app(app) -> None:
    app.before_request(guard)
