"""Application configuration.

Every setting can be overridden by an environment variable; the defaults suit a developer's
machine. There is no built-in secret key: ``SECRET_KEY`` comes from the environment, else from
the key file ``SECRET_KEY_FILE`` (default ``instance/secret_key``, written once by
``make secret-key``, which ``make run``/``deploy``/``seed`` run). ``Config.validate`` refuses to
start without a key, and a production instance with a weak one.
"""
import hashlib
import os
from datetime import timedelta

from flask_appbuilder.const import AUTH_DB

BASE_DIR = os.path.abspath(os.path.dirname(__file__))
INSTANCE_DIR = os.path.join(BASE_DIR, "instance")
DEFAULT_SECRET_KEY_FILE = os.path.join(INSTANCE_DIR, "secret_key")
DEFAULT_IDENTITY_KEYS_FILE = os.path.join(INSTANCE_DIR, "identity_keys")
# A production key has at least this many characters, and this many distinct ones.
MIN_SECRET_KEY_LENGTH = 32
MIN_SECRET_KEY_DISTINCT = 10
# SHA-256 of keys that were published in this repository (the former built-in development
# key): production refuses them whatever their length.
_PUBLISHED_KEY_DIGESTS = frozenset({"67594e5568a7269b0b30c46577370c1daf7ff88f8050af9295a0c20a0886becd"})


def secret_key_file(path=None) -> str:
    """The key file's absolute path: ``path`` (or env ``SECRET_KEY_FILE``, else
    ``instance/secret_key``); a relative path is taken from the project directory."""
    path = path or os.environ.get("SECRET_KEY_FILE") or DEFAULT_SECRET_KEY_FILE
    return path if os.path.isabs(path) else os.path.join(BASE_DIR, path)


def identity_keys_file(path=None) -> str:
    """The identity keyring file's absolute path: ``path`` (or env ``IDENTITY_KEYS_FILE``, else
    ``instance/identity_keys``); a relative path is taken from the project directory."""
    path = path or os.environ.get("IDENTITY_KEYS_FILE") or DEFAULT_IDENTITY_KEYS_FILE
    return path if os.path.isabs(path) else os.path.join(BASE_DIR, path)


def identity_keyring(config: dict):
    """``(keyring, file)`` of the complainant identity keys (issue 24, ``app/crypto.py``):
    ``IDENTITY_KEYS`` (the configuration or the environment; ``file`` is then None) wins, else the
    file ``IDENTITY_KEYS_FILE``. RuntimeError when there is none or it is malformed; the message
    never shows a key."""
    from app.crypto import Keyring, KeyringError, read_keyring_file

    text = config.get("IDENTITY_KEYS") or os.environ.get("IDENTITY_KEYS") or None
    try:
        if text:
            return Keyring.parse(text, "IDENTITY_KEYS"), None
        path = identity_keys_file(config.get("IDENTITY_KEYS_FILE"))
        keyring = read_keyring_file(path)
    except KeyringError as error:
        raise RuntimeError(str(error)) from None
    if keyring is None:
        raise RuntimeError(
            f"No identity keys: the complainant's identity is stored encrypted and start-up needs its keys. "
            f"Set IDENTITY_KEYS or put a keyring into {path} (`make identity-keys` creates one; "
            f"IDENTITY_KEYS_FILE names another file; docs/security.md \"Identity encrypted at rest\")."
        )
    return keyring, path


def identity_keys_weakness(keyring) -> "str | None":
    """Why production must not use ``keyring``, or None: keys published in this repository (the
    test keyring) protect nothing."""
    from app.crypto import fingerprint

    published = {fingerprint(key) for key in (_TEST_KEYRING.index_key, *_TEST_KEYRING.keys.values())}
    if any(fingerprint(key) in published for key in (keyring.index_key, *keyring.keys.values())):
        return "a key of IDENTITY_KEYS is published in the source code (the test keyring)"
    return None


