"""Per-column compression in the canonical tables' DDL (a storage detail: values and old files unaffected)."""

from __future__ import annotations

from pathlib import Path

from qunkpi.workspace import Workspace
from qunkpi.workspace.schema import TABLES, column_compression, create_table_sql

TINY = Path(__file__).parent.parent / "fixtures" / "tiny"


def _methods(table: str) -> dict[str, str | None]:
    t = TABLES[table]
    return {c.name: column_compression(t, c) for c in t.columns}


def test_compression_choice_per_column() -> None:
    assert _methods("messages") == {
        "message_id": "fsst",  # the key: unique ids
        "community_id": "dictionary",  # a repeated reference
        "sender_id": "fsst",  # pseudonymised person id
        "sent_at": None,
        "msg_type": "dictionary",  # enum
        "text": "fsst",  # free text
        "reply_to": "fsst",
        "recalled": None,
    }
    costs = _methods("costs")
    assert costs["month"] == "dictionary" and costs["kind"] is None and costs["amount"] is None
    members = _methods("members")
    # composite key: member_id is fixed because it is a person id, source_channel is left to DuckDB
    assert members["member_id"] == "fsst" and members["source_channel"] is None and members["role"] == "dictionary"


def test_create_table_sql_with_and_without_compression() -> None:
    sql = create_table_sql(TABLES["messages"])
    assert "\"message_id\" VARCHAR USING COMPRESSION 'fsst'" in sql
    assert "\"msg_type\" VARCHAR USING COMPRESSION 'dictionary'" in sql
    assert '"sent_at" TIMESTAMP,' in sql and sql.endswith('"extra" VARCHAR)')
    plain = create_table_sql(TABLES["messages"], compression=False)
    assert "USING" not in plain
    assert plain.replace(" ", "") == sql.replace(" USING COMPRESSION 'fsst'", "").replace(
        " USING COMPRESSION 'dictionary'", ""
    ).replace(" ", "")


def test_stored_segments_use_the_fixed_method(ws: Workspace) -> None:
    con = ws.con
    con.execute(
        """INSERT INTO messages (message_id, community_id, sender_id, sent_at, msg_type, text, recalled)
        SELECT 'm_' || lpad(i::VARCHAR, 6, '0'), 'c' || (i % 3), 's' || (i % 50), TIMESTAMP '2026-01-01' + i * INTERVAL 1 MINUTE,
               CASE WHEN i % 2 = 0 THEN 'text' ELSE 'image' END, 'hello ' || (i % 7), false
        FROM range(20000) r(i)"""
    )
    con.execute("CHECKPOINT")
    got = dict(
        con.execute(
            """SELECT column_name, string_agg(DISTINCT compression, ',') FROM pragma_storage_info('messages')
            WHERE segment_type = 'VARCHAR' GROUP BY 1"""
        ).fetchall()
    )
    assert got["message_id"] == "FSST"
    assert got["msg_type"] == "Dictionary"
    assert got["community_id"] == "Dictionary"
    # 7 distinct texts and 50 senders: DuckDB's own choice here would be Dictionary for both
    assert got["text"] == "FSST"
    assert got["sender_id"] == "FSST"


def test_tables_created_without_compression_keep_working(tmp_path: Path) -> None:
    """A workspace whose tables predate the per-column choice imports and reads as a new one."""
    from qunkpi.importers.canonical import import_path

    counts = []
    for name, old in (("new", False), ("old", True)):
        w = Workspace.init(tmp_path / name)
        if old:
            for t in TABLES.values():
                w.con.execute(f'DROP TABLE "{t.name}"')
                w.con.execute(create_table_sql(t, compression=False))
        w.close()
        w = Workspace.open(tmp_path / name)
        w.ensure_schema()  # IF NOT EXISTS: the old tables stay as they are
        import_path(w, TINY)
        counts.append(
            w.con.execute(
                "SELECT count(*), count(DISTINCT message_id), sum(length(coalesce(text, ''))), min(sent_at), max(sent_at) FROM messages"
            ).fetchone()
        )
        w.close()
    assert counts[0] == counts[1]
    assert counts[0][0] > 0
