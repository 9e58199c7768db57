"""The complainant's identity encrypted at rest (§16, issue 24): keys, field encryption, blind indexes.

**Keyring.** The keys live outside the database, in the environment variable ``IDENTITY_KEYS`` or
the file ``IDENTITY_KEYS_FILE`` (default ``instance/identity_keys``, mode 0600), one entry a line::

    index:<32 random bytes, base64url>     the blind-index key (HMAC-SHA256), never rotated here
    k20261201a1b2:<32 random bytes, base64url>   an encryption key (AES-256-GCM); its id first
    k20270301c3d4:<...>                          the last key line is the current key

Values are written with the current key and read with whichever key their id names, so a new
key (``flask keys rotate``) is used for writing at once while the older ones stay readable until
every value has been re-encrypted. A process that finds a key id it does not hold reads the file
again (another process added a key); before each encryption it checks whether the file changed,
so writing moves to a new key within one write of the file being replaced.

**A stored value** is text (``ENC1:<key id>:<base64url of nonce ‖ ciphertext ‖ tag>``): AES-GCM with
a random 96-bit nonce, the field's name as associated data (a value moved into another column no
longer opens), the plain text padded to a multiple of 16 bytes (its exact length is not shown).
Text without the prefix is a value stored before encryption (read as it is; ``flask keys
encrypt-existing`` encrypts those).

**Blind indexes** make exact searches possible without decrypting: HMAC-SHA256 under the index
key of the field's purpose and its normal form, 128 bits as 32 hex characters. Equal values have
equal indexes; nothing else about the value can be learnt from one without the key.

Nothing here ever puts a key into a message, a log line or an exception: keys are named by their
id, and compared by a fingerprint (an HMAC of a fixed text under the key).
"""
import base64
import binascii
import hashlib
import hmac
import os
import re
import secrets
import threading
import unicodedata
from datetime import date
from typing import Dict, List, Optional, Tuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "ENC1:"
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16
PAD_BLOCK = 16
INDEX_ENTRY = "index"
INDEX_HEX = 32  # characters of a blind index: 128 bits
_KEY_ID = re.compile(r"[a-z0-9]{1,16}")
_AAD = b"complaints/identity/v1/"


class KeyringError(RuntimeError):
    """The keyring is missing, malformed or lacks a key a value needs. Never carries a key."""


