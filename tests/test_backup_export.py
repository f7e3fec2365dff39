"""Backup/restore round trip and the Parquet lake export."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from qunkpi.engine.lake import export_lake
from qunkpi.errors import QunkpiError
from qunkpi.workspace import Workspace
from qunkpi.workspace.backup import backup, restore


def test_backup_restore_round_trip(tiny_ws: Workspace, tmp_path: Path) -> None:
    before = tiny_ws.table_counts()
    metrics = tiny_ws.metrics("2026-10").value.tolist()
    pid = tiny_ws.person_id("m1")
    archive = backup(tiny_ws, tmp_path / "ws.tar.gz")
    assert archive.stat().st_mode & 0o777 == 0o600
    restored = restore(archive, tmp_path / "restored")
    assert restored.table_counts() == before
    assert restored.metrics("2026-10").value.tolist() == metrics
    assert restored.person_id("m1") == pid  # same key → same pseudonyms
    with pytest.raises(QunkpiError):
        restore(archive, tmp_path / "restored")  # refuses to overwrite


def test_damaged_backup_is_refused(tiny_ws: Workspace, tmp_path: Path) -> None:
    archive = tmp_path / "x.tar.gz"
    archive.write_bytes(b"not a tar file")
    with pytest.raises(Exception):  # noqa: B017 - tarfile raises ReadError; nothing may be restored
        restore(archive, tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_export_lake_has_no_key_and_all_rows(tiny_ws: Workspace, tmp_path: Path) -> None:
    counts = export_lake(tiny_ws, tmp_path / "lake")
    assert counts["members"] == 13
    assert pq.read_table(tmp_path / "lake" / "members").num_rows == 13
    key = (tiny_ws.path / ".secret" / "pseudonym.key").read_text().strip()
    for f in (tmp_path / "lake").rglob("*"):
        if f.is_file():
            assert key.encode() not in f.read_bytes()
    with pytest.raises(QunkpiError):
        export_lake(tiny_ws, tmp_path / "lake")
