"""Bringing every stored identity value under one key, while the application runs (issue 24):
``flask --app run keys rotate | encrypt-existing | decrypt-existing`` (``cli/keys.py``).

A pass walks the complaints, then the edit events (their old and new contact values), by id in
batches; each batch is one transaction that rewrites only the values not yet as wanted and
records how far the pass got (``IdentityPass``), so an interrupted pass resumes where it stopped
and a repeated one rewrites nothing. Each value is rewritten with a compare-and-set on the text
read (``UPDATE … WHERE id = … AND column = <what was read>``): a value the application changed
meanwhile is left alone — it was written under the current key anyway — and never overwritten
with an older one. Values are rewritten below the ORM, which is what lets a pass change the
encryption of an append-only timeline event: its content stays the same.

- **rotate**: adds a new key to the keyring file (it becomes current: every process writes with
  it from its next write, ``crypto.IdentityCipher.refresh``), re-encrypts every value under an
  older key, then waits ``grace`` seconds (for a transaction that encrypted under the old key
  just before the switch), sweeps once more for values under older keys until none is left, and
  only then takes the older keys out of the keyring file into ``<file>.retired`` (kept, offline, for
  the backups taken before). Until then the older keys stay readable everywhere.
- **encrypt-existing**: encrypts the values stored before encryption (and fills their blind
  indexes); ``flask deploy`` runs it after migrating.
- **decrypt-existing**: the downgrade path: writes every value back in plain text (with
  ``IDENTITY_ENCRYPTION=0`` in every running process, or they would encrypt again).
"""
import json
import os
import re
import time
from typing import Callable, Dict, List, NamedTuple, Optional

from sqlalchemy import bindparam, text

from .. import clock
from ..crypto import (
    PREFIX, Keyring, KeyringError, cipher, is_sealed, key_id_of, normal_name, read_keyring_file, write_keyring_file,
)
from ..domain.phones import normal_phone
from ..extensions import db
from ..models.identity import SEALED_CHANGES, IdentityPass
from .bulk import on_postgresql

IDENTITY_COLUMNS = ("complainant_name", "complainant_phone", "complainant_id_number", "complainant_address",
                    "principal_name")
# column → (its blind index column, its normal form, the index's purpose)
INDEXES = {"complainant_phone": ("phone_index", normal_phone, "phone"),
           "complainant_name": ("name_index", normal_name, "name")}
ROTATE, ENCRYPT, DECRYPT = "rotate", "encrypt", "decrypt"
DEFAULT_BATCH = 500
DEFAULT_GRACE = 10.0  # seconds: longer than any transaction that encrypted before a key switch
MAX_SWEEPS = 20


class KeyPassError(RuntimeError):
    """A pass cannot run as asked; the message says why (never a key)."""


class Progress(NamedTuple):
    table: str  # complaint | complaint_event | sweep
    done: int  # the last id done
    last: int  # the largest id there is
    rewritten: int  # rows rewritten by the pass so far


ProgressFn = Callable[[Progress], None]


def _wanted(purpose: str, target: Optional[str], stored) -> bool:
    """Whether a stored value must be rewritten by a pass of ``purpose``."""
    if stored is None:
        return False
    if purpose == DECRYPT:
        return is_sealed(stored)
    if purpose == ENCRYPT:
        return not is_sealed(stored)
    return key_id_of(stored) != target


def _rewrite(purpose: str, field: str, stored):
    plain = cipher().open(field, stored)
    return plain if purpose == DECRYPT else cipher().seal(field, plain)


# --- one batch ---------------------------------------------------------------------------------

def _complaint_changes(purpose, target, row) -> Dict[str, Optional[str]]:
    """The columns of one complaint row to write (identity values and blind indexes)."""
    values = dict(zip(("id",) + IDENTITY_COLUMNS + ("phone_index", "name_index"), row))
    changes = {}
    for field in IDENTITY_COLUMNS:
        stored = values[field]
        rewritten = _wanted(purpose, target, stored)
        if rewritten:
            changes[field] = _rewrite(purpose, field, stored)
        if field in INDEXES and stored is not None:
            index_column, normal, index_purpose = INDEXES[field]
            if rewritten or values[index_column] is None:
                expected = cipher().blind_index(index_purpose, normal(cipher().open(field, stored)))
                if expected != values[index_column]:
                    changes[index_column] = expected
    return changes


