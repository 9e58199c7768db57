"""Issue 24: ``flask keys rotate`` while the application runs, and its resumption.

Two applications share one database and one keyring file, as two processes do: the "server"
registers, reads and edits complaints in threads, the "operator" rotates. Nothing written before,
during or after the rotation is lost or left unreadable; at the end every value is under the new
key, the old key has left the keyring file for ``<file>.retired``, and an application that holds
only the new keyring reads everything.
"""
import random
import threading
import time

import pytest
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import text

from app.crypto import Keyring, key_id_of, read_keyring_file
from app.extensions import db
from app.models.complaint import Complaint
from app.security import roles as r
from app.services import complaints as svc
from app.services import identity_keys
from config import TEST_IDENTITY_KEYS, TestConfig
from tests.databases import app_for_url

COLUMNS = identity_keys.IDENTITY_COLUMNS


def _body(org, n):
    return {"channel": "phone", "branch_id": org["a1"].id, "category": "fee", "facts": "多收手续费。",
            "complainant_name": f"客户{n:05d}", "complainant_phone": f"139{n:08d}",
            "complainant_address": f"演示县人民路{n}号"}


@pytest.fixture
def keyring_file(tmp_path):
    """The keyring of the suite's data (TestConfig's keys) in a file the applications read."""
    path = tmp_path / "identity_keys"
    path.write_text(TEST_IDENTITY_KEYS)
    path.chmod(0o600)
    return str(path)


def _file_config(path, **extra):
    return type("FileKeys", (TestConfig,), {"IDENTITY_KEYS": None, "IDENTITY_KEYS_FILE": path, **extra})


def _raw(where=""):
    return db.session.execute(text(f"SELECT id, {', '.join(COLUMNS)} FROM complaint {where} ORDER BY id")).all()


def test_rotation_mid_traffic_loses_nothing(app, users, org, keyring_file):
    url = db.engine.url.render_as_string(hide_password=False)
    clerk_id, office_id = users[r.COUNTER_STAFF].id, users[r.DISCIPLINE_OFFICE].id
    written = {}  # id → (name, phone, address) as last acknowledged
    lock = threading.Lock()
    failures = []
    done = threading.Event()

    with app_for_url(url, _file_config(keyring_file)) as server:
        clerk = db.session.get(User, clerk_id)
        for n in range(150):  # the rotation has batches to walk while traffic goes on
            complaint, _ = svc.register(clerk, _body(org, n))
            written[complaint.id] = (complaint.complainant_name, complaint.complainant_phone,
                                     complaint.complainant_address)
        db.session.remove()

        def traffic(worker):
            rng = random.Random(worker)  # nosec B311 (test data)
            with server.app_context():
                n = 1000 * (worker + 1)
                try:
                    while not done.is_set():
                        n += 1
                        clerk_, office = db.session.get(User, clerk_id), db.session.get(User, office_id)
                        complaint, _ = svc.register(clerk_, _body(org, n))
                        with lock:
                            written[complaint.id] = (complaint.complainant_name, complaint.complainant_phone,
                                                     complaint.complainant_address)
                            ids = list(written)
                        target = rng.choice(ids)
                        case = svc.get_for(office, target)
                        with lock:
                            expected = written[target]
                        seen = (case.complainant_name, case.complainant_phone, case.complainant_address)
                        assert seen == expected or target in editing, (target, seen, expected)
                        if rng.random() < 0.3:  # an edit: its event keeps old and new values
                            with lock:
                                editing.add(target)
                            phone = f"137{rng.randrange(10**8):08d}"
                            try:
                                edited = svc.edit(office, target, {"version": case.version, "complainant_phone": phone})
                                with lock:
                                    written[target] = (expected[0], edited.complainant_phone, expected[2])
                            except svc.Conflict:
                                pass  # another thread edited it first
                            finally:
                                with lock:
                                    editing.discard(target)
                        db.session.remove()
                except BaseException as error:  # reported below
                    failures.append(error)
                finally:
                    db.session.remove()

        editing = set()
        threads = [threading.Thread(target=traffic, args=(i,), name=f"traffic-{i}") for i in range(2)]
        for thread in threads:
            thread.start()
        try:
            with app_for_url(url, _file_config(keyring_file)) as operator:
                steps = []
                state = identity_keys.rotate(batch=20, grace=0.3, progress=steps.append)
                new_key = state.target_key
                assert state.finished_at is not None and state.retired_keys == "ktest1"
                assert any(step.table == "complaint" for step in steps)
                time.sleep(0.5)  # traffic goes on under the new key
        finally:
            done.set()
            for thread in threads:
                thread.join(60)
        assert not failures, failures
        assert len(written) > 150

    # The keyring file holds the new key only; the old one waits in .retired.
    assert read_keyring_file(keyring_file).ids == [new_key]
    assert read_keyring_file(keyring_file + ".retired").ids == ["ktest1"]
    # Every stored value is under the new key, the edit events' included ...
    for row in _raw():
        assert {key_id_of(value) for value in row[1:] if value is not None} == {new_key}, row[0]
    events = db.session.execute(text("SELECT CAST(payload AS TEXT) FROM complaint_event WHERE name = 'edit'")).all()
    assert events and all("ENC1:ktest1:" not in payload for payload, in events)
    # ... and an application holding only the new keyring reads every value as acknowledged.
    with app_for_url(url, _file_config(keyring_file)) as reader:
        for complaint_id, (name, phone, address) in written.items():
            case = db.session.get(Complaint, complaint_id)
            assert (case.complainant_name, case.complainant_phone, case.complainant_address) == (name, phone, address)
        assert identity_keys.key_ids_in_use() == {new_key}


