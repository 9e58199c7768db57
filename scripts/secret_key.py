#!/usr/bin/env python3
"""Create the application's secret key file once (``make secret-key``; ``make run``, ``deploy``
and ``seed`` run it first).

Writes 64 random hex characters to ``SECRET_KEY_FILE`` (default ``instance/secret_key``; a
relative path is taken from the project directory, as in config.py), mode 0600. An existing file
is never overwritten: the key signs every session and token, and replacing it logs everyone out.
Nothing is written when ``SECRET_KEY`` is set in the environment (that key wins anyway). The key
is never printed. Standard library only: it runs before any dependency is installed.
"""
import os
import secrets
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT = os.path.join("instance", "secret_key")


def key_file_path(environ=os.environ) -> str:
    """Where the key file lives: ``SECRET_KEY_FILE``, else ``instance/secret_key``."""
    path = environ.get("SECRET_KEY_FILE") or DEFAULT
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


def create_key_file(path: str) -> bool:
    """Write a new random key to ``path`` (mode 0600) unless the file exists; True if written."""
    return write_private_file(path, secrets.token_hex(32) + "\n")


def write_private_file(path: str, text: str) -> bool:
    """Write ``text`` to a new file ``path`` (mode 0600, its directory made) unless the file exists;
    True if written. A secret is never overwritten (also used by scripts/identity_keys.py)."""
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, exist_ok=True)
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)
        handle.write(text)
    return True


def main() -> int:
    if os.environ.get("SECRET_KEY"):
        return 0
    path = key_file_path()
    if create_key_file(path):
        shown = os.path.relpath(path, ROOT) if path.startswith(ROOT + os.sep) else path
        print(f"Created a new secret key in {shown} (mode 0600). Keep it private; replacing it ends every session.")
    elif os.path.getsize(path) == 0:
        print(f"{path} is empty: remove it and run `make secret-key` again.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