def _write_complaints(rows, purpose, target) -> int:
    """Rewrite what ``rows`` need, each with a compare-and-set on the identity it read."""
    statements: Dict[str, List[dict]] = {}
    for row in rows:
        changes = _complaint_changes(purpose, target, row)
        if not changes:
            continue
        read = dict(zip(("id",) + IDENTITY_COLUMNS, row))
        sets = ", ".join(f"{column} = :new_{column}" for column in sorted(changes))
        checks = " AND ".join(f"{column} IS NULL" if read[column] is None else f"{column} = :old_{column}"
                              for column in IDENTITY_COLUMNS)
        params = {"id": read["id"], **{f"new_{c}": v for c, v in changes.items()},
                  **{f"old_{c}": read[c] for c in IDENTITY_COLUMNS if read[c] is not None}}
        # Column names from IDENTITY_COLUMNS and INDEXES only; every value is a bound parameter.
        sql = f"UPDATE complaint SET {sets} WHERE id = :id AND {checks}"  # nosec B608
        statements.setdefault(sql, []).append(params)
    written = 0
    for sql, params in statements.items():
        written += db.session.execute(text(sql), params).rowcount or 0
    return written


def _event_changes(purpose, target, payload_text) -> Optional[str]:
    try:
        payload = json.loads(payload_text)
    except (TypeError, ValueError):
        return None
    changes = payload.get("changes") if isinstance(payload, dict) else None
    if not isinstance(changes, dict):
        return None
    touched = False
    for field in SEALED_CHANGES:
        pair = changes.get(field)
        if not isinstance(pair, list):
            continue
        new_pair = []
        for value in pair:
            if isinstance(value, str) and _wanted(purpose, target, value):
                value = _rewrite(purpose, field, value)
                touched = True
            new_pair.append(value)
        changes[field] = new_pair
    return json.dumps(payload) if touched else None


def _write_events(rows, purpose, target) -> int:
    to = "CAST(:new AS JSON)" if on_postgresql() else ":new"
    params = []
    for event_id, payload_text in rows:
        new = _event_changes(purpose, target, payload_text)
        if new is not None:
            params.append({"id": event_id, "new": new, "old": payload_text})
    if not params:
        return 0
    sql = f"UPDATE complaint_event SET payload = {to} WHERE id = :id AND CAST(payload AS TEXT) = :old"  # nosec B608
    return db.session.execute(text(sql), params).rowcount or 0


_COMPLAINTS = ("SELECT id, " + ", ".join(IDENTITY_COLUMNS) + ", phone_index, name_index FROM complaint "  # nosec B608
               "WHERE id > :after ORDER BY id LIMIT :limit")
_EVENTS = ("SELECT id, CAST(payload AS TEXT) FROM complaint_event WHERE id > :after AND name = 'edit' "
           "ORDER BY id LIMIT :limit")


def _last_id(table: str) -> int:
    return db.session.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar()  # nosec B608 (fixed names)


def _walk(state: IdentityPass, batch: int, progress: Optional[ProgressFn]) -> None:
    """The complaints, then the edit events, from where ``state`` stopped, a batch per commit."""
    for table, query, write, done_attr in (("complaint", _COMPLAINTS, _write_complaints, "complaints_done"),
                                           ("complaint_event", _EVENTS, _write_events, "events_done")):
        last = _last_id(table)
        while True:
            rows = db.session.execute(text(query), {"after": getattr(state, done_attr), "limit": batch}).all()
            if not rows:
                break
            state.rewritten += write(rows, state.purpose, state.target_key)
            setattr(state, done_attr, rows[-1][0])
            db.session.commit()
            if progress is not None:
                progress(Progress(table, getattr(state, done_attr), max(last, getattr(state, done_attr)),
                                  state.rewritten))


def _not_under(target: Optional[str], column: str) -> str:
    return f"({column} IS NOT NULL AND {column} NOT LIKE '{PREFIX}{target}:%')"


def _sweep(state: IdentityPass, batch: int, progress: Optional[ProgressFn]) -> int:
    """Rewrite the rows still holding a value under another key; how many were found."""
    found = 0
    where = " OR ".join(_not_under(state.target_key, column) for column in IDENTITY_COLUMNS)
    ids = [row[0] for row in db.session.execute(text(f"SELECT id FROM complaint WHERE {where} ORDER BY id"))]  # nosec B608
    for start in range(0, len(ids), batch):
        chunk = ids[start:start + batch]
        rows = db.session.execute(text(_COMPLAINTS.replace("id > :after", "id IN :ids").replace(" LIMIT :limit", ""))
                                  .bindparams(_expanding("ids")), {"ids": chunk}).all()
        state.rewritten += _write_complaints(rows, state.purpose, state.target_key)
        db.session.commit()
    found += len(ids)
    events = db.session.execute(text(
        "SELECT id, CAST(payload AS TEXT) FROM complaint_event WHERE name = 'edit' AND "
        f"CAST(payload AS TEXT) LIKE '%{PREFIX}%' ORDER BY id")).all()  # nosec B608 (a constant)
    stale = [row for row in events if _event_changes(state.purpose, state.target_key, row[1]) is not None]
    if stale:
        state.rewritten += _write_events(stale, state.purpose, state.target_key)
        db.session.commit()
    found += len(stale)
    if progress is not None:
        progress(Progress("sweep", found, found, state.rewritten))
    return found


