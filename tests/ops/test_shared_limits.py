"""Issue 22: the login rate limit's store. Production refuses an in-process store (memory://) when
more than one process serves; two application instances over one Redis count one brute force
together; a Redis that stops answering neither answers 500 nor lets the limit go (each process
counts in memory until Redis is back)."""
import secrets
import socket
import subprocess
import sys

import pytest

from config import Config, shared_state_refusal
from tests.conftest import Factory, web_login
from tests.ops.test_two_servers import REDIS_URL, needs_redis
from tests.servers import ROOT, production_env
from tests.web.test_auth_security import _client_at, app_with

PRODUCTION = {"PRODUCTION": True, "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://", "APP_SERVERS": 1}


@pytest.mark.parametrize("settings, environ, refused", [
    ({}, {}, False),  # one process: memory:// counts exactly
    ({}, {"COMPLAINTS_WORKERS": "4"}, True),
    ({"APP_SERVERS": 2}, {}, True),  # one worker on each of two app servers
    ({"RATELIMIT_STORAGE_URI": "redis://:pw@10.0.0.5:6379/0"}, {"COMPLAINTS_WORKERS": "4"}, False),
    ({"PRODUCTION": False}, {"COMPLAINTS_WORKERS": "4"}, False),  # development and tests
    ({"RATELIMIT_ENABLED": False}, {"COMPLAINTS_WORKERS": "4"}, False),  # no limit, nothing to share
    ({}, {"COMPLAINTS_WORKERS": "four"}, True),
])
def test_production_refuses_an_in_process_store_with_several_processes(settings, environ, refused):
    message = shared_state_refusal({**PRODUCTION, **settings}, environ)
    assert bool(message) == refused, message
    if refused and "four" not in environ.get("COMPLAINTS_WORKERS", ""):
        assert "RATELIMIT_STORAGE_URI" in message and "redis://" in message


def test_the_application_refuses_to_start_with_memory_and_several_workers(monkeypatch):
    from app import create_app

    monkeypatch.setenv("COMPLAINTS_WORKERS", "3")
    config = type("Production", (Config,), {"PRODUCTION": True, "RATELIMIT_ENABLED": True,
                                            "RATELIMIT_STORAGE_URI": "memory://", "SECRET_KEY": secrets.token_hex(32),
                                            "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with pytest.raises(RuntimeError, match="3 worker"):
        create_app(config)


def test_gunicorn_refuses_before_any_worker_starts(empty_database, tmp_path):
    env = production_env(empty_database, tmp_path, RATELIMIT_STORAGE_URI="memory://")
    done = subprocess.run([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "-w", "2", "-b",
                           "127.0.0.1:1", "app:create_app()"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    assert "Refusing to start" in done.stderr and "2 worker(s)" in done.stderr, done.stderr[-2000:]
    assert "Booting worker" not in done.stderr


def _limited_app(template_db, storage, prefix):
    return app_with(template_db, RATELIMIT_ENABLED=True, AUTH_RATE_LIMITED=True, AUTH_RATE_LIMIT="3 per 1 minute",
                    RATELIMIT_STORAGE_URI=storage, RATELIMIT_KEY_PREFIX=prefix)


@needs_redis
def test_two_instances_over_one_redis_count_one_brute_force(template_db):
    prefix = f"limits-{secrets.token_hex(4)}"
    with _limited_app(template_db, REDIS_URL, prefix) as first, _limited_app(template_db, REDIS_URL, prefix) as second:
        for app in (first, second):
            with app.app_context():
                Factory(app).user("CounterStaff", "counter")
        attempts = [(first, "10.0.0.1"), (second, "10.0.0.1"), (first, "10.0.0.1")]
        for app, address in attempts:
            assert web_login(_client_at(app, address), "counter", "Wrong#Pass123").status_code == 302
        # The fourth attempt, on either instance, is over the limit both counted together.
        assert web_login(_client_at(second, "10.0.0.1"), "counter", "Wrong#Pass123").status_code == 429
        assert web_login(_client_at(first, "10.0.0.1"), "counter", "Wrong#Pass123").status_code == 429
        assert web_login(_client_at(second, "10.0.0.2"), "counter", "Wrong#Pass123").status_code == 302


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens there


def test_an_unreachable_store_answers_no_500_and_still_limits(template_db, caplog):
    storage = f"redis://127.0.0.1:{_closed_port()}/0"
    with _limited_app(template_db, storage, "down") as app:
        with app.app_context():
            Factory(app).user("CounterStaff", "counter")
        statuses = [web_login(_client_at(app, "10.0.0.9"), "counter", "Wrong#Pass123").status_code
                    for _ in range(5)]
    assert statuses == [302, 302, 302, 429, 429], statuses
    assert "falling back to in-memory storage" in caplog.text
