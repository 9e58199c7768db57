"""Issue 24: the complainant's identity encrypted at rest.

- a complaint registered (and its contact details edited) through the API: the raw SQLite file
  with its WAL, or a plain ``pg_dump`` of the PostgreSQL database, holds none of the identity
  values in any encoding (UTF-8, UTF-16, GBK/GB18030, base64, hex, JSON escapes) — nor does the
  ``flask backup`` file;
- restore needs the key: refused before anything is written when the keyring lacks a key the
  backup names, done (and readable) with it; the key is in no backup;
- start-up refuses without identity keys (every mode), production also with the published test
  keys or with encryption off; no message or log line shows a key.
"""
import base64
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from app import create_app
from app.crypto import Keyring, key_id_of, write_keyring_file
from app.extensions import db
from app.models.complaint import Complaint
from app.ops import backup as backup_module
from app.security import roles as r
from config import TEST_IDENTITY_KEYS, TestConfig
from tests.conftest import api_token, bearer
from tests.databases import app_for_url, is_postgres

ROOT = Path(__file__).resolve().parents[2]

IDENTITY = {
    "complainant_name": "欧阳明珠",
    "complainant_phone": "13912345678",
    "complainant_id_number": "11010519491231002X",
    "complainant_address": "浙江省杭州市西湖区文三路478号",
    "principal_name": "上官婉儿",
}
EDITED = {"complainant_phone": "057188776655", "complainant_address": "浙江省宁波市海曙区中山西路9号"}


def encodings(value: str):
    """``value`` as a copied file could hold it."""
    raw = value.encode("utf-8")
    forms = {raw, value.encode("utf-16-le"), value.encode("utf-16-be"), value.encode("gb18030"),
             base64.b64encode(raw).rstrip(b"="), base64.urlsafe_b64encode(raw).rstrip(b"="), raw.hex().encode(),
             json.dumps(value).strip('"').encode()}
    try:
        forms.add(value.encode("gbk"))
    except UnicodeEncodeError:
        pass
    # A long value's middle, should a format split it (base64 of its tail starts anywhere).
    if len(value) > 8:
        forms.add(value[2:-2].encode("utf-8"))
    return forms


def assert_nothing_of(identity_values, data: bytes, where: str):
    for value in identity_values:
        for form in encodings(value):
            assert form not in data, f"{value!r} found in {where} as {form!r}"


def register_and_edit(app, client, org, users):
    token = api_token(client, users[r.DISCIPLINE_OFFICE].username)
    body = {"channel": "phone", "branch_id": org["a1"].id, "category": "fee", "facts": "多收手续费。",
            "is_delegate": True, **IDENTITY}
    response = client.post("/api/v1/complaint/", json=body, headers=bearer(token))
    assert response.status_code == 201, response.get_json()
    case = response.get_json()
    assert case["result"]["complainant_name"] == IDENTITY["complainant_name"]  # the office sees it in full
    edit = client.put(f"/api/v1/complaint/{case['id']}", json={"version": case["result"]["version"], **EDITED},
                      headers=bearer(token))
    assert edit.status_code == 200, edit.get_json()
    # The timeline keeps the old and new values (encrypted at rest) and shows them to the office.
    events = client.get(f"/api/v1/complaint/{case['id']}/events", headers=bearer(token)).get_json()["result"]
    changes = {c["field"]: c for e in events for c in e.get("changes", [])}
    assert changes["complainant_phone"]["old"] == IDENTITY["complainant_phone"]
    found = client.get(f"/api/v1/complaint/?q=(filters:!((col:complainant_phone,opr:eq,value:'{EDITED['complainant_phone']}')))",
                       headers=bearer(token)).get_json()
    assert found["ids"] == [case["id"]]  # the blind index finds it
    db.session.remove()
    return case["id"]