def _expanding(name):
    return bindparam(name, expanding=True)


# --- the passes ----------------------------------------------------------------------------------

def unfinished(purpose: str) -> Optional[IdentityPass]:
    """The latest pass of ``purpose`` that has not finished, if any."""
    return (db.session.query(IdentityPass).filter(IdentityPass.purpose == purpose, IdentityPass.finished_at.is_(None))
            .order_by(IdentityPass.id.desc()).first())


def _start(purpose: str, target: Optional[str]) -> IdentityPass:
    state = IdentityPass(purpose=purpose, target_key=target, complaints_done=0, events_done=0, rewritten=0,
                         started_at=clock.now())
    db.session.add(state)
    db.session.commit()
    return state


def _finish(state: IdentityPass, retired: Optional[List[str]] = None) -> IdentityPass:
    state.finished_at = clock.now()
    state.retired_keys = ",".join(retired) if retired else None
    db.session.commit()
    return state


def encrypt_existing(batch: int = DEFAULT_BATCH, progress: Optional[ProgressFn] = None) -> IdentityPass:
    """Encrypt every value stored in plain text (and fill missing blind indexes); resumable."""
    if not cipher().enabled:
        raise KeyPassError("IDENTITY_ENCRYPTION is off: nothing would be encrypted.")
    state = unfinished(ENCRYPT) or _start(ENCRYPT, None)
    _walk(state, batch, progress)
    return _finish(state)


def decrypt_existing(batch: int = DEFAULT_BATCH, progress: Optional[ProgressFn] = None) -> IdentityPass:
    """Write every value back in plain text (the way down, docs/security.md "Downgrade"); resumable."""
    if cipher().enabled:
        raise KeyPassError("IDENTITY_ENCRYPTION is on: set IDENTITY_ENCRYPTION=0 here and in every running "
                           "process first, or they would encrypt what this pass writes back.")
    state = unfinished(DECRYPT) or _start(DECRYPT, None)
    _walk(state, batch, progress)
    return _finish(state)


def needs_encryption() -> bool:
    """Whether any value is stored in plain text or lacks its blind index (one statement)."""
    plain = " OR ".join(f"({c} IS NOT NULL AND {c} NOT LIKE '{PREFIX}%')" for c in IDENTITY_COLUMNS)
    unindexed = "(complainant_phone IS NOT NULL AND phone_index IS NULL) OR name_index IS NULL"
    sql = f"SELECT 1 FROM complaint WHERE {plain} OR {unindexed} LIMIT 1"  # nosec B608 (constants)
    return db.session.execute(text(sql)).first() is not None


def rotate(batch: int = DEFAULT_BATCH, progress: Optional[ProgressFn] = None, grace: float = DEFAULT_GRACE,
           keep_old_keys: bool = False, sleep=time.sleep) -> IdentityPass:
    """Add a new key and bring every value under it (or resume the rotation that stopped), then
    retire the older keys (``keep_old_keys``: leave them in the keyring). See the module."""
    identity = cipher()
    if not identity.enabled:
        raise KeyPassError("IDENTITY_ENCRYPTION is off: there is nothing to rotate.")
    if identity.path is None:
        raise KeyPassError("The keys come from IDENTITY_KEYS: a rotation needs the keyring in a file "
                           "(IDENTITY_KEYS_FILE) that every running process reads.")
    state = unfinished(ROTATE)
    if state is None:
        keyring = read_keyring_file(identity.path)
        if keyring is None:
            raise KeyPassError(f"The keyring file {identity.path} is gone.")
        grown = keyring.with_new_key(clock.now().date())
        write_keyring_file(identity.path, grown)
        identity.refresh(force=True)
        if identity.current != grown.current:
            raise KeyPassError("The new key could not be taken into use; the keyring file is unchanged for readers.")
        state = _start(ROTATE, grown.current)
    else:
        identity.refresh(force=True)
        if identity.current != state.target_key:
            raise KeyPassError(f"An unfinished rotation brings the values under key {state.target_key}, but the "
                               f"keyring's current key is {identity.current}: restore the keyring file of that "
                               f"rotation, or finish it with that key current.")
    _walk(state, batch, progress)
    sleep(grace)
    for _ in range(MAX_SWEEPS):
        if not _sweep(state, batch, progress):
            break
        sleep(grace)
    else:
        raise KeyPassError("Values under older keys keep appearing: a process still writes with an older key "
                           "(does it read IDENTITY_KEYS_FILE?). Run the rotation again once it does.")
    retired = [] if keep_old_keys else _retire_older_keys(identity.path, state.target_key)
    return _finish(state, retired)


