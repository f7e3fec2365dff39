"""Read-only snapshots of a workspace database for the dashboard.

DuckDB lets one process write a database file or several read it, not both. ``qunkpi serve`` therefore never
keeps the live file open: it reads a copy (``.serve/snapshot-N.duckdb``) and takes a new copy when the live file
has changed and no writer has it open. Imports run while the dashboard is up; the dashboard shows the previous
data until the import is over, then switches (without a restart).

A copy is taken optimistically: probe that no writer holds the file (a read-only connect succeeds), copy it, and
keep the copy only if the live file's size and modification time did not change during the copy and no WAL
file appeared (a writer that started meanwhile invalidates it).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from qunkpi.errors import WorkspaceBusy
from qunkpi.i18n import tr
from qunkpi.workspace.config import load_settings
from qunkpi.workspace.workspace import CONFIG_FILE, DB_FILE, Workspace

SNAP_DIR = ".serve"


@dataclass(frozen=True)
class FileState:
    size: int
    mtime_ns: int
    wal: bool


def state(db: Path) -> FileState:
    st = db.stat()
    return FileState(st.st_size, st.st_mtime_ns, db.with_name(db.name + ".wal").exists())


class Snapshots:
    def __init__(self, ws_path: Path) -> None:
        self.ws_path = ws_path
        self.live = ws_path / DB_FILE
        self.dir = ws_path / SNAP_DIR
        self.taken: FileState | None = None
        self._n = 0

    def changed(self) -> bool:
        return self.taken is None or state(self.live) != self.taken

    def take(self) -> Path | None:
        """A fresh consistent copy of the live database, or None when a writer is busy with it right now."""
        before = state(self.live)
        if before.wal:
            return None  # a writer is active, or one crashed (its WAL is replayed by the next writer)
        try:
            duckdb.connect(str(self.live), read_only=True).close()
        except duckdb.IOException:
            return None  # a writer holds the file
        self.dir.mkdir(exist_ok=True, mode=0o700)
        self._n += 1
        target = self.dir / f"snapshot-{self._n}.duckdb"
        tmp = target.with_suffix(".partial")
        shutil.copyfile(self.live, tmp)
        if state(self.live) != before:
            tmp.unlink(missing_ok=True)
            return None
        tmp.rename(target)
        self.taken = before
        return target

    def open(self, wait_s: float = 60.0) -> Workspace:
        """The workspace, reading the newest snapshot (waits for a running writer up to ``wait_s``)."""
        import time

        deadline = time.monotonic() + wait_s
        while (snap := self.take()) is None:
            if time.monotonic() > deadline:
                raise WorkspaceBusy(tr(f"{self.ws_path}：工作区正被写入，稍后再启动", f"{self.ws_path}: the workspace is being written; start again later"))
            time.sleep(0.5)
        return self.workspace(snap)

    def workspace(self, snap: Path) -> Workspace:
        return Workspace(self.ws_path, load_settings(self.ws_path / CONFIG_FILE), read_only=True, db_file=snap)

    def prune(self, keep: Path) -> None:
        for f in self.dir.glob("snapshot-*.duckdb"):
            if f != keep:
                f.unlink(missing_ok=True)
