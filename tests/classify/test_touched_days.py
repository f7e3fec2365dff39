"""The classifier looks for stale labels only on the days the writes since its last run touched.

Every case checks the restricted look against the only oracle that matters: a full relabelling of the same
messages gives the same labels.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from qunkpi.bench.split import split_day
from qunkpi.classify.engine import classify_workspace
from qunkpi.importers.canonical import import_path, load_tables
from qunkpi.workspace import Workspace
from qunkpi.workspace.workspace import MESSAGES_TOUCHED_TABLE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def parts(tiny_demo: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """history (everything but the messages of 2026-10-30 and -31), and those two days, one folder each."""
    out = tmp_path_factory.mktemp("split")
    hist1, day31, _ = split_day(tiny_demo, out / "a", "2026-10-31")
    hist, day30, _ = split_day(hist1, out / "b", "2026-10-30")
    return hist, day30, day31


LABEL_SQL = "SELECT message_id, cls, reason, sentiment, is_effective, is_ugc, input_hash FROM message_labels ORDER BY 1"


def _labels(ws: Workspace) -> list[tuple[object, ...]]:
    return ws.con.execute(LABEL_SQL).fetchall()


def _same_as_full(ws: Workspace) -> None:
    got = _labels(ws)
    classify_workspace(ws, full=True)
    assert got == _labels(ws)


def _touched(ws: Workspace) -> set[tuple[str, str]]:
    return {(c, str(d)) for c, d in ws.con.execute(f"SELECT community_id, day FROM {MESSAGES_TOUCHED_TABLE}").fetchall()}


def _history(hist: Path, tmp_path: Path, *more: Path) -> Workspace:
    """A workspace with ``hist`` imported and classified, then each of ``more`` imported and classified."""
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, hist)
    classify_workspace(ws, full=True)
    for folder in more:
        import_path(ws, folder)
        classify_workspace(ws)
    return ws


def test_two_days_imported_then_one_run(parts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    hist, day30, day31 = parts
    ws = _history(hist, tmp_path)
    assert _touched(ws) == set()  # the run left an empty list
    import_path(ws, day30)
    import_path(ws, day31)  # the chain goes on: both days are listed
    days = {d for _, d in _touched(ws)}
    assert days == {"2026-10-30", "2026-10-31"}
    stats = classify_workspace(ws)
    assert stats["check"] == "days" and not stats["full"]
    n = sum(pq.read_metadata(p / "messages.parquet").num_rows for p in (day30, day31))
    assert stats["stale"] == n  # exactly the new messages had no label
    assert _touched(ws) == set()
    _same_as_full(ws)
    ws.close()


def test_a_writer_without_days_falls_back_to_the_full_check(parts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    hist, day30, _ = parts
    ws = _history(hist, tmp_path)
    import_path(ws, day30)
    ws.messages_changed()  # a writer that cannot say what it changed ends the chain
    assert not ws.has_table(MESSAGES_TOUCHED_TABLE)
    stats = classify_workspace(ws)
    assert stats["check"] == "all"
    assert stats["stale"] == pq.read_metadata(day30 / "messages.parquet").num_rows
    _same_as_full(ws)
    ws.close()


def test_a_new_chain_after_a_broken_one_is_not_trusted(parts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    """Writes after a broken chain start a new list, but from a version the labels were not made under."""
    hist, day30, day31 = parts
    ws = _history(hist, tmp_path)
    import_path(ws, day30)
    ws.messages_changed()
    import_path(ws, day31)
    assert {d for _, d in _touched(ws)} == {"2026-10-31"}  # 30 October is not listed ...
    stats = classify_workspace(ws)
    assert stats["check"] == "all"  # ... so the list is not used
    _same_as_full(ws)
    ws.close()


def test_a_recall_lists_its_day(parts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    hist, _, _ = parts
    ws = _history(hist, tmp_path)
    row = ws.con.execute(
        "SELECT message_id, community_id, sender_id, sent_at FROM messages WHERE NOT recalled AND msg_type = 'text' "
        "AND sent_at >= '2026-10-10' ORDER BY message_id LIMIT 1"
    ).fetchone()
    assert row is not None
    recalls = pa.table(
        {
            "message_id": [row[0]],
            "community_id": [row[1]],
            "sender_id": [row[2]],
            "recalled_at": [str(pd.Timestamp(row[3]) + pd.Timedelta(minutes=1))],
        }
    )
    empty = pq.read_table(hist / "messages.parquet").slice(0, 0)
    load_tables(ws, {"messages": empty}, source="recall", fmt="test", recalls=recalls)
    assert _touched(ws) == {(row[1], str(pd.Timestamp(row[3]).date()))}
    stats = classify_workspace(ws)
    assert stats["check"] == "days" and stats["stale"] == 1
    assert ws.con.execute("SELECT cls FROM message_labels WHERE message_id = ?", [row[0]]).fetchone() == ("system",)
    _same_as_full(ws)
    ws.close()


def test_withdrawn_consent_lists_the_stripped_days(parts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    hist, _, _ = parts
    ws = _history(hist, tmp_path)
    comms = pd.read_csv(hist / "communities.csv", dtype=str, keep_default_na=False)
    cid = str(comms["community_id"].iloc[0])
    comms.loc[comms["community_id"] == cid, "archive_consent"] = "false"
    load_tables(ws, {"communities": pa.Table.from_pandas(comms, preserve_index=False)}, source="consent", fmt="test")
    want = {
        (c, str(d))
        for c, d in ws.con.execute(
            "SELECT DISTINCT community_id, CAST(sent_at AS DATE) FROM messages WHERE community_id = ?", [cid]
        ).fetchall()
    }
    days = _touched(ws)
    assert days and days <= want  # the days of that community's messages that had text
    stats = classify_workspace(ws)
    # the communities table is staff context: the labels are rebuilt whatever the list says
    assert stats["full"] or stats["check"] == "days"
    _same_as_full(ws)
    ws.close()


def _day_with(day: Path, out: Path, change: dict[str, object]) -> Path:
    """A copy of the day's messages with the first message changed (an export that overlaps the stored one)."""
    t = pq.read_table(day / "messages.parquet").to_pandas()
    for col, value in change.items():
        t.loc[0, col] = value
    out.mkdir()
    pq.write_table(pa.Table.from_pandas(t, preserve_index=False), out / "messages.parquet")
    return out


def test_an_overlapping_export_relabels_what_changed_only(parts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    hist, day30, day31 = parts
    ws = _history(hist, tmp_path, day30)
    # the next export repeats 30 October (one message edited) and adds 31 October
    import_path(ws, _day_with(day30, tmp_path / "again", {"text": "这个课程什么时候开始报名？"}))
    import_path(ws, day31)
    assert ws.get_kv("labels_dirty") != "1"
    stats = classify_workspace(ws)
    assert not stats["full"] and stats["check"] == "days"
    assert stats["stale"] == 1 + pq.read_metadata(day31 / "messages.parquet").num_rows  # the edit + the new day
    _same_as_full(ws)
    ws.close()


def test_a_message_moved_to_another_day_relabels_everything(parts: tuple[Path, Path, Path], tmp_path: Path) -> None:
    hist, day30, _ = parts
    ws = _history(hist, tmp_path, day30)
    import_path(ws, _day_with(day30, tmp_path / "moved", {"sent_at": pd.Timestamp("2026-10-12 09:30:00")}))
    assert ws.get_kv("labels_dirty") == "1"  # its old neighbours' labels may change: a full run
    stats = classify_workspace(ws)
    assert stats["full"]
    ws.close()