def read_secret_key_file(path: str):
    """The key stored in ``path`` (surrounding whitespace removed), or None if there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise RuntimeError(f"The secret key file {path} cannot be read ({type(error).__name__}).") from None


def secret_key_weakness(key: str):
    """Why ``key`` is too weak for production, or None. Never includes the key itself."""
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"it is shorter than {MIN_SECRET_KEY_LENGTH} characters"
    if len(set(key)) < MIN_SECRET_KEY_DISTINCT:
        return f"it has fewer than {MIN_SECRET_KEY_DISTINCT} distinct characters"
    published = {hashlib.sha256(TestConfig.SECRET_KEY.encode()).hexdigest(), *_PUBLISHED_KEY_DIGESTS}
    if hashlib.sha256(key.encode()).hexdigest() in published:
        return "it is published in the source code"
    return None


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    """Runtime configuration read from the environment."""

    APP_NAME = "客户投诉管理系统"
    APP_ICON = None
    APP_THEME = ""

    # Signs sessions, remember cookies, CSRF tokens and JWTs. No default: the environment, else
    # the key file (read by ``validate`` at start-up, never logged).
    SECRET_KEY = os.environ.get("SECRET_KEY") or None
    SECRET_KEY_FILE = secret_key_file()
    PRODUCTION = _bool("PRODUCTION", os.environ.get("FLASK_ENV") == "production")
    # bench/run.py only, never in production: loads the plugin BENCH_PLUGIN names (bench/plugin/:
    # the stock view, the X-SQL-Statements header, `flask seed-bench`). Off: none of it is imported.
    BENCH_MODE = _bool("BENCH_MODE", False)
    BENCH_PLUGIN = "bench.plugin"

    # The complainant's identity encrypted at rest (issue 24, app/crypto.py): the keyring text, else
    # the keyring file (read at start-up and re-read when a rotation adds a key; never logged).
    # IDENTITY_ENCRYPTION=0 writes plain text (development and the bench's comparison only;
    # production refuses it); the keys are still needed for reading and for the blind indexes.
    IDENTITY_KEYS = os.environ.get("IDENTITY_KEYS") or None
    IDENTITY_KEYS_FILE = identity_keys_file()
    IDENTITY_ENCRYPTION = _bool("IDENTITY_ENCRYPTION", True)

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", "sqlite:///" + os.path.join(INSTANCE_DIR, "complaints.db")
    )
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Never echo bound parameters (complainant data) into logs or error messages.
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True, "pool_pre_ping": True}

    # Start-up never writes to the database by itself: `flask --app run deploy`
    # (migrate + sync-roles) does it once per deploy. Development may opt in.
    FAB_CREATE_DB = False
    FAB_UPDATE_PERMS = False

    AUTH_TYPE = AUTH_DB
    AUTH_ROLE_ADMIN = "Admin"
    AUTH_ROLE_PUBLIC = "Public"
    AUTH_USER_REGISTRATION = False
    FAB_ADD_SECURITY_API = True
    FAB_PASSWORD_COMPLEXITY_ENABLED = True
    FAB_API_SWAGGER_UI = False  # its page loads assets from a CDN; GET /api/v1/_openapi serves the document
    FAB_OPENAPI_SERVERS = [{"url": "/"}]  # relative: the document never echoes the request's Host header
    FAB_API_MAX_PAGE_SIZE = 100
    FAB_SAFE_REDIRECT_HOSTS = [
        h.strip() for h in os.environ.get("SAFE_REDIRECT_HOSTS", "127.0.0.1,localhost").split(",") if h.strip()
    ]
    FAB_INDEX_VIEW = "app.web.home.HomeView"
    # Lockout, session epochs, token-only security APIs, per-request permission cache.
    FAB_SECURITY_MANAGER_CLASS = "app.security.manager.ComplaintSecurityManager"
    FAB_API_KEY_ENABLED = False
    FAB_API_SHOW_STACKTRACE = False

    # §14: who decides an appeal — the superior of the unit that decided: the unit codes of the body
    # for a branch's or cooperative's decision and for the union's (or a department's) own.
    APPEAL_BODY_BRANCH_LEVEL = os.environ.get("APPEAL_BODY_BRANCH_LEVEL", "LS-JJ")
    APPEAL_BODY_UNION_LEVEL = os.environ.get("APPEAL_BODY_UNION_LEVEL", "SL")
    # §17, issue 21: the units where `flask deploy` creates the responsibility-ruling committee and
    # the higher ruling body (上一级责任认定部门) when they do not exist yet (unit codes). Read at
    # that first deploy only: afterwards the bodies are records the discipline office maintains.
    COMMITTEE_UNIT = os.environ.get("COMMITTEE_UNIT", "LS")
    RERULING_BODY_UNIT = os.environ.get("RERULING_BODY_UNIT", "SL")
    # §13: an extension reaches at most this many working days beyond the deadline it extends.
    EXTENSION_MAX_WORKING_DAYS = int(os.environ.get("EXTENSION_MAX_WORKING_DAYS", "10"))
    # The earliest time of receipt a complaint may be registered with (a back-dated entry).
    RECEIVED_AT_FLOOR = os.environ.get("RECEIVED_AT_FLOOR", "2000-01-01")
    # Advisory clock: the national calendar-day ceiling (15 days, 30 when extended); the case
    # page and the to-do list warn when the internal working-day deadline falls after it.
    REGULATORY_CEILING_ENABLED = os.environ.get("REGULATORY_CEILING_ENABLED", "1") not in ("0", "false", "no")
    REGULATORY_CEILING_DAYS = int(os.environ.get("REGULATORY_CEILING_DAYS", "15"))
    REGULATORY_CEILING_EXTENDED_DAYS = int(os.environ.get("REGULATORY_CEILING_EXTENDED_DAYS", "30"))
    # "Due soon" in to-do lists and reminders: within this many working days.
    DUE_SOON_WORKING_DAYS = int(os.environ.get("DUE_SOON_WORKING_DAYS", "2"))
    # E-mail of notifications and reminders (issue 23, Flask-Mailman): off unless MAIL_SERVER is set.
    MAIL_SERVER = os.environ.get("MAIL_SERVER")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "0") in ("1", "true", "yes")
    MAIL_USE_SSL = os.environ.get("MAIL_USE_SSL", "0") in ("1", "true", "yes")
    MAIL_TIMEOUT = int(os.environ.get("MAIL_TIMEOUT", "10"))  # seconds per SMTP operation
    MAIL_BACKEND = "smtp"  # Flask-Mailman would pick its in-memory backend in testing mode
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_FROM = os.environ.get("MAIL_FROM", "complaints@localhost")
    # Reports: the longest period a report or export may cover, in years.
    REPORT_MAX_YEARS = int(os.environ.get("REPORT_MAX_YEARS", "3"))
    # The most cases one Excel export may list; a larger export is refused (narrow the period or unit).
    EXPORT_MAX_CASES = int(os.environ.get("EXPORT_MAX_CASES", "300000"))
    # §17 sets no period for requesting a re-ruling; calendar days after the ruling.
    RERULING_WINDOW_DAYS = int(os.environ.get("RERULING_WINDOW_DAYS", "15"))
    # FAB's generic file columns (unused; its download routes need the setting to answer 404).
    UPLOAD_FOLDER = os.path.join(INSTANCE_DIR, "fab-uploads")
    # Evidence attachments live here, outside static/.
    UPLOAD_DIR = os.environ.get("UPLOAD_DIR", os.path.join(INSTANCE_DIR, "attachments"))
    MAX_ATTACHMENT_BYTES = int(os.environ.get("MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024)))
    MAX_CONTENT_LENGTH = MAX_ATTACHMENT_BYTES + 1024 * 1024
    # Operations (docs/deploy.md): where `flask backup` and `flask archive` write by default;
    # closed cases are archived no earlier than this many years after closing (at least 3).
    BACKUP_DIR = os.environ.get("BACKUP_DIR", os.path.join(INSTANCE_DIR, "backups"))
    ARCHIVE_DIR = os.environ.get("ARCHIVE_DIR", os.path.join(INSTANCE_DIR, "archive"))
    ARCHIVE_RETENTION_YEARS = max(3, int(os.environ.get("ARCHIVE_RETENTION_YEARS", "3")))

    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    # Must be absolute: a relative path would resolve inside app/.
    BABEL_TRANSLATION_DIRECTORIES = os.path.join(BASE_DIR, "translations")
    LANGUAGES = {
        "zh": {"flag": "cn", "name": "简体中文"},
        "en": {"flag": "gb", "name": "English"},
    }

    # HTTPS=1 when served over TLS: Secure cookies and HSTS.
    HTTPS = _bool("HTTPS", False)
    HSTS_MAX_AGE = int(os.environ.get("HSTS_MAX_AGE", "31536000"))
    # Number of reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
    REFERRER_POLICY = "same-origin"
    # Host names this instance answers to (comma-separated); any other Host header gets 400.
    TRUSTED_HOSTS = [h.strip() for h in os.environ.get("TRUSTED_HOSTS", "").split(",") if h.strip()] or None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = HTTPS
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
    JWT_ACCESS_TOKEN_EXPIRES = timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "15")))
    JWT_REFRESH_TOKEN_EXPIRES = timedelta(hours=int(os.environ.get("JWT_REFRESH_HOURS", "12")))

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None

    RATELIMIT_ENABLED = _bool("RATELIMIT_ENABLED", True)
    # Where the login rate limit counts (issue 22). memory:// counts in each worker process apart,
    # so it is refused in production when more than one process serves (``shared_state_refusal``);
    # several workers or app servers share Redis: redis://:<password>@<host>:6379/0.
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # One Redis may serve several instances (production, training): each counts under its own prefix.
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "complaints")
    # A Redis that does not answer within a second must not hold up a login ...
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 1, "socket_timeout": 1}
    # ... nor answer 500: while it is unreachable each process counts in memory (the per-account
    # lockout, in the database, still holds), and Redis is used again once it answers.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    # Processes serving this database besides this one's workers: gunicorn.conf.py sets
    # COMPLAINTS_WORKERS to its worker count; APP_SERVERS counts the app servers behind the load
    # balancer (docs/deploy.md §"Two app servers").
    APP_SERVERS = int(os.environ.get("APP_SERVERS", "1") or 1)
    AUTH_RATE_LIMITED = RATELIMIT_ENABLED
    AUTH_RATE_LIMIT = os.environ.get("AUTH_RATE_LIMIT", "10 per 1 minute")
    # Temporary lockout per (username, client address): failures within the window (minutes)
    # lock the pair for the duration (minutes). See docs/security.md.
    LOGIN_LOCKOUT_ENABLED = _bool("LOGIN_LOCKOUT_ENABLED", True)
    LOGIN_LOCKOUT_MAX_FAILURES = int(os.environ.get("LOGIN_LOCKOUT_MAX_FAILURES", "5"))
    LOGIN_LOCKOUT_WINDOW = int(os.environ.get("LOGIN_LOCKOUT_WINDOW_MINUTES", "15"))
    LOGIN_LOCKOUT_DURATION = int(os.environ.get("LOGIN_LOCKOUT_DURATION_MINUTES", "15"))

    @classmethod
    def validate(cls, config: dict) -> None:
        """Load the secret key and refuse unsafe settings.

        ``SECRET_KEY`` (the configuration or the environment) wins; else the key file
        ``SECRET_KEY_FILE`` is read. Start-up is refused when there is no key at all, in any
        mode, and in production when the key is weak (short, repetitive or published).
        """
        key = config.get("SECRET_KEY") or os.environ.get("SECRET_KEY") or None
        if not key:
            path = secret_key_file(config.get("SECRET_KEY_FILE"))
            key = read_secret_key_file(path)
            if not key:
                raise RuntimeError(
                    f"No SECRET_KEY: set the SECRET_KEY environment variable or put a random key into "
                    f"{path} (`make secret-key` creates one; SECRET_KEY_FILE names another file)."
                )
        config["SECRET_KEY"] = key
        refusal = shared_state_refusal(config, os.environ)
        if refusal:
            raise RuntimeError(refusal)
        keyring, _ = identity_keyring(config)
        if config.get("PRODUCTION"):
            if not config.get("IDENTITY_ENCRYPTION"):
                raise RuntimeError("IDENTITY_ENCRYPTION is off: production stores the complainant's identity encrypted.")
            weakness = identity_keys_weakness(keyring)
            if weakness:
                raise RuntimeError(f"The identity keys are not fit for production: {weakness}. "
                                   f"Create a keyring with `python3 scripts/identity_keys.py`.")
        if config.get("PRODUCTION"):
            weakness = secret_key_weakness(key)
            if weakness:
                raise RuntimeError(
                    f"SECRET_KEY is too weak for production: {weakness}. Use a random key of at least "
                    f"{MIN_SECRET_KEY_LENGTH} characters, e.g. python3 -c 'import secrets; print(secrets.token_hex(32))'."
                )


def shared_state_refusal(config, environ) -> "str | None":
    """Why production must not start with this rate-limit store, or None (issue 22): with more than
    one serving process (gunicorn workers × app servers) an in-process store (memory://) would let
    each process count its own share of a brute force."""
    if not config.get("PRODUCTION") or not config.get("RATELIMIT_ENABLED"):
        return None
    storage = str(config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if not storage.startswith("memory://"):
        return None
    try:
        workers = max(1, int(environ.get("COMPLAINTS_WORKERS") or 1))
        servers = max(1, int(config.get("APP_SERVERS") or 1))
    except (TypeError, ValueError):
        return "COMPLAINTS_WORKERS and APP_SERVERS must be whole numbers."
    if workers * servers <= 1:
        return None
    return (f"RATELIMIT_STORAGE_URI is memory:// but {workers} worker(s) on {servers} app server(s) serve: "
            f"each process would count login attempts apart. Set RATELIMIT_STORAGE_URI=redis://:<password>@<host>:6379/0 "
            f"(a Redis all app servers share; docs/deploy.md), or serve with one worker.")


class DevConfig(Config):
    """Local development: `make run` migrates explicitly, nothing created at start-up."""


# The tests' identity keyring: published here, so production refuses it (identity_keys_weakness).
TEST_IDENTITY_KEYS = ("index:U4lKq0mH2c1B3d9yQ1wq8VnYcT2s6iJf0aRkZbXgE5o\n"
                      "ktest1:bm90LXNlY3JldC1vbmx5LWZvci10ZXN0cy0wMTIzNDU\n")


class TestConfig(Config):
    """Tests: a fresh database per test (see tests/conftest.py); CSRF stays on."""

    TESTING = True
    SECRET_KEY = "test-secret-key-0123456789abcdef0123456789"
    IDENTITY_KEYS = TEST_IDENTITY_KEYS
    IDENTITY_ENCRYPTION = True
    PRODUCTION = False
    SQLALCHEMY_DATABASE_URI = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    RATELIMIT_ENABLED = False
    AUTH_RATE_LIMITED = False
    # Tests only: a cheap hash keeps per-test user creation fast (production keeps scrypt).
    FAB_PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
    # The test organisation (tests/conftest.py) uses these codes.
    APPEAL_BODY_BRANCH_LEVEL = "JJ"
    APPEAL_BODY_UNION_LEVEL = "LS"
    RERULING_BODY_UNIT = "LS"


def _test_keyring():
    from app.crypto import Keyring

    return Keyring.parse(TEST_IDENTITY_KEYS, "TEST_IDENTITY_KEYS")


_TEST_KEYRING = _test_keyring()
