"""Migration 0019 (issue 21) on a database with rulings recorded before the roster existed: their
free-text "members present" stay as they were and are shown as they were; the way back works
while no ruling records members from a roster, and is refused once one does."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db
from app.models.ruling import Ruling
from app.services.committee import present_names
from tests.databases import app_for_url

BEFORE = "0018c_must_change_password"


def _case_with_a_ruling(connection):
    connection.execute(text("INSERT INTO org_unit (id, name, code, kind, active) VALUES (1, '甲一分社', 'A1', 'branch', TRUE)"))
    connection.execute(text(
        "INSERT INTO complaint (id, number, channel, received_at, complainant_name, phone_shared, is_delegate, "
        "branch_id, category, facts, status, due_date_provisional, extension_status, ruling_final, reruling_status, "
        "created_at, version, ruling_result, ruling_category) VALUES (1, 'TS20261201-0001', 'phone', "
        "'2026-12-01 09:00:00', '张三', FALSE, FALSE, 1, 'other', '事实', 'replied', FALSE, 'none', FALSE, 'none', "
        "'2026-12-01 09:00:00', 3, 'not_responsible', '19.4')"))
    connection.execute(text(
        "INSERT INTO ruling (id, complaint_id, kind, result, category, verified, basis, members, ruled_on, recorded_at) "
        "VALUES (1, 1, 'ruling', 'not_responsible', '19.4', FALSE, '客户误会。', '赵丽华、孙明、李秀英', "
        "'2026-12-02', '2026-12-02 10:00:00')"))


def test_free_text_rulings_are_kept_and_shown_as_they_were(empty_database):
    with app_for_url(empty_database):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _case_with_a_ruling(connection)
        upgrade()
        ruling = db.session.get(Ruling, 1)
        assert ruling.members == "赵丽华、孙明、李秀英" and ruling.body_id is None and ruling.present == []
        assert present_names(ruling) == "赵丽华、孙明、李秀英"
        db.session.remove()
        downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT members FROM ruling WHERE id = 1")).scalar() == "赵丽华、孙明、李秀英"


def test_the_way_back_is_refused_once_a_ruling_records_who_sat(empty_database):
    with app_for_url(empty_database):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _case_with_a_ruling(connection)
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO staff (id, name, employee_no, unit_id, position, active) "
                                    "VALUES (1, '赵丽华', 'B0001', 1, 'committee_member', TRUE)"))
            connection.execute(text("INSERT INTO ruling_member (ruling_id, staff_id, role) VALUES (1, 1, 'chair')"))
        db.session.remove()
        with pytest.raises(SystemExit):  # Flask-Migrate's answer to the migration's RuntimeError
            downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM ruling_member")).scalar() == 1
