"""The identity cipher (app/crypto.py, issue 24) without an application: the stored form, what
it hides, what it refuses, the keyring file and the blind indexes."""
import base64
import os
import stat

import pytest

from app.crypto import (
    PREFIX, IdentityCipher, Keyring, KeyringError, UndecryptableValue, key_id_of, normal_name, read_keyring_file,
    write_keyring_file,
)
from app.domain.phones import normal_phone


@pytest.fixture
def keyring():
    return Keyring.generate()


@pytest.fixture
def identity(keyring):
    return IdentityCipher(keyring)


def test_a_value_is_stored_as_text_naming_its_key_and_opens_again(identity, keyring):
    stored = identity.seal("complainant_name", "张三丰")
    assert stored.startswith(f"{PREFIX}{keyring.current}:") and key_id_of(stored) == keyring.current
    assert stored.isascii() and "张" not in stored
    assert identity.open("complainant_name", stored) == "张三丰"
    # A random nonce: the same value is stored differently each time (no equality leaks).
    assert identity.seal("complainant_name", "张三丰") != stored


def test_lengths_are_hidden_within_sixteen_bytes(identity):
    short, longer = (identity.seal("complainant_name", name) for name in ("李", "欧阳娜娜"))
    assert len(short) == len(longer)


def test_a_value_moved_to_another_column_or_altered_does_not_open(identity):
    stored = identity.seal("complainant_id_number", "11010519491231002X")
    with pytest.raises(UndecryptableValue):
        identity.open("complainant_address", stored)  # the column is the associated data
    body = stored[-10:]
    altered = stored[:-10] + ("A" if body[0] != "A" else "B") + body[1:]
    with pytest.raises(UndecryptableValue) as error:
        identity.open("complainant_id_number", altered)
    assert "11010519491231002X" not in str(error.value)


def test_an_unknown_key_is_named_never_shown(identity):
    other = IdentityCipher(Keyring.generate())
    stored = other.seal("complainant_phone", "13800138000")
    with pytest.raises(UndecryptableValue) as error:
        identity.open("complainant_phone", stored)
    message = str(error.value)
    assert key_id_of(stored) in message
    for key in other.keyring.keys.values():
        assert base64.urlsafe_b64encode(key).rstrip(b"=").decode() not in message


def test_plain_text_from_before_encryption_reads_as_it_is(identity):
    assert identity.open("complainant_name", "王五") == "王五"
    assert identity.open("complainant_name", None) is None


def test_with_encryption_off_values_are_written_plain_and_still_read(keyring):
    on, off = IdentityCipher(keyring), IdentityCipher(keyring, enabled=False)
    assert off.seal("complainant_name", "王五") == "王五"
    assert off.open("complainant_name", on.seal("complainant_name", "王五")) == "王五"


def test_blind_indexes_compare_normal_forms_under_a_separate_key(identity, keyring):
    phone = identity.blind_index("phone", normal_phone("+86 138-0013-8000"))
    assert phone == identity.blind_index("phone", normal_phone("13800138000"))
    assert len(phone) == 32 and "13800138000" not in phone
    assert identity.blind_index("name", normal_name(" 张 三丰 ")) == identity.blind_index("name", normal_name("张三丰"))
    assert identity.blind_index("name", normal_name("Li Na")) == identity.blind_index("name", normal_name("li na"))
    assert identity.blind_index("name", "13800138000") != identity.blind_index("phone", "13800138000")
    assert identity.blind_index("phone", None) is None and identity.blind_index("phone", "") is None
    # Another index key, another index: the key is what keeps them from being tried out.
    other = Keyring({**keyring.keys}, keyring.current, Keyring.generate().index_key)
    assert IdentityCipher(other).blind_index("phone", "13800138000") != identity.blind_index("phone", "13800138000")


def test_the_keyring_refuses_bad_entries_without_showing_them():
    good = Keyring.generate()
    secret = good.text().splitlines()[2].split(":")[1]
    for text, why in [
        ("", "no blind-index key"),
        (f"index:{secret}", "no encryption key"),
        (f"index:{secret}\nk1:{secret}", "one key for encryption and for the blind index"),
        (f"index:{secret[:-4]}\nk1:{secret}", "256-bit"),
        (f"index:{secret[:-1]}!\nk1:{secret}", "not base64"),
        (f"{secret}", "not '<key id>:<key>'"),
        (f"index:{secret}\nK-1:{good.text().splitlines()[1].split(':')[1]}", "key id"),
    ]:
        with pytest.raises(KeyringError, match=why) as error:
            Keyring.parse(text)
        assert secret not in str(error.value)


def test_the_last_key_is_current_and_entries_may_be_separated_by_semicolons():
    ring = Keyring.generate().with_new_key()
    entries = [line for line in ring.text().splitlines() if not line.startswith("#")]
    parsed = Keyring.parse(";".join(entries))
    assert parsed.current == ring.current and parsed.ids == ring.ids


def test_the_keyring_file_is_private_and_replaced_whole(tmp_path):
    path = str(tmp_path / "keys")
    ring = Keyring.generate()
    write_keyring_file(path, ring, exclusive=True)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with pytest.raises(FileExistsError):
        write_keyring_file(path, Keyring.generate(), exclusive=True)
    assert read_keyring_file(path).ids == ring.ids
    write_keyring_file(path, ring.with_new_key())
    assert len(read_keyring_file(path).ids) == 2
    assert [name for name in os.listdir(tmp_path) if name != "keys"] == []  # no partial file left
    assert read_keyring_file(str(tmp_path / "missing")) is None


def test_a_process_takes_a_new_key_from_the_file_for_its_next_write(tmp_path):
    path = str(tmp_path / "keys")
    ring = Keyring.generate()
    write_keyring_file(path, ring)
    reader, writer = IdentityCipher(ring, path), IdentityCipher(ring, path)
    old = reader.seal("complainant_name", "甲")
    grown = ring.with_new_key()
    write_keyring_file(path, grown)
    new = writer.seal("complainant_name", "乙")  # the file changed: the new key is taken
    assert key_id_of(new) == grown.current
    assert reader.open("complainant_name", new) == "乙"  # an unknown id: the file is read again
    assert reader.open("complainant_name", old) == "甲"
    # Once a rotation retires the old key from the file, a process keeps reading it from memory.
    write_keyring_file(path, grown.without([ring.current]))
    assert reader.open("complainant_name", old) == "甲"


def test_a_keyring_file_with_another_index_key_is_not_taken(tmp_path):
    path = str(tmp_path / "keys")
    ring = Keyring.generate()
    write_keyring_file(path, ring)
    identity = IdentityCipher(ring, path)
    write_keyring_file(path, Keyring.generate())
    assert identity.refresh(force=True) is False and identity.current == ring.current
