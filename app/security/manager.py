"""The application's security manager (``FAB_SECURITY_MANAGER_CLASS``).

On top of Flask-AppBuilder's database authentication it adds (docs/security.md):

- a rate limit on the web *and* the API login, and a temporary lockout per
  (account, client address) pair (``app.security.lockout``);
- session epochs (``app.security.sessions``): logout, password change and deactivation end
  every web session and JWT of the user at once; a replayed cookie or token is refused;
- logout as a CSRF-protected POST; FAB's security APIs token-only (no browser cookies), never
  echoing a password, answering duplicates and records in use with 409 (``app.security.security_api``);
- the password policy on every path that sets a password, including ``flask fab`` commands;
- the current password asked for (and wrong ones counted by the lockout) when users change their
  own password (``app.security.own_password``);
- translated JSON answers for every JWT problem;
- the user's permissions read once per request instead of once per menu entry.

Its length (about 500 lines) is FAB's: one ``SecurityManager`` subclass whose overrides must live
on the class FAB instantiates; the rules they call (lockout, sessions, passwords, own password,
security API) live in their own modules.
"""
import logging
import math
from urllib.parse import urlsplit

import click
from flask import current_app, flash, g, has_request_context, jsonify, redirect, request, session
from flask_appbuilder.baseviews import expose
from flask_appbuilder.api import safe
from flask_appbuilder.const import (
    API_SECURITY_ACCESS_TOKEN_KEY,
    API_SECURITY_PROVIDER_DB,
    API_SECURITY_REFRESH_TOKEN_KEY,
)
from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.api import SecurityApi as FabSecurityApi
from flask_appbuilder.security.decorators import no_cache
from flask_appbuilder.security.forms import LoginForm_db
from flask_appbuilder.security.schemas import login_post
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.utils import is_null_password
from flask_appbuilder.security.sqla.models import (
    Permission,
    PermissionView,
    ViewMenu,
    assoc_permissionview_role,
)
from flask_appbuilder.security.views import AuthDBView as FabAuthDBView
from flask_babel import gettext
from flask_jwt_extended import create_access_token, create_refresh_token, get_jwt_identity, jwt_required
from flask_login import current_user, login_user, logout_user
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash

from .. import clock
from ..ids import row_id
from .lockout import LockoutPolicy, LockoutStore, account_key, name_key
from .own_password import ResetMyPasswordView
from . import password_change
from .user_views import ResetPasswordView, RoleModelView, UserDBModelView, UserGroupModelView
from .security_api import (
    GroupApi,
    PermissionApi,
    PermissionViewMenuApi,
    RoleApi,
    UserApi,
    ViewMenuApi,
    quiet_refusals,
)
from .request_cache import request_cache
from ..models.auth import SessionEpoch
from .sessions import (EPOCH_CLAIM, EPOCH_SESSION_KEY, current_epoch, end_all_sessions, ensure_epoch, epoch_matches,
                       remember_epoch)

log = logging.getLogger(__name__)

# Flask-Login's own session keys: removed when a session is found to be dead.
_LOGIN_SESSION_KEYS = ("_user_id", "_fresh", "_id", "_remember", "_remember_seconds", EPOCH_SESSION_KEY)
# Per-request values that Flask-Login and Flask-JWT-Extended keep in ``g``.
_PER_REQUEST_G_KEYS = (
    "_login_user", "_jwt_extended_jwt", "_jwt_extended_jwt_header", "_jwt_extended_jwt_user", "user", "csrf_token",
)


def safe_next_url(target, default: str) -> str:
    """``target`` if it is a path on this site, else ``default`` (no open redirect).

    Only local absolute paths are accepted: no scheme, no host, no ``//`` or ``/\\``
    (browsers read a backslash as a slash), no control characters.
    """
    if not target or not isinstance(target, str):
        return default
    if not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    if any(ord(char) < 32 or ord(char) == 127 for char in target) or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target


