"""Migration 0022 on a database with complaints (issue 23): the JR/T 0169 code table loaded, the
existing complaints given the codes registration would suggest and marked unconfirmed, the admin
audit taking the code table's changes; the way back refused once a classification is confirmed."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.domain import jrt0169
from app.extensions import db
from tests.databases import app_for_url

BEFORE = "0021_duplicates"
STORIES = [("hotline", "attitude"), ("box", "fee"), ("referral", "other"), ("book", "error")]


def _complaints(connection):
    connection.execute(text("INSERT INTO org_unit (id, name, code, kind, active) VALUES (1, '甲一分社', 'A1', 'branch', TRUE)"))
    for n, (channel, category) in enumerate(STORIES, start=1):
        connection.execute(text(
            "INSERT INTO complaint (id, number, channel, received_at, complainant_name, phone_shared, is_delegate, "
            "branch_id, category, facts, status, due_date_provisional, extension_status, ruling_final, "
            "reruling_status, appeal_decision_due_provisional, created_at, version) VALUES (:id, :number, :channel, "
            "'2019-03-01 09:00:00', '张三', FALSE, FALSE, 1, :category, '事实', 'processing', FALSE, 'none', FALSE, "
            "'none', FALSE, '2019-03-01 09:00:00', 1)"),
            {"id": n, "number": f"TS20190301-{n:04d}", "channel": channel, "category": category})


def _codes(connection):
    return connection.execute(text(
        "SELECT c.id, a.code, b.code, r.code, c.jrt_confirmed FROM complaint c "
        "LEFT JOIN jrt_code a ON a.id = c.jrt_channel_id LEFT JOIN jrt_code b ON b.id = c.jrt_business_id "
        "LEFT JOIN jrt_code r ON r.id = c.jrt_reason_id ORDER BY c.id")).all()


def test_upgrade_loads_the_table_and_suggests_codes_unconfirmed(empty_database):
    with app_for_url(empty_database):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _complaints(connection)
        upgrade()
        with db.engine.begin() as connection:
            table = connection.execute(text(
                "SELECT c.code, c.name, c.dimension, p.code, c.position FROM jrt_code c "
                "LEFT JOIN jrt_code p ON p.id = c.parent_id ORDER BY c.id")).all()
            assert [tuple(row) for row in table] == [(e.code, e.name, e.dimension, e.parent, e.position)
                                                     for e in jrt0169.DEFAULT_CODES]
            assert [tuple(row[1:4]) + (bool(row[4]),) for row in _codes(connection)] == [
                ("A0101", "B01", "C01", False), ("A0101", "B04", "C03", False), ("A0101", "B99", "C99", False),
                ("A0101", "B01", "C01", False)]
            connection.execute(text("INSERT INTO admin_audit (at, actor_name, target_type, action) "
                                    "VALUES ('2026-12-01 10:00:00', 'admin', 'jrt_code', 'update')"))
            with pytest.raises(Exception):
                with connection.begin_nested():
                    connection.execute(text("INSERT INTO jrt_code (code, name, dimension, position) "
                                            "VALUES ('D01', 'x', 'D', 0)"))
        # Back, while nothing is confirmed: the columns, the table and their audit entries go.
        downgrade(revision=BEFORE)
        inspector = inspect(db.engine)
        assert "jrt_code" not in inspector.get_table_names()
        assert not {"jrt_channel_id", "jrt_confirmed"} & {c["name"] for c in inspector.get_columns("complaint")}
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM complaint")).scalar() == 4
            assert connection.execute(text("SELECT COUNT(*) FROM admin_audit")).scalar() == 0
        upgrade()
        with db.engine.begin() as connection:
            assert len([row for row in _codes(connection) if row[1] == "A0101"]) == 4


def test_the_way_back_is_refused_once_a_classification_is_confirmed(empty_database):
    with app_for_url(empty_database):
        upgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            _complaints(connection)
        upgrade()
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE complaint SET jrt_confirmed = TRUE WHERE id = 2"))
        with pytest.raises(SystemExit):  # Flask-Migrate's answer to the migration's RuntimeError
            downgrade(revision=BEFORE)
        with db.engine.begin() as connection:
            assert [bool(row[4]) for row in _codes(connection)] == [False, True, False, False]
