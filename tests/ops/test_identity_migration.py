"""Issue 24, migration 0025 and the way back: a database of plain-text identities (0021) is
upgraded; ``flask deploy`` encrypts the values and fills the blind indexes (search and the same
caller work again); the downgrade is refused while anything is encrypted; ``keys
decrypt-existing`` (encryption off) writes everything back; then 0021 takes the database again."""
import json

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from app.crypto import is_sealed
from app.extensions import db
from app.models.complaint import Complaint, ComplaintEvent, name_index, phone_index
from config import TestConfig
from tests.databases import app_for_url

ROWS = [(1, "张三", "13800138000", "浙江省杭州市西湖区文三路1号"), (2, "李四", "13800138000", None),
        (3, "王五", None, "演示县人民路2号")]
COLUMNS = ("complainant_name", "complainant_phone", "complainant_id_number", "complainant_address", "principal_name")


def _insert_plain(connection):
    connection.execute(text("INSERT INTO org_unit (id, name, code, kind, active) VALUES (1, '甲一分社', 'A1', 'branch', TRUE)"))
    for n, name, phone, address in ROWS:
        connection.execute(text(
            "INSERT INTO complaint (id, number, channel, received_at, complainant_name, complainant_phone, "
            "complainant_address, phone_shared, is_delegate, branch_id, category, facts, status, "
            "due_date_provisional, extension_status, ruling_final, reruling_status, created_at, version, "
            "appeal_decision_due_provisional) VALUES (:id, :number, 'phone', '2026-12-01 09:00:00', :name, :phone, "
            ":address, :shared, FALSE, 1, 'other', '事实', 'registered', FALSE, 'none', FALSE, 'none', "
            "'2026-12-01 09:00:00', 1, FALSE)"),
            {"id": n, "number": f"TS20261201-{n:04d}", "name": name, "phone": phone, "address": address,
             "shared": phone is not None})
    payload = json.dumps({"fields": ["complainant_phone"], "changes": {"complainant_phone": ["13900000000", "13800138000"]}})
    connection.execute(text("INSERT INTO complaint_event (id, complaint_id, at, name, from_status, to_status, payload) "
                            "VALUES (1, 2, '2026-12-01 10:00:00', 'edit', 'registered', 'registered', :payload)"),
                       {"payload": payload})


def _raw():
    return db.session.execute(text(f"SELECT {', '.join(COLUMNS)}, phone_index, name_index FROM complaint ORDER BY id")).all()


def test_deploy_encrypts_plain_identity_and_decrypt_existing_leads_back(empty_database):
    with app_for_url(empty_database) as app:
        upgrade(revision="0021_duplicates")
        with db.engine.begin() as connection:
            _insert_plain(connection)
        upgrade()
        assert [row[0] for row in _raw()] == ["张三", "李四", "王五"]  # the migration needs no key
        result = app.test_cli_runner().invoke(args=["deploy"])
        assert result.exit_code == 0, result.output
        assert "Complainant identity encrypted: 4 rows." in result.output, result.output  # 3 cases, 1 edit
        rows = _raw()
        assert all(is_sealed(value) for row in rows for value in row[:5] if value is not None)
        assert rows[0][5] == rows[1][5] == phone_index("13800138000") and rows[2][5] is None
        assert [row[6] for row in rows] == [name_index(name) for _, name, _, _ in ROWS]
        db.session.expire_all()
        assert db.session.get(Complaint, 1).complainant_address == "浙江省杭州市西湖区文三路1号"
        found = db.session.query(Complaint.id).filter(Complaint.phone_index == phone_index("138 0013 8000")).all()
        assert sorted(found) == [(1,), (2,)]
        event = db.session.get(ComplaintEvent, 1)
        assert event.payload["changes"]["complainant_phone"] == ["13900000000", "13800138000"]
        raw_event = db.session.execute(text("SELECT CAST(payload AS TEXT) FROM complaint_event")).scalar()
        assert "13900000000" not in raw_event and "ENC1:ktest1:" in raw_event
        again = app.test_cli_runner().invoke(args=["deploy"])
        assert again.exit_code == 0 and "Complainant identity encrypted" not in again.output  # nothing left
        db.session.remove()  # PostgreSQL: no open transaction holding the tables the downgrade drops
        with pytest.raises(SystemExit):  # Flask-Migrate's answer to the downgrade's RuntimeError
            downgrade(revision="0021_duplicates")
        assert _raw()[0][6] is not None  # refused: nothing changed

    plain = type("Plain", (TestConfig,), {"IDENTITY_ENCRYPTION": False})
    with app_for_url(empty_database, plain) as app:
        refused = app.test_cli_runner().invoke(args=["keys", "encrypt-existing"])
        assert refused.exit_code != 0 and "IDENTITY_ENCRYPTION is off" in refused.output
        result = app.test_cli_runner().invoke(args=["keys", "decrypt-existing", "--batch", "2"])
        assert result.exit_code == 0, result.output
        assert "complaint 2/3" in result.output and "complaint 3/3 (100.0%)" in result.output
        assert [row[0] for row in _raw()] == ["张三", "李四", "王五"]
        raw_event = db.session.execute(text("SELECT CAST(payload AS TEXT) FROM complaint_event")).scalar()
        assert json.loads(raw_event)["changes"]["complainant_phone"] == ["13900000000", "13800138000"]
        db.session.remove()
        downgrade(revision="0021_duplicates")
        assert db.session.execute(text("SELECT complainant_phone FROM complaint WHERE id = 1")).scalar() == "13800138000"
        db.session.remove()
        upgrade()  # and up again


def test_decrypt_existing_is_refused_while_encryption_is_on(app):
    result = app.test_cli_runner().invoke(args=["keys", "decrypt-existing"])
    assert result.exit_code != 0 and "IDENTITY_ENCRYPTION=0" in result.output
