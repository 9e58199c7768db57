"""The bench plugin (bench/plugin/): loaded only with BENCH_MODE, off by default.

With BENCH_MODE off nothing of bench/ is imported: the stock view does not exist, no response
carries the statement count and there is no ``flask seed-bench``. With it on (and the
permissions synced, as ``BENCH_MODE=1 flask --app run deploy`` does for bench/run.py) the Admin
sees FAB's stock list of complaints, every response says how many SQL statements it took, and
nothing else changes: the stock view is read-only. bench/run.py's own way of starting the
commands (``flask --app run`` from the repository root with its environment) finds the plugin.
"""
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app import create_app
from app.extensions import db
from app.security import roles as r
from app.security.sync import sync_roles
from bench.plugin.support import HEADER, PERMISSION_NAME
from config import TestConfig
from tests.conftest import web_login
from tests.databases import release

ROOT = Path(__file__).resolve().parents[2]


def test_bench_mode_is_off_by_default(client, users, make_complaint):
    make_complaint(users[r.COUNTER_STAFF])
    assert web_login(client, "admin").status_code == 302
    assert client.get("/benchstock/list/").status_code == 404
    response = client.get("/complaints/list/")
    assert response.status_code == 200
    assert HEADER not in response.headers
    assert HEADER not in client.get("/health").headers
    assert db.session.execute(
        db.text("SELECT count(*) FROM ab_view_menu WHERE name = :name"), {"name": PERMISSION_NAME}
    ).scalar() == 0


def test_bench_mode_off_imports_nothing_of_bench(monkeypatch):
    for name in [name for name in sys.modules if name == "bench" or name.startswith("bench.")]:
        monkeypatch.delitem(sys.modules, name)  # put back afterwards
    application = create_app(TestConfig)
    try:
        assert not application.config["BENCH_MODE"]
        assert [name for name in sys.modules if name == "bench" or name.startswith("bench.")] == []
        result = application.test_cli_runner().invoke(args=["seed-bench", "--help"])
        assert result.exit_code != 0 and "No such command" in result.output
    finally:
        release(application)


def _bench_run():
    spec = importlib.util.spec_from_file_location("bench_run_env", ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_bench_run_finds_the_plugin_only_in_bench_mode(tmp_path):
    """``flask --app run seed-bench`` as bench/run.py starts it: from the repository root, with
    its server environment (BENCH_MODE=1) and no PYTHONPATH; without BENCH_MODE no such command."""
    env = _bench_run().server_env(f"sqlite:///{tmp_path / 'bench.db'}", tmp_path)
    assert env["BENCH_MODE"] == "1"
    env.pop("PYTHONPATH", None)
    flask = Path(sys.executable).with_name("flask")
    command = [str(flask)] if flask.exists() else [sys.executable, "-m", "flask"]
    on = subprocess.run([*command, "--app", "run", "seed-bench", "--help"], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=300)
    assert on.returncode == 0, on.stderr[-3000:]
    assert "--complaints" in on.stdout
    off = subprocess.run([*command, "--app", "run", "seed-bench", "--help"], cwd=ROOT,
                         env={**env, "BENCH_MODE": "0"}, capture_output=True, text=True, timeout=300)
    assert off.returncode != 0 and "No such command" in off.stderr, off.stderr[-3000:]


class TestBenchModeOn:
    @pytest.fixture
    def app(self, bench_app):
        """The suite's database copy, served by an application built with BENCH_MODE on; the
        permissions synced as the bench's deploy step does."""
        sync_roles(bench_app.appbuilder)
        return bench_app

    def test_the_plugin_adds_seed_bench(self, app):
        result = app.test_cli_runner().invoke(args=["seed-bench", "--help"])
        assert result.exit_code == 0 and "--complaints" in result.output

    def test_admin_sees_the_stock_list_with_a_statement_count(self, client, users, make_complaint):
        first = make_complaint(users[r.COUNTER_STAFF])
        second = make_complaint(users[r.COUNTER_STAFF])
        assert web_login(client, "admin").status_code == 302
        response = client.get("/benchstock/list/")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert first.number in html and second.number in html
        assert "甲一分社" in html  # the branch, displayed by FAB from the relation
        count = response.headers[HEADER]
        assert re.fullmatch(r"[1-9][0-9]*", count), count
        # The count is per request: a second request starts again from zero.
        again = client.get("/benchstock/list/")
        assert int(again.headers[HEADER]) <= int(count) + 2

    def test_every_response_carries_the_count(self, client, users, make_complaint):
        make_complaint(users[r.COUNTER_STAFF])
        assert web_login(client, "discipline").status_code == 302
        response = client.get("/complaints/list/")
        assert response.status_code == 200
        assert int(response.headers[HEADER]) > 0
        # Also outside FAB's views (the test schema has no migration stamp: 503, still counted).
        assert int(client.get("/health").headers[HEADER]) >= 1

    def test_stock_view_is_read_only_and_admin_only(self, app, client, users, make_complaint):
        complaint = make_complaint(users[r.COUNTER_STAFF])
        assert web_login(client, "admin").status_code == 302
        assert client.get(f"/benchstock/show/{complaint.id}").status_code == 200
        for path in ("/benchstock/add", f"/benchstock/edit/{complaint.id}", f"/benchstock/delete/{complaint.id}"):
            assert client.get(path).status_code == 404, path
        other = app.test_client()
        assert web_login(other, "discipline").status_code == 302
        refused = other.get("/benchstock/list/")
        assert refused.status_code in (302, 403), refused.status_code
