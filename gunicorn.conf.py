"""Gunicorn settings for production (docs/deploy.md).

    gunicorn -c gunicorn.conf.py              # serves app:create_app() as configured below

Start-up writes nothing to the database (FAB_CREATE_DB and FAB_UPDATE_PERMS are off), so any
number of workers may start at once; run ``flask --app run deploy`` before starting them.
Each worker builds its own application and database pool after the fork (no preloading:
database connections must never be shared between processes). Every worker must see the same
secret key: ``SECRET_KEY`` in the environment, or the key file ``SECRET_KEY_FILE`` (default
``instance/secret_key``, see config.py); without one the workers refuse to start.
"""
import multiprocessing
import os

wsgi_app = "app:create_app()"

# nginx in front terminates TLS and proxies to this address (docs/deploy.md).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", str(min(8, multiprocessing.cpu_count() * 2 + 1))))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
preload_app = False

# Exports and reports can take a while; a worker stuck longer than this is restarted.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (bounded memory growth), not all at the same moment.
max_requests = 2000
max_requests_jitter = 200

# Only the local nginx may set X-Forwarded-*; the application trusts them as configured by
# TRUSTED_PROXY_COUNT (ProxyFix).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# No access log here: it would record query strings (search filters may carry names and phone
# numbers). The application writes one JSON line per request without them (app/ops/observability.py).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# Files the application creates (attachments, backups) are not readable by other users.
umask = 0o027


def on_starting(server):
    """Tell the workers how many of them serve (the effective count, after any ``-w``): with more
    than one, production refuses an in-process rate-limit store (config.shared_state_refusal)."""
    os.environ["COMPLAINTS_WORKERS"] = str(server.cfg.workers)
    from config import Config, shared_state_refusal

    settings = {name: getattr(Config, name) for name in
                ("PRODUCTION", "RATELIMIT_ENABLED", "RATELIMIT_STORAGE_URI", "APP_SERVERS")}
    refusal = shared_state_refusal(settings, os.environ)
    if refusal:  # refused before any worker starts; each worker's start-up would refuse it too
        server.log.error("Refusing to start: %s", refusal)
        raise SystemExit(1)