def _login_refused_message(locked_until, now, disabled=False) -> str:
    if disabled:
        return gettext("This account has been deactivated. Please contact an administrator.")
    if locked_until is not None:
        minutes = max(1, math.ceil((locked_until - now).total_seconds() / 60))
        return gettext(
            "Too many failed logins. Login is blocked for %(minutes)d minutes; try again later "
            "or ask an administrator.",
            minutes=minutes,
        )
    return gettext("Wrong username or password.")


class AuthDBView(FabAuthDBView):
    """Login with lockout messages and safe ``next``; logout as a CSRF-protected POST.

    The class keeps FAB's name, so the endpoints stay ``AuthDBView.login`` and ``AuthDBView.logout``.
    """

    logout_template = "security/logout.html"

    @expose("/login/", methods=["GET", "POST"])
    @no_cache
    def login(self):
        index = self.appbuilder.get_url_for_index
        next_url = safe_next_url(request.args.get("next"), index)
        if g.user is not None and g.user.is_authenticated:
            return redirect(next_url)
        form = LoginForm_db()
        if form.validate_on_submit():
            sm = self.appbuilder.sm
            user = sm.auth_user_db(form.username.data, form.password.data)
            if not user:
                _status, message = sm.login_refusal()
                flash(message, "warning")
                return redirect(self.appbuilder.get_url_for_login_with(next_url))
            login_user(user, remember=False)
            if password_change.required(user):
                flash(password_change.notice(), "warning")
                return redirect(password_change.change_form_url())
            return redirect(next_url)
        return self.render_template(self.login_template, title=self.title, form=form, appbuilder=self.appbuilder)

    @expose("/logout/", methods=["GET", "POST"])
    @no_cache
    def logout(self):
        """GET shows a confirmation form; POST (with the CSRF token) ends every session of the user."""
        user = self._get_authenticated_user()
        if user is None:
            return redirect(self.appbuilder.get_url_for_login)
        if request.method == "GET":
            return self.render_template(self.logout_template, title=gettext("Log out"), appbuilder=self.appbuilder)
        end_all_sessions(user.id)
        logout_user()
        session.pop(EPOCH_SESSION_KEY, None)
        self.appbuilder.sm.on_user_logout(user)
        flash(gettext("You have logged out."), "info")
        return redirect(current_app.config.get("LOGOUT_REDIRECT_URL", self.appbuilder.get_url_for_login))


class SecurityApi(FabSecurityApi):
    """``/api/v1/security/login|refresh|logout`` with lockout, epochs and translated answers."""

    @expose("/login", methods=["POST"])
    @safe
    def login(self):
        """Log in with username and password; returns an access (and refresh) token."""
        body = request.get_json(silent=True) if request.is_json else None
        if not isinstance(body, dict):
            return self.response_400(message=gettext("The request body must be JSON."))
        if body.get("provider") != API_SECURITY_PROVIDER_DB:
            return self.response_400(message=gettext("Unsupported login provider."))
        try:
            payload = login_post.load(body)
        except ValidationError as error:
            from ..i18n import translate_messages

            return self.response_400(message=translate_messages(error.messages))
        sm = self.appbuilder.sm
        user = sm.auth_user_db(payload["username"], payload["password"])
        if not user:
            status, message = sm.login_refusal()
            return self.response(status, message=message)
        if password_change.required(user):
            return self.response(403, message=password_change.api_refusal())
        result = {API_SECURITY_ACCESS_TOKEN_KEY: create_access_token(identity=str(user.id), fresh=True)}
        if payload.get("refresh"):
            result[API_SECURITY_REFRESH_TOKEN_KEY] = create_refresh_token(identity=str(user.id))
        return self.response(200, **result)

    @expose("/logout", methods=["POST"])
    @jwt_required()
    @safe
    def logout(self):
        """Revoke every token and web session of the caller."""
        end_all_sessions(int(get_jwt_identity()))
        return self.response(200, message=gettext("You have logged out."))