def _retire_older_keys(path: str, current: str) -> List[str]:
    """Move every key but ``current`` from the keyring file to ``<file>.retired``; their ids."""
    keyring = read_keyring_file(path)
    if keyring is None or keyring.current != current:
        raise KeyPassError("The keyring file changed during the rotation; older keys were kept.")
    older = [key_id for key_id in keyring.ids if key_id != current]
    if not older:
        return []
    retired_path = path + ".retired"
    kept = read_keyring_file(retired_path) if _exists(retired_path) else None
    keys = dict(kept.keys) if kept is not None else {}
    keys.update({key_id: keyring.keys[key_id] for key_id in older})
    # A keyring file of its own (the index key and the retired keys): restoring a backup taken
    # before the rotation needs the retired key added back (docs/security.md).
    write_keyring_file(retired_path, Keyring(keys, older[-1], keyring.index_key))
    write_keyring_file(path, keyring.without(older))
    cipher().refresh(force=True)
    return older


def _exists(path: str) -> bool:
    return os.path.exists(path)


# --- what is stored --------------------------------------------------------------------------------

KEY_IDS_SQL = [f"SELECT DISTINCT substr({column}, 1, {len(PREFIX) + 17}) FROM complaint WHERE {column} LIKE '{PREFIX}%'"  # nosec B608
               for column in IDENTITY_COLUMNS]  # constants only


def key_ids_from_prefixes(prefixes) -> set:
    """Key ids out of the ``substr`` prefixes ``KEY_IDS_SQL`` selects."""
    return {key_id_of(prefix + ":") for prefix in prefixes if prefix and key_id_of(prefix + ":")}


def key_ids_in_use() -> set:
    """The key ids the stored complaints and edit events name (a scan of the table)."""
    found = set()
    for sql in KEY_IDS_SQL:
        found |= key_ids_from_prefixes(row[0] for row in db.session.execute(text(sql)))
    events = db.session.execute(text(
        f"SELECT CAST(payload AS TEXT) FROM complaint_event WHERE name = 'edit' AND CAST(payload AS TEXT) LIKE '%{PREFIX}%'"))  # nosec B608
    for (payload_text,) in events:
        found |= set(_KEY_ID_IN_TEXT.findall(payload_text or ""))
    return found


_KEY_ID_IN_TEXT = re.compile(re.escape(PREFIX) + r"([a-z0-9]{1,16}):")


def key_ids_in_text(chunks) -> set:
    """The key ids named by encrypted values in a stream of text (a dump's data)."""
    found = set()
    for chunk in chunks:
        found |= set(_KEY_ID_IN_TEXT.findall(chunk))
    return found


def plain_values() -> int:
    """How many complaints still hold an identity value in plain text."""
    plain = " OR ".join(f"({c} IS NOT NULL AND {c} NOT LIKE '{PREFIX}%')" for c in IDENTITY_COLUMNS)
    return db.session.execute(text(f"SELECT COUNT(*) FROM complaint WHERE {plain}")).scalar()  # nosec B608


def status() -> dict:
    """The keyring (ids, fingerprints, the current one), the key ids the data name, plain values, and
    any unfinished pass — never a key."""
    identity = cipher()
    missing = sorted(key_ids_in_use() - set(identity.keyring.ids))
    return {
        "keys": identity.keyring.describe(),
        "in_use": sorted(key_ids_in_use()),
        "missing": missing,
        "plain": plain_values(),
        "encryption": identity.enabled,
        "file": identity.path,
        "unfinished": [(p.purpose, p.target_key, p.complaints_done, p.events_done)
                       for p in db.session.query(IdentityPass).filter(IdentityPass.finished_at.is_(None))],
    }


def check_keys_cover(key_ids) -> List[str]:
    """The key ids of ``key_ids`` this keyring does not hold."""
    return sorted(set(key_ids) - set(cipher().keyring.ids))


__all__ = ["rotate", "encrypt_existing", "decrypt_existing", "needs_encryption", "status", "key_ids_in_use",
           "key_ids_in_text", "check_keys_cover", "KeyPassError", "Progress", "KeyringError"]
