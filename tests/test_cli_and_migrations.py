"""Start-up, migrations, role sync and demo data as an operator runs them."""
import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import inspect

from app import create_app
from app.extensions import db
from app.security import roles as r
from app.security.sync import UnknownPermission, sync_roles
from config import TestConfig


def _file_app(database_url, views=True, **extra):
    """An app over a new, empty database of the suite's backend (SQLite file or PostgreSQL)."""

    class FileConfig(TestConfig):
        SQLALCHEMY_DATABASE_URI = database_url

    for key, value in extra.items():
        setattr(FileConfig, key, value)
    return create_app(FileConfig, views=views)


def test_start_up_creates_nothing(empty_database):
    app = _file_app(empty_database)
    with app.app_context():
        assert inspect(db.engine).get_table_names() == []


def test_upgrade_builds_the_whole_schema_matching_the_models(empty_database):
    app = _file_app(empty_database)
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"ab_user", "ab_role", "ab_permission_view", "org_unit", "staff", "alembic_version"} <= tables
        with db.engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), db.metadata)
        assert diff == []


def test_sync_roles_is_idempotent_and_exact(empty_database):
    app = _file_app(empty_database)
    with app.app_context():
        upgrade()
        first = sync_roles(app.appbuilder)
        second = sync_roles(app.appbuilder)
        assert first == second
        assert set(first) == set(r.ROLE_NAMES) | {"Public"}
        role = app.appbuilder.sm.find_role(r.DISCIPLINE_OFFICE)
        granted = {(pv.permission.name, pv.view_menu.name) for pv in role.permissions}
        assert granted == set(r.ROLE_PERMISSIONS[r.DISCIPLINE_OFFICE])


def test_sync_roles_fails_loudly_on_unknown_permission(empty_database, monkeypatch):
    app = _file_app(empty_database)
    with app.app_context():
        upgrade()
        sync_roles(app.appbuilder)
        before = {pv.id for pv in app.appbuilder.sm.find_role(r.LEADERSHIP).permissions}
        monkeypatch.setitem(r.ROLE_PERMISSIONS, r.LEADERSHIP, [("can_fly", "Complaint")])
        with pytest.raises(UnknownPermission, match="can_fly on Complaint"):
            sync_roles(app.appbuilder)
        assert {pv.id for pv in app.appbuilder.sm.find_role(r.LEADERSHIP).permissions} == before


def test_cli_deploy_and_seed_demo_are_idempotent(empty_database):
    app = _file_app(empty_database)
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["deploy"])
        assert result.exit_code == 0, result.output
        result = runner.invoke(args=["seed-demo"])
        assert result.exit_code == 0, result.output
        assert "DEMO" in result.output
    with app.app_context():
        from app.models import OrgUnit, Staff

        assert db.session.query(OrgUnit).filter_by(kind="branch").count() >= 6
        assert db.session.query(OrgUnit).filter_by(kind="cooperative").count() == 3
        assert db.session.query(Staff).count() >= 20
        from app.models.complaint import Complaint

        # The union's own decision, appealed: addressed to the municipal union (§14).
        appealed = db.session.query(Complaint).filter_by(external_ref="DEMO-007").one()
        assert appealed.status == "appealed" and appealed.appeal_unit.code == app.config["APPEAL_BODY_UNION_LEVEL"]
        for role in r.ROLE_NAMES:
            users = [u for u in app.appbuilder.sm.get_all_users() if any(x.name == role for x in u.roles)]
            assert [u.username for u in users if u.username.startswith("demo_")], role


def test_demo_logins_work(empty_database):
    from app.cli.demo import DEMO_PASSWORD, USERS

    app = _file_app(empty_database)
    runner = app.test_cli_runner()
    runner.invoke(args=["deploy"])
    runner.invoke(args=["seed-demo"])
    client = app.test_client()
    for username, *_ in USERS:
        response = client.post("/api/v1/security/login", json={"username": username, "password": DEMO_PASSWORD, "provider": "db"})
        assert response.status_code == 200, username


def test_cookie_and_redirect_settings():
    app = create_app(TestConfig)
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["FAB_SAFE_REDIRECT_HOSTS"]
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh"
    assert os.path.isabs(app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")[-1])


def test_database_enforces_foreign_keys(app):
    """SQLite only when asked on every connection (app/__init__.py); PostgreSQL always."""
    from sqlalchemy.exc import IntegrityError

    from app.models import Staff

    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.session.add(Staff(name="无单位", employee_no="FK1", unit_id=999999, position="other", active=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_jobs_application_runs_the_timers_commands_and_nothing_else(empty_database):
    """``flask --app jobs``: the application without views (a shorter start-up) runs ``remind`` the
    same as the full one, offers no command that reads the views (role sync, deploy) and refuses
    FAB's commands that would remove the permissions of every view it does not have."""
    import datetime as dt

    import click

    from app.models.reminder import Reminder

    app = _file_app(empty_database)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["deploy"]).exit_code == 0
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    jobs = _file_app(empty_database, views=False)
    paths = {rule.rule for rule in jobs.url_map.iter_rules()}
    assert not any(path.startswith(("/complaints", "/api/v1/complaints", "/users", "/login", "/health")) for path in paths), paths
    assert "/health" in {rule.rule for rule in app.url_map.iter_rules()} and "db" in app.cli.commands
    jobs_runner = jobs.test_cli_runner()
    for command in (["deploy"], ["sync-roles"], ["seed-demo"], ["restore", "x.db"], ["db", "current"]):
        result = jobs_runner.invoke(args=command)
        assert result.exit_code == 2 and "No such command" in result.output, (command, result.output)
    with jobs.app_context():
        permissions = db.session.query(jobs.appbuilder.sm.permissionview_model).count()
        # what `flask --app jobs fab security-cleanup | security-converge` call
        for command in (jobs.appbuilder.security_cleanup, jobs.appbuilder.security_converge):
            with pytest.raises(click.ClickException, match="--app run"):
                command()
    result = jobs_runner.invoke(args=["remind", "--no-mail"])
    assert result.exit_code == 0, result.output
    counts = dict(part.split("=") for part in result.output.split())
    with jobs.app_context():
        assert db.session.query(jobs.appbuilder.sm.permissionview_model).count() == permissions
        today = db.session.query(Reminder).filter(Reminder.day >= dt.date.today() - dt.timedelta(days=1)).all()
        kinds = ("due_soon", "overdue", "appeal_due_soon", "appeal_overdue")
        assert sum(int(counts[kind]) for kind in kinds) == len(today) > 0
    # the full application's remind finds them done: once per case per day, whichever app ran it
    again = runner.invoke(args=["remind", "--no-mail"])
    assert again.exit_code == 0 and "overdue=0 " in again.output, again.output


def test_the_jobs_application_starts_without_the_migration_tools(tmp_path):
    """``jobs.py`` imports neither Flask-Migrate nor Alembic (nor Mako, which Alembic brings): a quarter
    of a second of every timer's start-up that only ``flask db`` and ``deploy`` (``run.py``) need."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, SECRET_KEY="k" * 64, IDENTITY_KEYS=TestConfig.IDENTITY_KEYS,
               DATABASE_URL=f"sqlite:///{tmp_path / 'jobs.db'}", PRODUCTION="0")
    env.pop("IDENTITY_KEYS_FILE", None)
    probe = "import sys, jobs; print(sorted(m for m in ('alembic', 'flask_migrate', 'mako') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", probe], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout
