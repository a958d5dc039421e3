"""Keyed pseudonyms for patients: HMAC-SHA256 of the identifier with a per-installation key.

The key lives in its own file beside the live database (``<db>.live.key``, mode 0600), never in
the repository and never inside the database, so a copy of the database alone cannot be
re-identified by hashing candidate NHS numbers.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path


def load_or_create_key(path: Path) -> bytes:
    if path.exists():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    return bytes.fromhex(path.read_text().strip())


class Pseudonymiser:
    def __init__(self, key: bytes):
        self._key = key

    def __call__(self, identifier: str, authority: str = "") -> str:
        digest = hmac.new(self._key, f"{authority}|{identifier}".encode(), hashlib.sha256).hexdigest()
        return "P-" + digest[:16]
