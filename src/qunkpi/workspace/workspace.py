"""A workspace: one folder with one DuckDB database, qunkpi.toml and the pseudonymisation key."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from qunkpi.errors import WorkspaceBusy, WorkspaceError
from qunkpi.i18n import tr
from qunkpi.workspace import keys
from qunkpi.workspace.config import DEFAULT_TOML, Settings, load_settings
from qunkpi.workspace.schema import LABEL_COLUMNS_COMPRESSED, LABEL_TYPES_SQL, TABLES, create_table_sql

if TYPE_CHECKING:
    import ibis
    import pandas as pd

DB_FILE = "qunkpi.duckdb"
CONFIG_FILE = "qunkpi.toml"
LOCK_FILE = ".lock"
# kv keys: a token renewed by every write to ``messages``, and the token the stored labels were made under
MESSAGES_VERSION_KEY = "messages_version"
LABELS_VERSION_KEY = "labels_version"
# A new token whenever the classifier writes labels; with LABEL_DELTA_TABLE (the message ids an incremental run
# relabelled or dropped) and the two keys below it lets the metric engine's stored ``message_facts`` follow an
# incremental classification without a rebuild (qunkpi.engine.facts).
LABELS_WRITE_KEY = "labels_written"
LABEL_DELTA_TABLE = "label_delta"
LABEL_DELTA_BASE_KEY = "label_delta_base"  # the labels_written token the delta applies to
LABEL_DELTA_RESULT_KEY = "label_delta_result"  # the labels_written token after it
FACTS_TABLE = "message_facts"
# The (community_id, day) pairs whose messages were inserted or changed since the messages were at the version
# kv ``touched_base`` (up to the version ``touched_result``): the classifier then looks for stale labels on those
# days only instead of comparing every message with its label. Writers that cannot say what they changed end
# the chain (Workspace.messages_changed without ``touched``), and the classifier falls back to the full check.
MESSAGES_TOUCHED_TABLE = "messages_touched"
TOUCHED_BASE_KEY = "touched_base"
TOUCHED_RESULT_KEY = "touched_result"

# Bookkeeping tables beside the canonical ones.
META_SQL = [
    """CREATE TABLE IF NOT EXISTS import_log (
        import_id VARCHAR, imported_at TIMESTAMP, file VARCHAR, sha256 VARCHAR, format VARCHAR,
        "table" VARCHAR, rows_read BIGINT, rows_inserted BIGINT, rows_updated BIGINT, rows_skipped BIGINT,
        note VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS recall_audit (
        message_id VARCHAR, community_id VARCHAR, sender_id VARCHAR, recalled_at TIMESTAMP, source VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS service_messages (
        message_id VARCHAR, conversation_id VARCHAR, staff_id VARCHAR, sender_id VARCHAR, sent_at TIMESTAMP,
        msg_type VARCHAR, text VARCHAR, from_staff BOOLEAN)""",
    """CREATE TABLE IF NOT EXISTS kv (k VARCHAR PRIMARY KEY, v VARCHAR)""",
    # Stored message classes (SPEC §4), written by qunkpi.classify.engine.classify_workspace.
    *LABEL_TYPES_SQL,
    f"CREATE TABLE IF NOT EXISTS message_labels ({LABEL_COLUMNS_COMPRESSED})",
]


class Workspace:
    """Open with :func:`qunkpi.open` or :meth:`Workspace.open`; create with :meth:`Workspace.init`."""

    def __init__(self, path: Path, settings: Settings, read_only: bool = False, db_file: Path | None = None) -> None:
        self.path = path
        self._db_file = db_file  # a snapshot copy to read instead of the live database (qunkpi serve)
        self.settings = settings
        self.read_only = read_only
        self._con: duckdb.DuckDBPyConnection | None = None
        self._pseudo: keys.Pseudonymizer | None = None
        self._lock_fd: int | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | Path, timezone: str = "Asia/Shanghai", locale: str = "zh-CN") -> Workspace:
        p = Path(path)
        if (p / CONFIG_FILE).exists():
            raise WorkspaceError(tr(f"{p}：已经是工作区（qunkpi.toml 已存在）", f"{p}: already a workspace (qunkpi.toml exists)"))
        p.mkdir(parents=True, exist_ok=True)
        text = DEFAULT_TOML.replace('"Asia/Shanghai"', f'"{timezone}"', 1).replace('"zh-CN"', f'"{locale}"', 1)
        (p / CONFIG_FILE).write_text(text, encoding="utf-8")
        load_settings(p / CONFIG_FILE)  # validates the time zone and locale
        keys.create_key(p)
        (p / "lexicons").mkdir(exist_ok=True)
        ws = cls(p, load_settings(p / CONFIG_FILE))
        ws.ensure_schema()
        return ws

    @classmethod
    def open(cls, path: str | Path, read_only: bool = False) -> Workspace:
        p = Path(path)
        if not (p / CONFIG_FILE).exists():
            raise WorkspaceError(tr(f"{p}：不是 qunkpi 工作区——先运行 `qunkpi init {p}`", f"{p}: not a qunkpi workspace — create one with `qunkpi init {p}`"))
        ws = cls(p, load_settings(p / CONFIG_FILE), read_only=read_only)
        if not read_only:
            ws.ensure_schema()
        return ws

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- database --------------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self._db_file or self.path / DB_FILE

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            try:
                self._con = _connect(self.db_path, self.read_only)
            except duckdb.IOException as e:
                if "lock" in str(e).lower():
                    raise WorkspaceBusy(
                        tr(
                            f"{self.path}：工作区正被另一个 qunkpi 进程使用（例如导入、分类、备份），请等它结束后再试",
                            f"{self.path}: the workspace is in use by another qunkpi process (an import, a "
                            "classification or a backup, for example); wait for it to finish and try again",
                        )
                    ) from e
                raise WorkspaceError(tr(f"{self.db_path}：无法打开数据库：{e}", f"{self.db_path}: cannot open the database: {e}")) from e
            self._con.execute(f"SET TimeZone = '{self.settings.timezone}'")
        return self._con

    def ensure_schema(self) -> None:
        con = self.con
        for t in TABLES.values():
            con.execute(create_table_sql(t))
        for sql in META_SQL:
            con.execute(sql)

    def ibis(self) -> ibis.BaseBackend:
        """An Ibis backend over this workspace's DuckDB connection."""
        import ibis

        return ibis.duckdb.from_connection(self.con)

    def has_table(self, name: str) -> bool:
        """Whether the workspace database has a (persistent) table ``name``."""
        row = first(
            self.con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_schema = 'main'", [name]
            )
        )
        return bool(row and row[0])

    def columns(self, name: str) -> list[str]:
        """The column names of the (persistent) table ``name``, in order; empty when there is no such table."""
        rows = self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? AND table_schema = 'main' "
            "ORDER BY ordinal_position",
            [name],
        ).fetchall()
        return [str(r[0]) for r in rows]

    def has_rows(self, table: str) -> bool:
        row = first(self.con.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT 1)'))
        return bool(row and row[0])

    def table_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for name in TABLES:
            row = first(self.con.execute(f'SELECT count(*) FROM "{name}"'))
            out[name] = int(row[0]) if row else 0
        return out

    # -- kv store for small state ------------------------------------------------------------------
    def get_kv(self, k: str) -> str | None:
        row = first(self.con.execute("SELECT v FROM kv WHERE k = ?", [k]))
        return None if row is None else str(row[0])

    def set_kv(self, k: str, v: str) -> None:
        self.con.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", [k, v])

    def messages_changed(self, touched: str | None = None) -> None:
        """Record that the stored messages changed (call in the writing transaction).

        kv ``messages_version`` gets a new random token; the classifier copies the token it labelled under to
        ``labels_version``, so equal tokens mean the stored labels cover exactly the stored messages.

        ``touched``: a table of ``community_id, day`` for every message this write inserted or changed, when it
        removed none and moved none to another community or day. The pairs are added to ``messages_touched``
        while the chain of such writes is unbroken (kv ``touched_result`` is the version before this write); a
        write without ``touched`` ends the chain.
        """
        con = self.con
        before = self.get_kv(MESSAGES_VERSION_KEY) or "0"
        token = uuid.uuid4().hex
        if touched is None:
            con.execute(f"DROP TABLE IF EXISTS {MESSAGES_TOUCHED_TABLE}")
            self.set_kv(TOUCHED_BASE_KEY, "")
            self.set_kv(TOUCHED_RESULT_KEY, "")
        else:
            if self.get_kv(TOUCHED_RESULT_KEY) != before or not self.has_table(MESSAGES_TOUCHED_TABLE):
                self.reset_touched(before)  # a new chain, starting from the messages as they were before
            con.execute(
                f"""INSERT INTO {MESSAGES_TOUCHED_TABLE}
                SELECT DISTINCT CAST(community_id AS VARCHAR), CAST(day AS DATE) FROM {touched} n
                WHERE NOT EXISTS (SELECT 1 FROM {MESSAGES_TOUCHED_TABLE} o
                                  WHERE o.community_id = n.community_id AND o.day = n.day)"""
            )
            self.set_kv(TOUCHED_RESULT_KEY, token)
        self.set_kv(MESSAGES_VERSION_KEY, token)

    def reset_touched(self, version: str) -> None:
        """Start an empty chain of touched days at messages version ``version`` (the classifier calls this when
        its labels cover that version)."""
        self.con.execute(f"CREATE OR REPLACE TABLE {MESSAGES_TOUCHED_TABLE} (community_id VARCHAR, day DATE)")
        self.set_kv(TOUCHED_BASE_KEY, version)
        self.set_kv(TOUCHED_RESULT_KEY, version)

    # -- people ------------------------------------------------------------------------------------
    @property
    def pseudonymizer(self) -> keys.Pseudonymizer:
        if self._pseudo is None:
            key = keys.read_key(self.path) if self.settings.pseudonymize else None
            self._pseudo = keys.Pseudonymizer(key)
        return self._pseudo

    def person_id(self, raw: str) -> str:
        """The stored id for a raw person id a user typed (CLI --staff, --member ...)."""
        return self.pseudonymizer.one(raw)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One DuckDB transaction: committed when the block ends, rolled back when it raises (even on Ctrl-C)."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # -- locking -------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def writing(self) -> Iterator[None]:
        """Serialise writers: a second import into the same workspace is refused with a clear message."""
        fd = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as e:
                raise WorkspaceBusy(
                    tr(
                        f"{self.path}：另一个 qunkpi 进程正在写入此工作区，请等它结束",
                        f"{self.path}: another qunkpi process is writing to this workspace; wait for it to finish",
                    )
                ) from e
            yield
        finally:
            os.close(fd)

    # -- convenience for analysts ---------------------------------------------------------------------
    def metrics(self, period: str, **kw: Any) -> pd.DataFrame:
        from qunkpi.engine.api import metrics_frame

        return metrics_frame(self, period, **kw)

    def sql(self, query: str) -> pd.DataFrame:
        return self.con.execute(query).df()


def _connect(path: Path, read_only: bool, patience_s: float = 2.0) -> duckdb.DuckDBPyConnection:
    """Connect; a lock held for a moment (the dashboard probing for a snapshot) is waited out briefly,
    a lock held by another import is not."""
    deadline = time.monotonic() + patience_s
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as e:
            if "lock" not in str(e).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def first(result: duckdb.DuckDBPyConnection) -> tuple[Any, ...] | None:
    """The first row of a result, fully consumed (DuckDB ≥ 2 refuses new work while a result is unfinished)."""
    rows = result.fetchall()
    return rows[0] if rows else None


def min_max(con: duckdb.DuckDBPyConnection, table: str, column: str) -> tuple[Any, Any] | None:
    """The smallest and largest value of ``column`` in ``table``; None when it has no non-null value."""
    row = first(con.execute(f"SELECT min({column}), max({column}) FROM {table}"))
    return (row[0], row[1]) if row and row[0] is not None else None


def scalar_int(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    """The first value of a statement's first row as an int, 0 when there is none or it is null: a count, a sum,
    or the rows a write reports (DuckDB's INSERT and CREATE TABLE AS return that count)."""
    row = first(con.execute(sql, params or []))
    return int(row[0]) if row and row[0] is not None else 0