class UndecryptableValue(KeyringError):
    """A stored value that does not open: its key is missing, or it was altered."""


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A new random 256-bit key, base64url."""
    return _b64encode(secrets.token_bytes(KEY_BYTES))


def new_key_id(today: Optional[date] = None, taken=()) -> str:
    """A new key id: ``k<yyyymmdd><4 hex>``, none of ``taken``."""
    stamp = (today or date.today()).strftime("%Y%m%d")
    while True:
        key_id = f"k{stamp}{secrets.token_hex(2)}"
        if key_id not in taken:
            return key_id


def fingerprint(key: bytes) -> str:
    """A short public name of a key (to compare keyrings without showing a key)."""
    return hmac.new(key, b"complaints identity key fingerprint", hashlib.sha256).hexdigest()[:16]


class Keyring:
    """Encryption keys by id (the last one current) and the blind-index key."""

    def __init__(self, keys: Dict[str, bytes], current: str, index_key: bytes):
        self.keys = dict(keys)
        self.current = current
        self.index_key = index_key

    @property
    def ids(self) -> List[str]:
        return list(self.keys)

    @classmethod
    def parse(cls, text: str, source: str = "the keyring") -> "Keyring":
        """Read the keyring format above (lines, or entries separated by ``;`` or spaces in an
        environment variable). Errors name the line, never its content."""
        keys: Dict[str, bytes] = {}
        index_key = None
        current = None
        lines = [line.partition("#")[0] for line in (text or "").splitlines()]
        entries = [entry for line in lines for entry in re.split(r"[;\s]+", line) if entry]
        number = 0
        for entry in entries:
            number += 1
            name, separator, encoded = entry.partition(":")
            if not separator:
                raise KeyringError(f"Entry {number} of {source} is not '<key id>:<key>'.")
            try:
                key = _b64decode(encoded)
            except (binascii.Error, ValueError):
                raise KeyringError(f"Entry {number} of {source} is not base64.") from None
            if len(key) != KEY_BYTES:
                raise KeyringError(f"Entry {number} of {source} is not a {KEY_BYTES * 8}-bit key.")
            if name == INDEX_ENTRY:
                if index_key is not None:
                    raise KeyringError(f"{source} has more than one index key.")
                index_key = key
                continue
            if not _KEY_ID.fullmatch(name):
                raise KeyringError(f"Entry {number} of {source}: a key id is 1-16 lower-case letters or digits.")
            if name in keys:
                raise KeyringError(f"{source} names key {name} twice.")
            keys[name] = key
            current = name
        if index_key is None:
            raise KeyringError(f"{source} has no blind-index key (a line 'index:<key>').")
        if not keys:
            raise KeyringError(f"{source} has no encryption key.")
        if index_key in keys.values():
            raise KeyringError(f"{source} uses one key for encryption and for the blind index.")
        return cls(keys, current, index_key)

    def text(self) -> str:
        """The keyring in its file format (for writing the file; never printed)."""
        lines = ["# Complainant identity keys (issue 24). Secret: keep out of backups, logs and tickets.",
                 f"{INDEX_ENTRY}:{_b64encode(self.index_key)}"]
        lines += [f"{key_id}:{_b64encode(key)}" for key_id, key in self.keys.items()]
        return "\n".join(lines) + "\n"

    def with_new_key(self, today: Optional[date] = None) -> "Keyring":
        """This keyring plus a new current key."""
        key_id = new_key_id(today, taken=self.keys)
        return Keyring({**self.keys, key_id: _b64decode(new_key())}, key_id, self.index_key)

    def without(self, key_ids) -> "Keyring":
        """This keyring less ``key_ids`` (never the current key)."""
        keep = {k: v for k, v in self.keys.items() if k not in set(key_ids) or k == self.current}
        return Keyring(keep, self.current, self.index_key)

    def describe(self) -> List[Tuple[str, str, bool]]:
        """(key id, fingerprint, current) of every encryption key."""
        return [(key_id, fingerprint(key), key_id == self.current) for key_id, key in self.keys.items()]

    @staticmethod
    def generate(today: Optional[date] = None) -> "Keyring":
        """A new keyring: one encryption key and the blind-index key."""
        key_id = new_key_id(today)
        return Keyring({key_id: _b64decode(new_key())}, key_id, _b64decode(new_key()))


def read_keyring_file(path: str) -> Optional[Keyring]:
    """The keyring in ``path``, or None when the file does not exist."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise KeyringError(f"The identity key file {path} cannot be read ({type(error).__name__}).") from None
    return Keyring.parse(text, f"the identity key file {path}")


def write_keyring_file(path: str, keyring: Keyring, exclusive: bool = False) -> None:
    """Write ``keyring`` to ``path`` (mode 0600) atomically: a new file renamed over the old one,
    so a process reading it sees the old or the new keyring, never half of one. ``exclusive``:
    refuse when the file exists."""
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if exclusive and os.path.exists(path):
        raise FileExistsError(path)
    partial = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(4)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            os.fchmod(handle.fileno(), 0o600)
            handle.write(keyring.text())
            handle.flush()
            os.fsync(handle.fileno())
        if exclusive:
            os.link(partial, path)  # fails if another process created the file meanwhile
            os.remove(partial)
        else:
            os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _pad(data: bytes) -> bytes:
    """ISO/IEC 7816-4 padding: 0x80 then zeros up to a multiple of the block."""
    data += b"\x80"
    return data + b"\x00" * (-len(data) % PAD_BLOCK)


def _unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80"):
        raise ValueError("bad padding")
    return end[:-1]


