#!/usr/bin/env python3
"""Create the complainant identity keyring once (``make identity-keys``; ``make run`` and ``make
seed`` run it first, ``make deploy`` does not: a production server is given its keyring, see
docs/deploy.md).

Writes ``IDENTITY_KEYS_FILE`` (default ``instance/identity_keys``; a relative path is taken from the
project directory, as in config.py), mode 0600: the blind-index key and one encryption key, each
32 random bytes (the format of ``app/crypto.py``). An existing file is never overwritten: the
stored identity can only be read with the keys in it. Nothing is written when ``IDENTITY_KEYS``
is set in the environment. The keys are never printed. Standard library only.
"""
import base64
import os
import secrets
import sys
from datetime import date

from secret_key import write_private_file  # this directory: run as scripts/identity_keys.py

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join("instance", "identity_keys")


def keyring_path(environ=os.environ) -> str:
    """Where the keyring lives: ``IDENTITY_KEYS_FILE``, else ``instance/identity_keys``."""
    path = environ.get("IDENTITY_KEYS_FILE") or DEFAULT
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def _key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")


def keyring_text(today=None) -> str:
    """A new keyring: the blind-index key and one encryption key (app/crypto.py's format)."""
    key_id = f"k{(today or date.today()).strftime('%Y%m%d')}{secrets.token_hex(2)}"
    return ("# Complainant identity keys (issue 24). Secret: keep out of backups, logs and tickets.\n"
            f"index:{_key()}\n{key_id}:{_key()}\n")


def create_keyring_file(path: str) -> bool:
    """Write a new keyring to ``path`` (mode 0600) unless the file exists; True if written."""
    return write_private_file(path, keyring_text())


def main() -> int:
    if os.environ.get("IDENTITY_KEYS"):
        return 0
    path = keyring_path()
    if create_keyring_file(path):
        shown = os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path
        print(f"Created the complainant identity keyring {shown} (mode 0600). Back it up apart from the database: "
              f"without it the stored identities cannot be read.")
    elif os.path.getsize(path) == 0:
        print(f"{path} is empty: remove it and run `make identity-keys` again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
