"""Issue 20: a custom role survives ``flask deploy`` twice unchanged; migration 0018b goes up and down."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect as sa_inspect

from app.extensions import db
from tests.databases import app_for_url
from tests.servers import flask, production_env


def _deploy(url, tmp_path):
    run = flask(production_env(url, tmp_path), "deploy")
    assert run.returncode == 0, run.stderr[-3000:]


def _snapshot(url):
    from flask_appbuilder.security.sqla.models import Role

    with app_for_url(url):
        role = db.session.query(Role).filter_by(name="回访专员").one()
        return (sorted((pv.permission.name, pv.view_menu.name) for pv in role.permissions),
                role.custom.capabilities, role.custom.scope, role.custom.shows_identity, role.custom.description)


@pytest.mark.slow
def test_a_custom_role_survives_deploy_twice_unchanged(empty_database, tmp_path):
    _deploy(empty_database, tmp_path)
    with app_for_url(empty_database):
        from app.services import roles as service

        service.save("回访专员", "负责回访", ["register", "statistics"], "unit", True)
    before = _snapshot(empty_database)
    _deploy(empty_database, tmp_path)
    _deploy(empty_database, tmp_path)
    assert _snapshot(empty_database) == before


def test_migration_0018b_creates_and_drops_the_custom_role_table(empty_database):
    with app_for_url(empty_database):
        upgrade(revision="0018b_custom_roles")
        assert "custom_role" in sa_inspect(db.engine).get_table_names()
        downgrade(revision="0018_union_settings")
        assert "custom_role" not in sa_inspect(db.engine).get_table_names()
