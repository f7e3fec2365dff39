"""Dashboard snapshots: a consistent copy, refused while a writer holds the file, refreshed after changes."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import TINY

from qunkpi.importers.canonical import import_path
from qunkpi.workspace import Workspace
from qunkpi.workspace.snapshot import Snapshots


def test_snapshot_follows_the_live_database(tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    ws.close()
    snaps = Snapshots(tmp_path / "ws")
    first = snaps.open()
    assert first.table_counts()["members"] == 0
    assert not snaps.changed()
    live = Workspace.open(tmp_path / "ws")
    import_path(live, TINY)
    # while the importing process still has the file open, no snapshot is taken
    assert snaps.take() is None
    live.close()
    assert snaps.changed()
    snap = snaps.take()
    assert snap is not None
    second = snaps.workspace(snap)
    assert second.table_counts()["members"] == 13
    assert first.table_counts()["members"] == 0  # the old snapshot is untouched until pruned
    first.close()
    snaps.prune(keep=snap)
    assert [p.name for p in snaps.dir.glob("snapshot-*.duckdb")] == [snap.name]
    second.close()


def test_a_writer_in_another_process_blocks_the_copy(tmp_path: Path) -> None:
    Workspace.init(tmp_path / "ws").close()
    code = (
        "import sys, time; from qunkpi.workspace import Workspace; w = Workspace.open(sys.argv[1]); "
        "w.con.execute('select 1').fetchall(); print('OPEN', flush=True); time.sleep(30)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "ws")], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "OPEN"
        snaps = Snapshots(tmp_path / "ws")
        t = time.monotonic()
        assert snaps.take() is None
        assert time.monotonic() - t < 5
    finally:
        proc.kill()
        proc.wait()
