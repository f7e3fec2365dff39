"""Backup and restore of a whole workspace (database, settings, lexicons, plans, key) as one tar.gz file.

The archive contains the pseudonymisation key (a restored workspace must map ids the same way), so it is written
with mode 0600 and must be kept as safely as the workspace itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import tarfile
import tempfile
from datetime import datetime
from pathlib import Path

from qunkpi.errors import QunkpiError, WorkspaceError
from qunkpi.i18n import tr
from qunkpi.workspace.snapshot import SNAP_DIR
from qunkpi.workspace.workspace import CONFIG_FILE, DB_FILE, LOCK_FILE, Workspace

MANIFEST = "qunkpi-backup.json"


def backup(ws: Workspace, out: Path) -> Path:
    with ws.writing():
        ws.con.execute("CHECKPOINT")
        ws.close()
        fd, tmp = tempfile.mkstemp(dir=out.parent if out.parent.exists() else None, suffix=".partial")
        os.close(fd)
        os.chmod(tmp, 0o600)
        # Not the lock file, not the dashboard's snapshot copies (.serve/: derived, as large as the database).
        files = sorted(
            p
            for p in ws.path.rglob("*")
            if p.is_file() and p.name != LOCK_FILE and not p.name.endswith(".wal") and SNAP_DIR not in p.relative_to(ws.path).parts
        )
        manifest = {
            "created_at": datetime.now().isoformat(timespec="seconds"),
            "files": {str(p.relative_to(ws.path)): _sha256(p) for p in files},
        }
        with tarfile.open(tmp, "w:gz") as tar:
            for p in files:
                tar.add(p, arcname=str(p.relative_to(ws.path)))
            mpath = Path(tempfile.mkdtemp()) / MANIFEST
            mpath.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            tar.add(mpath, arcname=MANIFEST)
        os.replace(tmp, out)  # atomic: a crash never leaves a half-written backup under the final name
    return out


def restore(archive: Path, target: Path, force: bool = False) -> Workspace:
    if target.exists() and any(target.iterdir()) and not force:
        raise WorkspaceError(tr(f"{target} 已存在且不为空；换一个目标文件夹或加 --force", f"{target} exists and is not empty; choose another folder or pass --force"))
    if not archive.exists():
        raise QunkpiError(tr(f"{archive} 不存在", f"{archive} does not exist"))
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=target.parent if target.parent.exists() else None))
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(staging, filter="data")
    mpath = staging / MANIFEST
    if not mpath.exists() or not (staging / CONFIG_FILE).exists() or not (staging / DB_FILE).exists():
        raise QunkpiError(tr(f"{archive} 不是 qunkpi 备份文件", f"{archive} is not a qunkpi backup"))
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    for rel, digest in manifest["files"].items():
        if _sha256(staging / rel) != digest:
            raise QunkpiError(tr(f"备份文件损坏：{rel} 校验失败", f"the backup is damaged: {rel} does not match its checksum"))
    mpath.unlink()
    key = staging / ".secret" / "pseudonym.key"
    if key.exists():
        os.chmod(key, 0o600)
    if target.exists():
        import shutil

        shutil.rmtree(target)
    os.replace(staging, target)
    return Workspace.open(target)


def _sha256(p: Path) -> str:
    h = hashlib.sha256()
    with p.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()