def test_an_interrupted_rotation_resumes_under_the_same_key(app, users, org, make_complaint, keyring_file):
    for n in range(30):
        make_complaint(users[r.COUNTER_STAFF], complainant_name=f"客户{n}", complainant_phone=f"139{n:08d}")
    url = db.engine.url.render_as_string(hide_password=False)
    with app_for_url(url, _file_config(keyring_file)):
        calls = []

        def stop_after_first_batch(step):
            calls.append(step)
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            identity_keys.rotate(batch=10, grace=0, progress=stop_after_first_batch)
        first = identity_keys.unfinished(identity_keys.ROTATE)
        assert first is not None and first.complaints_done == calls[0].done
        keys = read_keyring_file(keyring_file)
        assert keys.ids == ["ktest1", first.target_key]  # both readable while it runs
        mixed = {key_id_of(row[1]) for row in _raw()}
        assert mixed == {"ktest1", first.target_key}
        state = identity_keys.rotate(batch=10, grace=0)
        assert state.id == first.id and state.target_key == first.target_key  # no second new key
        assert {key_id_of(row[1]) for row in _raw()} == {first.target_key}
        assert read_keyring_file(keyring_file).ids == [first.target_key]
        assert db.session.get(Complaint, 1).complainant_name == "客户0"


def test_rotation_needs_the_keyring_in_a_file(app):
    with pytest.raises(identity_keys.KeyPassError, match="IDENTITY_KEYS_FILE"):
        identity_keys.rotate(grace=0)


def test_the_keys_commands_show_progress_and_never_a_key(app, users, make_complaint, keyring_file):
    make_complaint(users[r.COUNTER_STAFF])
    url = db.engine.url.render_as_string(hide_password=False)
    with app_for_url(url, _file_config(keyring_file)) as operator:
        runner = operator.test_cli_runner()
        result = runner.invoke(args=["keys", "rotate", "--grace", "0", "--keep-old-keys"])
        assert result.exit_code == 0, result.output
        assert "complaint 1/1 (100.0%)" in result.output and "Every value is under key" in result.output
        status = runner.invoke(args=["keys", "status"])
        assert status.exit_code == 0, status.output
        ring = read_keyring_file(keyring_file)
        assert ring.ids[0] == "ktest1" and "(current)" in status.output  # kept: --keep-old-keys
        secrets_ = Keyring.text(ring).splitlines()[1:]
        for line in secrets_:
            assert line.split(":", 1)[1] not in result.output + status.output
