"""Migration 0017 on a database with complaints: every stored number in its normal form, the
cases whose number another case now shares marked, the search channel and case-less searches
accepted by the identity access log; the way back refuses once searches are logged."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.extensions import db
from tests.databases import app_for_url

TYPED = ["138 0013 8000", "+86 138-0013-8000", "13800138000", "0579-8888 1234", "13900000000", None, "  "]


def _complaint(n, phone):
    return {"id": n, "number": f"TS20261201-{n:04d}", "phone": phone}


def test_upgrade_normalises_numbers_and_marks_the_new_repeats(empty_database):
    with app_for_url(empty_database):
        upgrade(revision="0016_lockout_per_account")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO org_unit (id, name, code, kind, active) "
                                    "VALUES (1, '甲一分社', 'A1', 'branch', TRUE)"))
            for n, phone in enumerate(TYPED, start=1):
                connection.execute(text(
                    "INSERT INTO complaint (id, number, channel, received_at, complainant_name, complainant_phone, "
                    "phone_shared, is_delegate, branch_id, category, facts, status, due_date_provisional, "
                    "extension_status, ruling_final, reruling_status, created_at, version) VALUES (:id, :number, "
                    "'phone', '2026-12-01 09:00:00', '张三', :phone, FALSE, FALSE, 1, 'other', '事实', 'registered', "
                    "FALSE, 'none', FALSE, 'none', '2026-12-01 09:00:00', 1)"), _complaint(n, phone))
        upgrade()
        with db.engine.begin() as connection:
            rows = connection.execute(text("SELECT complainant_phone, phone_shared FROM complaint ORDER BY id")).all()
            assert [row[0] for row in rows] == ["13800138000"] * 3 + ["057988881234", "13900000000", None, None]
            assert [bool(row[1]) for row in rows] == [True] * 3 + [False] * 4
            connection.execute(text("INSERT INTO pii_access (at, user_id, username, complaint_id, channel) "
                                    "VALUES ('2026-12-01 10:00:00', NULL, 'discipline', NULL, 'search')"))
            with pytest.raises(Exception):
                with connection.begin_nested():
                    connection.execute(text("INSERT INTO pii_access (at, username, complaint_id, channel) "
                                            "VALUES ('2026-12-01 10:00:00', 'x', 1, 'other')"))
        with pytest.raises(SystemExit):  # Flask-Migrate's answer to the migration's RuntimeError
            downgrade(revision="0016_lockout_per_account")
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM pii_access WHERE channel = 'search'")).scalar() == 1