def _without_views() -> bool:
    """Whether this is the scheduled jobs' application (``jobs.py``, ``create_app(views=False)``),
    which registers no views."""
    return not current_app.config.get("FAB_ADD_SECURITY_VIEWS", True)


def _refuse_without_views(command):
    """FAB's commands that remove the permissions of views they do not find would remove nearly all
    of them on the scheduled jobs' application."""
    if _without_views():
        raise click.ClickException(f"`flask fab {command}` needs the application's views: run it with "
                                   "`flask --app run`, not `--app jobs`")


class ComplaintSecurityManager(SecurityManager):
    """FAB's SQLAlchemy security manager with this application's controls."""

    authdbview = AuthDBView
    resetmypasswordview = ResetMyPasswordView
    resetpasswordview = ResetPasswordView
    userdbmodelview = UserDBModelView
    rolemodelview = RoleModelView
    groupmodelview = UserGroupModelView
    security_api = SecurityApi
    user_api = UserApi
    role_api = RoleApi
    group_api = GroupApi
    permission_api = PermissionApi
    view_menu_api = ViewMenuApi
    permission_view_menu_api = PermissionViewMenuApi
    # FAB's login-count chart answers 500 to a non-numeric group_by; nobody needs it here.
    userstatschartview = None

    def __init__(self, appbuilder):
        config = current_app.config
        config.setdefault("LOGIN_LOCKOUT_ENABLED", True)
        config.setdefault("LOGIN_LOCKOUT_MAX_FAILURES", 5)
        config.setdefault("LOGIN_LOCKOUT_WINDOW", 15)
        config.setdefault("LOGIN_LOCKOUT_DURATION", 15)
        super().__init__(appbuilder)
        self.lockout = LockoutStore(LockoutPolicy.from_config(config))
        self.clock = clock.utc_now  # replaceable in tests of the lockout
        self._init_jwt_callbacks()
        quiet_refusals()

    # ------------------------------------------------------------------ rate limit

    @property
    def is_auth_limited(self) -> bool:
        """FAB's blueprint-wide limit is replaced by the per-endpoint limits below."""
        return False

    def security_cleanup(self, baseviews, menus):
        _refuse_without_views("security-cleanup")
        return super().security_cleanup(baseviews, menus)

    def security_converge(self, baseviews, menus, dry=False):
        _refuse_without_views("security-converge")
        return super().security_converge(baseviews, menus, dry)

    def register_views(self):
        super().register_views()
        if _without_views():
            return  # no login page to limit
        # FAB's raw role editing stays, for experts, under its own name (roles by capability: web/roles.py).
        from flask_babel import lazy_gettext

        raw_roles = self.appbuilder.menu.find("List Roles")
        if raw_roles is not None:
            raw_roles.label = lazy_gettext("Raw role permissions (experts)")
        if not current_app.config.get("AUTH_RATE_LIMITED", False):
            return
        rate = current_app.config.get("AUTH_RATE_LIMIT", "10 per 1 minute")
        # Flask-Limiter enforces a decorated limit when the wrapped function runs, so the
        # registered view functions themselves are replaced by their limited versions.
        for endpoint in (f"{AuthDBView.__name__}.login", f"{SecurityApi.__name__}.login"):
            view = current_app.view_functions[endpoint]
            current_app.view_functions[endpoint] = self.limiter.limit(
                rate, methods=["POST"], error_message=_rate_limit_message
            )(view)

    # ------------------------------------------------------------------ login and lockout

    def auth_user_db(self, username, password):
        """FAB's check, refused while the (account, address) pair is locked; failures counted."""
        state = request_cache()
        enabled = current_app.config.get("LOGIN_LOCKOUT_ENABLED", True)
        address = request.remote_addr if has_request_context() else "cli"
        now = self.clock()
        state["login_now"] = now
        key = self.lockout_key(username) if enabled else None
        if enabled:
            locked_until = self.lockout.locked_until(key, address, now)
            if locked_until is not None:
                log.warning("Login refused: locked (address %s)", address)
                state["login_locked_until"] = locked_until
                return None
        user = super().auth_user_db(username, password)
        if user is None:
            if self._deactivated_with_right_password(username, password):
                # Issue 20: told so, not "wrong password" — only to whoever knows the password;
                # not a failed guess, so not counted.
                log.info("Login refused: account deactivated (address %s)", address)
                state["login_disabled"] = True
                return None
            if enabled:
                state["login_locked_until"] = self.lockout.record_failure(key, address, now)
            return None
        if enabled:
            self.lockout.record_success(key, address)
        ensure_epoch(user.id)
        return user

    def _deactivated_with_right_password(self, typed, password) -> bool:
        """Whether a refused login named a deactivated account with its right password.

        Every refused login runs the same look-ups (username, then e-mail address) and one
        password hash check — the account's own for a deactivated account, FAB's fake hash for
        any other — so an unknown name, a wrong password and a deactivated account cost the
        same; only the right password of a deactivated account is told that it is deactivated.
        """
        typed = typed if isinstance(typed, str) else ""
        by_username = self.find_user(username=typed) if typed else None
        by_email = self.find_user(email=typed) if typed else None
        user = by_username or by_email
        if user is not None and not user.is_active and user.password and not is_null_password(password):
            return check_password_hash(user.password, password)
        check_password_hash(current_app.config["AUTH_DB_FAKE_PASSWORD_HASH_CHECK"], "password")
        return False

    def lockout_key(self, typed) -> str:
        """The lockout key of a typed login name: its account, resolved as FAB's login resolves
        it (username — case-insensitive with ``AUTH_USERNAME_CI`` — else e-mail address), or
        the normalised text when it names no account.

        Both look-ups run for every name, known or not, so resolving costs the same statements
        whether or not the account exists (FAB's own check balances them the same way).
        """
        typed = typed if isinstance(typed, str) else ""
        if not typed:
            return name_key(typed)
        by_username = self.find_user(username=typed)
        by_email = self.find_user(email=typed)
        user = by_username or by_email
        return account_key(user.id) if user is not None else name_key(typed)

    def check_own_password(self, user, password: str):
        """None when ``password`` is ``user``'s current password, else the translated refusal.

        For the own-password form (``own_password.py``): a wrong password counts as a failed
        login of the account at this address, and while that pair is locked every attempt is
        refused, so the form is no way around the lockout; the right one clears the failures,
        as a login does.
        """
        enabled = current_app.config.get("LOGIN_LOCKOUT_ENABLED", True)
        address = request.remote_addr if has_request_context() else "cli"
        now = self.clock()
        key = account_key(user.id)
        if enabled:
            locked_until = self.lockout.locked_until(key, address, now)
            if locked_until is not None:
                return _login_refused_message(locked_until, now)
        if not is_null_password(password) and user.password and check_password_hash(user.password, password):
            if enabled:
                self.lockout.record_success(key, address)
            return None
        log.info("Own password change refused: wrong current password (user %s)", user.id)
        if enabled:
            locked_until = self.lockout.record_failure(key, address, now)
            if locked_until is not None:
                return _login_refused_message(locked_until, now)
        return gettext("The current password is wrong.")

    def login_refusal(self):
        """(HTTP status, translated message) for the refused login of this request."""
        state = request_cache()
        locked_until = state.get("login_locked_until")
        message = _login_refused_message(locked_until, state.get("login_now") or self.clock(),
                                         disabled=bool(state.get("login_disabled")))
        return (429 if locked_until is not None else 401), message

    # ------------------------------------------------------------------ sessions and tokens

    def before_request(self):
        """Start each request without another request's user, then resolve the user afresh."""
        for key in _PER_REQUEST_G_KEYS:
            g.pop(key, None)
        g.user = current_user

    def get_user_by_id(self, pk):
        """The user with their roles, groups and staff record in one statement (FAB lazy-loads
        roles and groups on every request's first permission check, and the scope rule reads the
        staff record: three more statements per page); the user's session epoch comes with them
        (the request's session check: one more)."""
        pk = row_id(pk)  # FAB passes form and URL values as text
        if pk is None:
            return None
        model = self.user_model
        query = (
            select(model, SessionEpoch.epoch)
            .outerjoin(SessionEpoch, SessionEpoch.user_id == model.id)
            .where(model.id == pk)
            .options(joinedload(model.roles), joinedload(model.groups), joinedload(model.staff_records))
        )
        row = self.session.execute(query).unique().one_or_none()
        if row is None:
            return None
        user, epoch = row
        remember_epoch(user.id, epoch)
        return user

    def load_user(self, pk):
        """Session user: active, and the cookie carries the user's current epoch; else logged out.

        Flask-Login calls this for the session cookie and for its remember cookie alike. A
        cookie without an epoch, or a user without an epoch row (never logged in), is refused:
        only a real login writes the epoch into the session (``sessions._remember_epoch_in_session``),
        and this application never issues remember cookies, so a refused one is also deleted.
        """
        user = super().load_user(pk)
        if user is None or not has_request_context():
            return user
        if not epoch_matches(session.get(EPOCH_SESSION_KEY), current_epoch(user.id)):
            for key in _LOGIN_SESSION_KEYS:
                session.pop(key, None)
            if current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
                session["_remember"] = "clear"  # Flask-Login deletes the cookie after the request
            flash(gettext("Your session has ended. Please log in again."), "warning")
            return None
        return user

    def load_user_jwt(self, _jwt_header, jwt_data):
        """Token user: must exist and be active (the epoch is checked as a revocation)."""
        try:
            user = self.get_user_by_id(int(jwt_data["sub"]))
        except (KeyError, TypeError, ValueError):
            return None
        if user is not None and user.is_active:
            g.user = user
            return user
        return None

    def _init_jwt_callbacks(self) -> None:
        jwt = self.jwt_manager

        @jwt.additional_claims_loader
        def _epoch_claim(identity):
            return {EPOCH_CLAIM: ensure_epoch(int(identity))}

        @jwt.token_in_blocklist_loader
        def _revoked(_header, payload):
            try:
                user_id = int(payload["sub"])
            except (KeyError, TypeError, ValueError):
                return True
            return not epoch_matches(payload.get(EPOCH_CLAIM), current_epoch(user_id))

        def _answer(message_factory, status=401):
            def callback(*_args):
                return jsonify(message=message_factory()), status

            return callback

        jwt.unauthorized_loader(_answer(lambda: gettext("Please log in: the request carries no valid token.")))
        jwt.invalid_token_loader(_answer(lambda: gettext("The token is not valid. Please log in again.")))
        jwt.expired_token_loader(_answer(lambda: gettext("The token has expired. Please log in again.")))
        jwt.revoked_token_loader(_answer(lambda: gettext("The token is no longer valid. Please log in again.")))
        jwt.user_lookup_error_loader(_answer(lambda: gettext("The token is no longer valid. Please log in again.")))
        jwt.needs_fresh_token_loader(_answer(lambda: gettext("Please log in again to do this.")))
        jwt.token_verification_failed_loader(_answer(lambda: gettext("The token is not valid. Please log in again.")))

    # ------------------------------------------------------------------ passwords

    def _check_password_policy(self, password: str) -> None:
        """Apply FAB_PASSWORD_COMPLEXITY_VALIDATOR; a CLI command fails with its message."""
        config = current_app.config
        validator = config.get("FAB_PASSWORD_COMPLEXITY_VALIDATOR")
        if not config.get("FAB_PASSWORD_COMPLEXITY_ENABLED", False) or validator is None:
            return
        try:
            validator(password)
        except PasswordComplexityValidationError as error:
            if click.get_current_context(silent=True) is not None and not has_request_context():
                raise click.ClickException(str(error))
            raise

    def add_user(self, username, first_name, last_name, email, role=None, password="", hashed_password="", groups=None, commit=True):  # nosec B107
        """FAB's add_user, refusing a clear-text password that breaks the policy (CLI create-*)."""
        if password and not hashed_password:
            self._check_password_policy(password)
        return super().add_user(
            username, first_name, last_name, email, role, password=password,
            hashed_password=hashed_password, groups=groups, commit=commit,
        )

    def reset_password(self, userid, password, must_change=None):
        """Policy-checked password change; the epoch changes, so other sessions and tokens end.

        Changing one's own password clears a required change (issue 20); an administrator's reset
        of another user's password sets or clears it as ``must_change`` says (None: unchanged).

        The user's own browser session (changing their own password) is kept alive.
        """
        self._check_password_policy(password)
        own = has_request_context() and current_user.is_authenticated and str(current_user.id) == str(userid)
        user = self.get_user_by_id(userid)
        if user is not None:
            if own:
                user.must_change_password = False  # the change an administrator asked for is done
            elif must_change is not None:
                user.must_change_password = must_change
        super().reset_password(userid, password)
        if own:
            session[EPOCH_SESSION_KEY] = current_epoch(int(userid))

    # ------------------------------------------------------------------ permissions, per request

    def _permission_pairs(self, roles) -> frozenset:
        """(permission, view) pairs of the database roles ``roles``: one query per request."""
        role_ids = tuple(sorted({role.id for role in roles if role.name not in self.builtin_roles}))
        if not role_ids:
            return frozenset()
        memo = request_cache().setdefault("permissions", {})
        if role_ids not in memo:
            query = (
                select(Permission.name, ViewMenu.name)
                .select_from(PermissionView)
                .join(Permission, PermissionView.permission_id == Permission.id)
                .join(ViewMenu, PermissionView.view_menu_id == ViewMenu.id)
                .join(assoc_permissionview_role, assoc_permissionview_role.c.permission_view_id == PermissionView.id)
                .where(assoc_permissionview_role.c.role_id.in_(role_ids))
            )
            memo[role_ids] = frozenset(tuple(row) for row in self.session.execute(query))
        return memo[role_ids]

    def role_permission_pairs(self, roles) -> frozenset:
        """(permission, view) pairs granted by ``roles`` (cached per request)."""
        return self._permission_pairs(roles)

    def _public_roles(self):
        memo = request_cache()
        if "public_roles" not in memo:
            role = self.get_public_role()
            memo["public_roles"] = [role] if role is not None else []
        return memo["public_roles"]

    def get_user_roles(self, user):
        if not user.is_authenticated:
            return self._public_roles()
        return super().get_user_roles(user)

    def is_item_public(self, permission_name, view_name):
        return (permission_name, view_name) in self._permission_pairs(self._public_roles())

    def _has_view_access(self, user, permission_name, view_name) -> bool:
        roles = self.get_user_roles(user)
        if any(
            role.name in self.builtin_roles and self._has_access_builtin_roles(role, permission_name, view_name)
            for role in roles
        ):
            return True
        return (permission_name, view_name) in self._permission_pairs(roles)

    def _get_user_permission_view_menus(self, user, permission_name, view_menus_name):
        roles = self._public_roles() if user is None else self.get_user_roles(user)
        result = {
            name
            for role in roles
            if role.name in self.builtin_roles
            for name in (view_menus_name or [])
            if self._has_access_builtin_roles(role, permission_name, name)
        }
        result.update(view for permission, view in self._permission_pairs(roles) if permission == permission_name)
        return result


def _rate_limit_message() -> str:
    return gettext("Too many login attempts from this address. Please wait a minute and try again.")
