"""The streamed canonical import: Parquet read in place (row groups), stored in file order in chunks,
person ids and PII mapped through lookup tables of distinct values, files that change mid-import refused."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import qunkpi.importers.canonical as canonical
from qunkpi.classify.pii import PREFILTER
from qunkpi.errors import QunkpiError, ValidationFailed
from qunkpi.importers.canonical import _chunks, import_path
from qunkpi.workspace import Workspace

COMMUNITIES = (
    "community_id,name,platform,created_at,archive_consent\n"
    "c1,有授权群,wechat_group,2026-01-01,true\n"
    "c2,未授权群,wechat_group,2026-01-01,false\n"
)


def _messages(n: int) -> pa.Table:
    """n messages: senders s0..s4 in turn, community c1 (odd rows c2), a phone number in every 7th text."""
    texts = [None if i % 5 == 4 else (f"电话 1381234{i:04d}" if i % 7 == 0 else f"第{i % 3}条") for i in range(n)]
    return pa.table(
        {
            "message_id": [f"m{i:05d}" for i in range(n)],
            "community_id": ["c2" if i % 2 else "c1" for i in range(n)],
            "sender_id": [f"s{i % 5}" for i in range(n)],
            "sent_at": pa.array([datetime(2026, 10, 1, 8, 0, i % 60) for i in range(n)], pa.timestamp("us")),
            "msg_type": ["text" if i % 4 else "sticker" for i in range(n)],  # sticker: open enum → other
            "text": texts,
        }
    )


def _folder(tmp_path: Path, table: pa.Table, row_group_size: int) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    (d / "communities.csv").write_text(COMMUNITIES, encoding="utf-8")
    pq.write_table(table, d / "messages.parquet", row_group_size=row_group_size)
    return d


def test_chunks_are_whole_row_groups_of_at_most_chunk_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canonical, "CHUNK_ROWS", 10)
    assert _chunks([4, 4, 4, 4], 1) == [(1, 8), (9, 16)]  # 4+4 fit, a third group would make 12 > 10
    assert _chunks([25], 1) == [(1, 25)]  # one group larger than a chunk stays whole
    assert _chunks([3, 25, 3], 2) == [(2, 4), (5, 29), (30, 32)]
    assert _chunks([10, 10, 10, 2], 2) == [(2, 11), (12, 21), (22, 31), (32, 33)]  # 10 + 2 > 10: the 2 alone
    assert _chunks([], 1) == []


def test_parquet_stored_in_file_order_across_chunks(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(canonical, "CHUNK_ROWS", 40)
    n = 230
    data = _folder(tmp_path, _messages(n), row_group_size=25)  # 10 row groups → chunks of 25 rows (25+25 > 40)
    rep = import_path(ws, data)
    assert {t.table: t.rows_read for t in rep.tables} == {"communities": 2, "messages": n}
    rows = ws.con.execute("SELECT message_id, sender_id, msg_type, text, extra FROM messages ORDER BY rowid").fetchall()
    assert [r[0] for r in rows] == [f"m{i:05d}" for i in range(n)]  # file order, every row once
    pids = {f"s{k}": ws.person_id(f"s{k}") for k in range(5)}
    assert [r[1] for r in rows] == [pids[f"s{i % 5}"] for i in range(n)]
    assert [r[2] for r in rows] == ["text" if i % 4 else "other" for i in range(n)]
    for i, (_mid, _sid, _ty, text, extra) in enumerate(rows):
        if i % 2 == 1 and i % 5 != 4:  # c2 has no archive consent: no text, its summary in extra
            assert text is None
            info = json.loads(extra)
            assert info["consent"] is False and info["chars"] > 0
            assert "1381234" not in extra
        elif i % 5 == 4:  # no text: nothing to summarise, extra untouched
            assert text is None and extra is None
        elif i % 7 == 0:
            assert text == "电话 [手机号]"
        else:
            assert text == f"第{i % 3}条" and extra is None


def test_parquet_problems_name_the_row(ws: Workspace, tmp_path: Path) -> None:
    t = pa.table(
        {
            "message_id": ["a", "b", "c", "b"],
            "community_id": ["c1", "c1", None, "c1"],
            "sender_id": ["s1", "s2", "s3", "s4"],
            "sent_at": ["2026-10-01 08:00", "2026-10-01 08:01", "2026-10-01 08:02", "not a time"],
            "msg_type": ["text", "text", "text", "text"],
        }
    )
    pq.write_table(t, tmp_path / "messages.parquet", row_group_size=2)
    with pytest.raises(ValidationFailed) as exc:
        import_path(ws, tmp_path / "messages.parquet")
    assert sorted((p.row, p.column) for p in exc.value.problems) == [(3, "community_id"), (4, "sent_at")]


def test_parquet_duplicate_keys_name_both_rows(ws: Workspace, tmp_path: Path) -> None:
    t = _messages(6).set_column(0, "message_id", pa.array(["a", "b", "c", "d", "b", "a"]))
    pq.write_table(t, tmp_path / "messages.parquet", row_group_size=4)
    with pytest.raises(ValidationFailed) as exc:
        import_path(ws, tmp_path / "messages.parquet")
    got = [(p.row, p.column, p.message) for p in exc.value.problems]
    assert [(r, c) for r, c, _ in got] == [(6, "message_id"), (5, "message_id")]  # ordered by first occurrence
    assert re.search(r"\b1\b", got[0][2]) and re.search(r"\b2\b", got[1][2])  # "same as row 1" / "row 2"


def test_damaged_parquet_is_a_problem_not_a_crash(ws: Workspace, tmp_path: Path) -> None:
    pq.write_table(_messages(50), tmp_path / "whole.parquet")
    raw = (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "messages.parquet").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValidationFailed) as exc:
        import_path(ws, tmp_path / "messages.parquet")
    assert [p.row for p in exc.value.problems] == [None]
    assert ws.table_counts()["messages"] == 0


def test_file_changed_after_validation_is_not_stored(ws: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = _folder(tmp_path, _messages(20), row_group_size=8)
    real_commit = canonical.Loader._commit

    def commit(self, src, stg, rep, report):  # type: ignore[no-untyped-def]
        if src.table == "messages":  # someone rewrites the file between validation and writing
            pq.write_table(_messages(21), data / "messages.parquet")
        real_commit(self, src, stg, rep, report)

    monkeypatch.setattr(canonical.Loader, "_commit", commit)
    with pytest.raises(QunkpiError, match="changed"):
        import_path(ws, data)
    assert ws.table_counts()["messages"] == 0
    assert ws.con.execute("SELECT count(*) FROM import_log WHERE \"table\" = 'messages'").fetchall() == [(0,)]


def test_reimport_of_parquet_updates_in_place(ws: Workspace, tmp_path: Path) -> None:
    data = _folder(tmp_path, _messages(30), row_group_size=7)
    import_path(ws, data)
    before = ws.con.execute("SELECT * FROM messages ORDER BY message_id").fetchall()
    rep = import_path(ws, data)
    msg = next(t for t in rep.tables if t.table == "messages")
    assert (msg.inserted, msg.updated) == (0, 30)
    assert ws.con.execute("SELECT * FROM messages ORDER BY message_id").fetchall() == before


def test_duckdb_prefilter_flags_what_pyarrow_flags() -> None:
    """The importer finds PII candidates with DuckDB's RE2; redact_array uses pyarrow's: they must agree."""
    samples = [
        "13812345678", "１３８１２３４５６７８", "138 1234 5678", "138-1234-567", "a@b.cn", "全角＠邮箱", "加微 abc123",
        "VX: hello_world", "Wx号 aaa111", "WECHAT me", "威信", "卫星号", "v信", "普通消息", "1234567890", "", "电话：+86 139-0000-1111",
    ]
    arr = pa.array(samples, pa.string())
    want = pc.match_substring_regex(arr, PREFILTER).to_pylist()
    con = duckdb.connect()
    con.register("s", pa.table({"i": list(range(len(samples))), "t": arr}))
    pattern = PREFILTER.replace("'", "''")
    got = [r[0] for r in con.execute(f"SELECT regexp_matches(t, '{pattern}') FROM s ORDER BY i").fetchall()]
    assert got == want
    # by hand: all but 138-1234-567 and 1234567890 (10 digits), 普通消息 and ""
    assert want == [True, True, True, False, True, True, True, True, True, True, True, True, True, False, False, False, True]