def normal_name(value) -> str:
    """A name as its blind index compares it: NFKC (full-width letters as ASCII), no whitespace,
    Latin letters in one case. "张 三", "张三" and "张三 " are one name; "Li Na" and "li na" too."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value))).casefold()


class IdentityCipher:
    """Encrypts and decrypts identity values and computes blind indexes with a keyring.

    ``path``: the keyring file, re-read when it changes (a key added by a rotation). ``enabled``
    False (development and the bench's comparison only; production refuses it) writes plain text
    and still reads encrypted values and computes blind indexes."""

    def __init__(self, keyring: Keyring, path: Optional[str] = None, enabled: bool = True):
        self._lock = threading.Lock()
        self.path = path
        self.enabled = enabled
        self._stamp = self._file_stamp()
        self._use(keyring)

    # -- the keyring, kept current ------------------------------------------------------------
    def _use(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self._aead = {key_id: AESGCM(key) for key_id, key in keyring.keys.items()}
        self._index_key = keyring.index_key

    def _file_stamp(self):
        if not self.path:
            return None
        try:
            info = os.stat(self.path)
        except OSError:
            return None
        return info.st_ino, info.st_mtime_ns, info.st_size

    def refresh(self, force: bool = False) -> bool:
        """Read the keyring file again if it changed (or ``force``); True when keys changed.
        A file that became unreadable or malformed keeps the keys already held."""
        if not self.path:
            return False
        stamp = self._file_stamp()
        if stamp == self._stamp and not force:
            return False
        with self._lock:
            try:
                keyring = read_keyring_file(self.path)
            except KeyringError:
                return False
            self._stamp = stamp
            if keyring is None or keyring.index_key != self._index_key:
                # A different blind-index key would silently break every search: keep ours.
                return False
            # Keys leave the file only when a rotation has finished with them: keep reading them
            # in this process (a value written just before might still name one).
            merged = {**self.keyring.keys, **keyring.keys}
            ordered = {k: merged[k] for k in [*self.keyring.keys, *keyring.keys] if k != keyring.current}
            ordered[keyring.current] = keyring.keys[keyring.current]
            self._use(Keyring(ordered, keyring.current, self._index_key))
            return True

    @property
    def current(self) -> str:
        return self.keyring.current

    # -- values --------------------------------------------------------------------------------
    def seal(self, field: str, value) -> Optional[str]:
        """``value`` (text) as stored in ``field``: encrypted under the current key."""
        if value is None:
            return None
        text = str(value)
        if not self.enabled:
            return text
        self.refresh()
        key_id = self.keyring.current
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self._aead[key_id].encrypt(nonce, _pad(text.encode("utf-8")), _AAD + field.encode("ascii"))
        return f"{PREFIX}{key_id}:{_b64encode(nonce + sealed)}"

    def open(self, field: str, stored) -> Optional[str]:
        """The text of a stored value of ``field``: decrypted, or a value stored before
        encryption as it is. Raises ``UndecryptableValue`` (naming only the key id)."""
        if stored is None:
            return None
        if not is_sealed(stored):
            return stored
        key_id, _, body = stored[len(PREFIX):].partition(":")
        aead = self._aead.get(key_id)
        if aead is None and self.refresh(force=True):
            aead = self._aead.get(key_id)
        if aead is None:
            raise UndecryptableValue(
                f"A value of {field} is encrypted with key {key_id!r}, which this keyring does not hold "
                f"(IDENTITY_KEYS / IDENTITY_KEYS_FILE).")
        try:
            raw = _b64decode(body)
            plain = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _AAD + field.encode("ascii"))
            return _unpad(plain).decode("utf-8")
        except (InvalidTag, ValueError, binascii.Error, UnicodeDecodeError):
            raise UndecryptableValue(f"A value of {field} under key {key_id!r} does not open (altered or moved).") from None

    def blind_index(self, purpose: str, normal: Optional[str]) -> Optional[str]:
        """HMAC-SHA256 of ``purpose`` and a value already in its normal form, or None for none."""
        if normal is None or normal == "":
            return None
        digest = hmac.new(self._index_key, purpose.encode("ascii") + b"\x00" + normal.encode("utf-8"), hashlib.sha256)
        return digest.hexdigest()[:INDEX_HEX]

    def under_current(self, stored) -> bool:
        """Whether a stored value is encrypted with the current key (or is no value)."""
        return stored is None or stored.startswith(f"{PREFIX}{self.keyring.current}:")


def is_sealed(stored) -> bool:
    return isinstance(stored, str) and stored.startswith(PREFIX)


def key_id_of(stored) -> Optional[str]:
    """The key id a stored value names, or None for plain text."""
    if not is_sealed(stored):
        return None
    return stored[len(PREFIX):].partition(":")[0]


EXTENSION = "identity_cipher"


def cipher(app=None) -> IdentityCipher:
    """The application's cipher (``app`` or the current one)."""
    if app is None:
        from flask import current_app

        app = current_app._get_current_object()
    try:
        return app.extensions[EXTENSION]
    except KeyError:
        raise KeyringError("The application has no identity keyring (create_app installs it).") from None


def install(app, keyring: Keyring, path: Optional[str], enabled: bool) -> IdentityCipher:
    """Give ``app`` its cipher (``create_app``)."""
    app.extensions[EXTENSION] = IdentityCipher(keyring, path, enabled)
    return app.extensions[EXTENSION]
