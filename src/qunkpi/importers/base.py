"""Shared types of the export-format converters.

A converter turns one exported file into canonical rows (SPEC §2) without touching a workspace:
``convert(path, opts) -> Converted``. Values are strings (the canonical loader casts and validates them);
timestamps are ISO 8601 strings with their UTC offset. Converters never raise on a bad row: they record a
:class:`~qunkpi.errors.Problem` (file, line, column) or count a skip reason, and go on with the next row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from qunkpi.errors import Problem

DEFAULT_TIMEZONE = "Asia/Shanghai"
#: Column holding the source line/row number of a row (the canonical loader names problems with it).
ROW_COL = "__row"


@dataclass
class ConvertOptions:
    timezone: str = DEFAULT_TIMEZONE
    community: str | None = None  # --community
    account: str | None = None  # --account
    as_of: datetime | None = None  # --as-of for member snapshots
    mapping: Path | None = None  # --mapping
    staff_ids: frozenset[str] = frozenset()  # raw ids the user lists as staff (workspace config)
    self_is_member: bool = False  # personal WeChat: the exporting account is a member, not staff


@dataclass
class Converted:
    #: canonical table name -> rows with canonical column names (extra columns are kept by the loader)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    #: recall audit: message_id (the recalled original), community_id, sender_id, recalled_at
    recalls: pa.Table | None = None
    #: one-to-one chats: message_id, conversation_id, staff_id, sender_id, sent_at, msg_type, text, from_staff
    service_messages: pa.Table | None = None
    rows_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    #: tables whose rows are guesses made from another kind of data (a community seen only in messages, a
    #: staff member seen only as a sender): they are added when absent and never overwrite a stored row.
    insert_only: frozenset[str] = frozenset()
    #: communities of which this file is a complete member list (used with ``--as-of``)
    snapshot_communities: frozenset[str] = frozenset()
    #: leaves whose join is not in this file: community_id, member_id, left_at, quit_scene; the import
    #: closes the stored open spell of that member (member_id null = everyone: the group was dismissed)
    leaves: pa.Table | None = None

    def row_count(self, table: str) -> int:
        t = self.tables.get(table)
        return 0 if t is None else t.num_rows


Converter = Callable[[Path, ConvertOptions], Converted]


def _cell(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


def rows_to_table(rows: Iterable[dict[str, Any]], columns: list[str] | None = None) -> pa.Table:
    """Rows (dicts) to an all-string Arrow table; the column order is first-seen (or ``columns``)."""
    rows = list(rows)
    cols: list[str] = list(columns or [])
    seen = set(cols)
    for r in rows:
        for k in r:
            if k not in seen:
                seen.add(k)
                cols.append(k)
    data: dict[str, pa.Array] = {}
    for c in cols:
        if c == ROW_COL:
            # Line/row numbers in the source file, so the loader's problems name them; kept only when
            # every row has one.
            nums = [r.get(c) for r in rows]
            if all(isinstance(n, int) for n in nums):
                data[c] = pa.array(nums, pa.int64())
            continue
        data[c] = pa.array([_cell(r.get(c)) for r in rows], pa.string())
    return pa.table(data) if data else pa.table({c: pa.array([], pa.string()) for c in cols if c != ROW_COL})


class Collector:
    """Accumulates rows, skips and problems while a converter walks a file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.file = str(path)
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.recalls: list[dict[str, Any]] = []
        self.service: list[dict[str, Any]] = []
        self.leaves: list[dict[str, Any]] = []
        self.rows_read = 0
        self.skipped: Counter[str] = Counter()
        self.problems: list[Problem] = []
        self.insert_only: set[str] = set()
        self.snapshot_communities: set[str] = set()

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] += n

    def problem(self, row: int | None, column: str | None, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, row, column, message, hint))

    def result(self, columns: dict[str, list[str]] | None = None) -> Converted:
        columns = columns or {}
        return Converted(
            tables={name: rows_to_table(rows, columns.get(name)) for name, rows in self.rows.items() if rows},
            recalls=rows_to_table(self.recalls, ["message_id", "community_id", "sender_id", "recalled_at"])
            if self.recalls
            else None,
            service_messages=rows_to_table(self.service, list(SERVICE_COLUMNS)) if self.service else None,
            rows_read=self.rows_read,
            skipped=self.skipped,
            problems=self.problems,
            insert_only=frozenset(self.insert_only),
            snapshot_communities=frozenset(self.snapshot_communities),
            leaves=rows_to_table(self.leaves, ["community_id", "member_id", "left_at", "quit_scene"])
            if self.leaves
            else None,
        )


SERVICE_COLUMNS = (
    "message_id",
    "conversation_id",
    "staff_id",
    "sender_id",
    "sent_at",
    "msg_type",
    "text",
    "from_staff",
)