def raw_database(url: str, tmp_path) -> bytes:
    """Every byte the database keeps: the SQLite file and its WAL, or a plain pg_dump."""
    if is_postgres(url):
        out = tmp_path / "plain.sql"
        result = subprocess.run(["pg_dump", "--format=plain", "--no-password", "--file", str(out)],
                                env=backup_module.libpq_environment(url), capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return out.read_bytes()
    path = make_url(url).database
    return b"".join(Path(p).read_bytes() for p in (path, path + "-wal") if os.path.exists(p))


def backup_bytes(url: str, path: Path) -> bytes:
    """A backup as readable bytes (a PostgreSQL custom dump is compressed: its data printed)."""
    if is_postgres(url):
        result = subprocess.run(["pg_restore", "--file=-", str(path)], capture_output=True)
        assert result.returncode == 0, result.stderr
        return result.stdout
    return path.read_bytes()


def every_value():
    return list(IDENTITY.values()) + list(EDITED.values())


def test_no_identity_value_is_in_the_database_or_its_backup_in_any_encoding(app, client, org, users, tmp_path):
    case_id = register_and_edit(app, client, org, users)
    url = str(db.engine.url.render_as_string(hide_password=False))
    data = raw_database(url, tmp_path)
    assert_nothing_of(every_value(), data, "the database")
    # The encrypted values are there, under the keyring's key.
    stored = db.session.execute(text("SELECT complainant_name, complainant_phone, complainant_id_number, "
                                     "complainant_address, principal_name FROM complaint WHERE id = :id"),
                                {"id": case_id}).one()
    assert {key_id_of(value) for value in stored} == {"ktest1"}
    path = tmp_path / f"copy{backup_module.suffix(url)}"
    result = app.test_cli_runner().invoke(args=["backup", "--output", str(path)])
    assert result.exit_code == 0, result.output
    copy = backup_bytes(url, path)
    assert_nothing_of(every_value(), copy, "the backup")
    keys = Keyring.parse(TEST_IDENTITY_KEYS)
    for key in (keys.index_key, *keys.keys.values()):
        for form in (key, base64.urlsafe_b64encode(key).rstrip(b"="), base64.b64encode(key).rstrip(b"="), key.hex().encode()):
            assert form not in copy and form not in data  # the key is in neither
    # Through the model everything reads as it was written.
    complaint = db.session.get(Complaint, case_id)
    assert complaint.complainant_name == IDENTITY["complainant_name"]
    assert complaint.complainant_phone == EDITED["complainant_phone"]
    assert complaint.principal_name == IDENTITY["principal_name"]


def _other_keys(tmp_path) -> str:
    path = tmp_path / "other_keys"
    write_keyring_file(str(path), Keyring.generate())
    return str(path)


def test_restore_needs_the_key(app, client, org, users, tmp_path, empty_database):
    case_id = register_and_edit(app, client, org, users)
    url = db.engine.url.render_as_string(hide_password=False)
    path = tmp_path / f"copy{backup_module.suffix(url)}"
    assert app.test_cli_runner().invoke(args=["backup", "--output", str(path)]).exit_code == 0
    assert backup_module.key_ids(url, str(path)) == {"ktest1"}

    without = type("WithoutTheKey", (TestConfig,), {"IDENTITY_KEYS": None, "IDENTITY_KEYS_FILE": _other_keys(tmp_path)})
    with app_for_url(empty_database, without) as elsewhere:
        result = elsewhere.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code != 0
        assert "ktest1" in result.output and "Nothing was restored" in result.output
        assert inspect(db.engine).get_table_names() == []  # nothing written

    with app_for_url(empty_database) as restored:  # the keyring the backup was written with
        result = restored.test_cli_runner().invoke(args=["restore", str(path), "--yes"])
        assert result.exit_code == 0, result.output
        complaint = db.session.get(Complaint, case_id)
        assert complaint.complainant_name == IDENTITY["complainant_name"]
        assert complaint.complainant_address == EDITED["complainant_address"]


def test_the_archive_hands_over_identity_without_keys_or_blind_indexes(app, users, make_complaint, tmp_path):
    from app.services import archive

    complaint = make_complaint(users[r.DISCIPLINE_OFFICE], complainant_name="欧阳明珠")
    db.session.execute(text("UPDATE complaint SET status = 'closed', closed_at = '2001-01-01 00:00:00' "
                            "WHERE id = :id"), {"id": complaint.id})
    db.session.commit()
    out = tmp_path / "archive.jsonl"
    archive.archive_closed(__import__("datetime").date(2002, 1, 1), str(out), 3)
    record = json.loads(out.read_text(encoding="utf-8").splitlines()[-1])
    case = record.get("complaint", record)
    assert case["complainant_name"] == "欧阳明珠" and "name_index" not in case and "phone_index" not in case
    assert "ENC1:" not in out.read_text(encoding="utf-8")


# --- start-up -----------------------------------------------------------------------------------

def _config(**settings):
    return type("KeyConfig", (TestConfig,), {"IDENTITY_KEYS": None, **settings})


@pytest.fixture
def no_keys_in_environment(monkeypatch):
    monkeypatch.delenv("IDENTITY_KEYS", raising=False)
    monkeypatch.delenv("IDENTITY_KEYS_FILE", raising=False)


@pytest.mark.parametrize("production", [False, True])
def test_start_up_refuses_without_identity_keys(no_keys_in_environment, tmp_path, production):
    config = _config(IDENTITY_KEYS_FILE=str(tmp_path / "missing"), PRODUCTION=production,
                     SECRET_KEY="a7" * 16 + "0123456789abcdef")
    with pytest.raises(RuntimeError, match="No identity keys"):
        create_app(config)


def test_production_refuses_published_keys_and_encryption_off(no_keys_in_environment, tmp_path, caplog):
    secret = "f3" * 16 + "0123456789abcdef"
    with pytest.raises(RuntimeError, match="published"):
        create_app(_config(IDENTITY_KEYS=TEST_IDENTITY_KEYS, PRODUCTION=True, SECRET_KEY=secret))
    path = tmp_path / "keys"
    write_keyring_file(str(path), Keyring.generate())
    with pytest.raises(RuntimeError, match="IDENTITY_ENCRYPTION is off"):
        create_app(_config(IDENTITY_KEYS_FILE=str(path), PRODUCTION=True, SECRET_KEY=secret, IDENTITY_ENCRYPTION=False))
    caplog.set_level(logging.DEBUG)
    app = create_app(_config(IDENTITY_KEYS_FILE=str(path), PRODUCTION=True, SECRET_KEY=secret))
    text_of_file = path.read_text()
    keys = [line.split(":", 1)[1] for line in text_of_file.splitlines() if ":" in line and not line.startswith("#")]
    assert all(key not in caplog.text for key in keys)
    assert all(key not in repr(dict(app.config)) for key in keys)  # the keys are not in the configuration


def test_a_malformed_keyring_is_refused_without_showing_it(no_keys_in_environment, tmp_path):
    path = tmp_path / "keys"
    secret = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    path.write_text(f"index:{secret}\nk1:{secret[:-3]}\n")
    with pytest.raises(RuntimeError) as error:
        create_app(_config(IDENTITY_KEYS_FILE=str(path)))
    assert "256-bit" in str(error.value) and secret[:-3] not in str(error.value)


@pytest.mark.slow
def test_flask_refuses_to_start_without_keys_and_starts_with_the_generated_ones(tmp_path):
    path = tmp_path / "instance" / "identity_keys"
    env = {k: v for k, v in os.environ.items()
           if k not in ("IDENTITY_KEYS", "IDENTITY_KEYS_FILE", "TEST_DATABASE_URL", "FLASK_APP", "PRODUCTION")}
    env.update(IDENTITY_KEYS_FILE=str(path), SECRET_KEY="b5" * 16 + "0123456789abcdef",
               DATABASE_URL=f"sqlite:///{tmp_path / 'app.db'}")
    flask = [sys.executable, "-m", "flask", "--app", "run", "routes"]
    refused = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0 and "No identity keys" in refused.stderr
    made = subprocess.run([sys.executable, "scripts/identity_keys.py"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert made.returncode == 0 and oct(os.stat(path).st_mode & 0o777) == "0o600"
    first = path.read_text()
    assert subprocess.run([sys.executable, "scripts/identity_keys.py"], cwd=ROOT, env=env, timeout=60).returncode == 0
    assert path.read_text() == first  # never overwritten
    started = subprocess.run(flask, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert started.returncode == 0, started.stderr[-2000:]
    for line in first.splitlines():
        if ":" in line and not line.startswith("#"):
            assert line.split(":", 1)[1] not in started.stdout + started.stderr + made.stdout


@pytest.mark.parametrize("target", ["run", "seed"])
def test_make_run_creates_the_keyring_before_it_starts_the_application(target):
    result = subprocess.run(["make", "-n", target], cwd=ROOT, env={**os.environ, "MAKEFLAGS": ""},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    keys = next(i for i, line in enumerate(lines) if "scripts/identity_keys.py" in line)
    flask = next(i for i, line in enumerate(lines) if "flask --app run" in line)
    assert keys < flask
