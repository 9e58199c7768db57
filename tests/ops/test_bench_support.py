"""Bench-only hooks (app/bench_support.py, issue 9): off by default, on with BENCH_MODE.

With BENCH_MODE off the stock view does not exist and no response carries the statement
count. With it on (and the permissions synced, as ``BENCH_MODE=1 flask --app run deploy``
does for bench/run.py) the Admin sees FAB's stock list of complaints, every response says how
many SQL statements it took, and nothing else changes: the stock view is read-only.
"""
import re

import pytest

from app.bench_support import HEADER, PERMISSION_NAME
from app.extensions import db
from app.security import roles as r
from app.security.sync import sync_roles
from config import TestConfig
from tests.conftest import web_login
from tests.databases import app_for_url

BenchTestConfig = type("BenchTestConfig", (TestConfig,), {"BENCH_MODE": True})


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


class TestBenchModeOn:
    @pytest.fixture
    def app(self, template_db, tmp_path):
        """The suite's database copy, served by an application built with BENCH_MODE on; the
        permissions synced as the bench's deploy step does."""
        with template_db.clone_url(str(tmp_path)) as url, app_for_url(url, BenchTestConfig) as application:
            sync_roles(application.appbuilder)
            yield application

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
