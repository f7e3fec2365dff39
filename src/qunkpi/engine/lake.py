"""Export a workspace as a partitioned Parquet lake (the canonical tables plus stored classes) for Spark.

Layout: ``DIR/<table>/`` per table (``messages`` and ``message_labels`` partitioned by ``community_id``), and
``DIR/qunkpi-lake.json`` with the settings metrics need (time zone, metric settings, staff ids as stored pseudonyms).
The pseudonymisation key is never exported.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qunkpi.errors import QunkpiError
from qunkpi.i18n import tr
from qunkpi.workspace.schema import LABEL_MESSAGE_COLUMNS, TABLES

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

LAKE_TABLES = [*TABLES, "message_labels"]
PARTITIONED = {"messages": "community_id", "message_labels": "community_id"}
MANIFEST = "qunkpi-lake.json"


def export_lake(ws: Workspace, out: Path, overwrite: bool = False) -> dict[str, int]:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise QunkpiError(tr(f"{out} 不为空；加 --overwrite 覆盖", f"{out} is not empty; pass --overwrite to replace it"))
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    for t in LAKE_TABLES:
        row = ws.con.execute(f'SELECT count(*) FROM "{t}"').fetchall()
        counts[t] = int(row[0][0])
        target = out / t
        part = PARTITIONED.get(t)
        if part and counts[t]:
            ws.con.execute(f"COPY ({_select(ws, t)}) TO '{target}' (FORMAT parquet, PARTITION_BY ({part}), OVERWRITE_OR_IGNORE)")
        else:
            target.mkdir()
            ws.con.execute(f"COPY (SELECT * FROM \"{t}\") TO '{target / 'part-0.parquet'}' (FORMAT parquet)")
    from qunkpi.engine.api import staff_ids_of

    manifest: dict[str, Any] = {
        "timezone": ws.settings.timezone,
        "settings": ws.settings.model_dump(mode="json"),
        "staff_ids": staff_ids_of(ws),
        "rows": counts,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return counts


def _select(ws: Workspace, table: str) -> str:
    """The rows of ``table`` to export; stored labels take their message's community (their partition key)."""
    if table == "message_labels":
        cols = ws.columns("message_labels")
        # the label's own columns and its message's community (the partition key); the copies of message columns
        # it carries for the metric engine stay out (the lake has the messages)
        carried = [c for c in LABEL_MESSAGE_COLUMNS if c in cols]
        own = f"l.* EXCLUDE ({', '.join(carried)})" if carried else "l.*"
        if "community_id" not in cols:
            return f"SELECT {own}, m.community_id FROM message_labels l JOIN messages m USING (message_id)"
        return f"SELECT {own} FROM message_labels l"
    return f'SELECT * FROM "{table}"'


def read_manifest(lake: Path) -> dict[str, Any]:
    path = lake / MANIFEST
    if not path.exists():
        raise QunkpiError(tr(f"{lake} 不是 qunkpi 导出的数据湖（缺少 {MANIFEST}）；先运行 qunkpi export",
                             f"{lake} is not a qunkpi lake (no {MANIFEST}); run `qunkpi export` first"))
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data
