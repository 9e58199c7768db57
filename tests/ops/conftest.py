"""Fixtures for operations tests: a database several connections share, a live HTTP server.

``app`` is overridden here: the suite's in-memory SQLite copy lives on one connection, while
these tests need real parallelism. It is a file copy of the template (WAL mode) on SQLite,
and a database created from the template on PostgreSQL; ``org``, ``users`` and ``factory``
from tests/conftest.py build on it as usual.
"""
import json
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from config import TestConfig
from tests.databases import app_for_url

# Bench mode: the application loads the bench plugin (bench/plugin/, config BENCH_PLUGIN).
BenchTestConfig = type("BenchTestConfig", (TestConfig,), {"BENCH_MODE": True})


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: takes seconds (subprocesses, servers); deselect with -m 'not slow'")


@pytest.fixture
def app(template_db, tmp_path):
    """An application over a database that threads, servers and subprocesses can share."""
    with template_db.clone_url(str(tmp_path)) as url, app_for_url(url) as application:
        yield application


@pytest.fixture
def bench_app(template_db, tmp_path):
    """As ``app``, built with BENCH_MODE on: the bench plugin's view, header and ``seed-bench``."""
    with template_db.clone_url(str(tmp_path)) as url, app_for_url(url, BenchTestConfig) as application:
        yield application


class LiveServer:
    """The app served by Werkzeug's threaded server on 127.0.0.1 (one thread per request)."""

    def __init__(self, application):
        self.server = make_server("127.0.0.1", 0, application, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)
        self.opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)

    def request(self, method, path, body=None, token=None, timeout=60):
        """(status, parsed JSON or text) of one request; never raises on an HTTP error status."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with self.opener.open(request, timeout=timeout) as response:
                status, raw, kind = response.status, response.read(), response.headers.get_content_type()
        except urllib.error.HTTPError as error:
            status, raw, kind = error.code, error.read(), error.headers.get_content_type()
        text = raw.decode("utf-8", "replace")
        return status, (json.loads(text) if kind == "application/json" and text else text)

    def token(self, username, password):
        status, body = self.request("POST", "/api/v1/security/login",
                                    {"username": username, "password": password, "provider": "db"})
        assert status == 200, body
        return body["access_token"]


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


def parallel(count, call):
    """Run ``call(i)`` in ``count`` threads released at the same moment; results in order."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def run(i):
        try:
            barrier.wait(30)
            results[i] = call(i)
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,), name=f"client-{i}") for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not errors, errors
    return results
