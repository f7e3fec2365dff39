"""Keyed pseudonymisation of person ids (SPEC §9).

The key is created at ``qunkpi init``, stored in ``.secret/pseudonym.key`` with mode 0600, never printed and
never exported. The same raw id always maps to the same pseudonym inside one workspace, so tables imported at
different times still join, and re-importing a file is idempotent.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

PREFIX = "u_"
KEY_FILE = Path(".secret") / "pseudonym.key"


def create_key(ws_path: Path) -> None:
    path = ws_path / KEY_FILE
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    os.chmod(path, 0o600)


def read_key(ws_path: Path) -> bytes:
    return bytes.fromhex((ws_path / KEY_FILE).read_text().strip())


class Pseudonymizer:
    """Maps raw ids to ``u_`` + 16 hex digits of HMAC-SHA256(key, id)."""

    def __init__(self, key: bytes | None) -> None:
        self._key = key

    @property
    def enabled(self) -> bool:
        return self._key is not None

    def one(self, raw: str) -> str:
        if self._key is None:
            return raw
        if is_pseudonym(raw):
            return raw
        return PREFIX + hmac.new(self._key, raw.encode("utf-8"), hashlib.sha256).hexdigest()[:16]

    def array(self, values: pa.Array | pa.ChunkedArray) -> pa.Array:
        """Vectorised over the distinct values: hashing cost grows with the number of people, not rows."""
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        if self._key is None or len(values) == 0:
            return values
        values = values.cast(pa.string())
        uniques = pc.unique(values)
        mapped = pa.array([None if u is None else self.one(u) for u in uniques.to_pylist()], pa.string())
        idx = pc.index_in(values, value_set=uniques)
        return pc.take(mapped, idx)


def is_pseudonym(value: str) -> bool:
    return len(value) == len(PREFIX) + 16 and value.startswith(PREFIX) and all(c in "0123456789abcdef" for c in value[2:])
