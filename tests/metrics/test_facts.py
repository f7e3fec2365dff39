"""``message_facts``, the metric engine's stored countable messages, gives the numbers the engine's own block gives,
and is never read when it no longer matches the messages, the labels or the staff context."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from tests.metrics.compare import value_diffs as _diff

from qunkpi.bench.split import split_day
from qunkpi.classify.engine import classify_workspace
from qunkpi.demo.generator import generate
from qunkpi.engine.api import metrics_for_periods, staff_ids_of
from qunkpi.engine.facts import FACTS_TABLE, drop_facts, facts_table, refresh_facts
from qunkpi.engine.periods import parse_period
from qunkpi.engine.runner import RunOptions, run_metrics
from qunkpi.importers.canonical import import_path
from qunkpi.workspace import Workspace

pytestmark = pytest.mark.slow

KEY = ["community_id", "period", "metric", "breakdown"]
PERIODS = ["2026-09", "2026-10", "2026-W40"]


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("demo")
    generate(d, scale="tiny", seed=7, end_month="2026-10")
    return d


def _run(ws: Workspace, facts: str | None, periods: list[str] = PERIODS, communities: list[str] | None = None) -> pd.Series:
    opts = RunOptions(
        settings=ws.settings, staff_ids=staff_ids_of(ws), labels_cover=True, facts=facts, communities=communities
    )
    df = run_metrics(ws.ibis(), [parse_period(p) for p in periods], opts)
    return df.set_index(KEY)["value"]


def _all_staff(ws: Workspace, cid: str, mid: str) -> tuple[object, ...] | None:
    """Whether every stored message of ``mid`` in ``cid`` carries the staff flag ((None,): no message)."""
    return ws.con.execute(
        f"SELECT bool_and(is_staff_person) FROM {FACTS_TABLE} WHERE community_id = ? AND sender_id = ?", [cid, mid]
    ).fetchone()


def _stored(data: Path, tmp_path: Path) -> Workspace:
    """A workspace with the demo imported, classified and its message_facts built."""
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, data)
    classify_workspace(ws)
    assert refresh_facts(ws)["action"] == "rebuilt"
    return ws


def _facts_rows(ws: Workspace) -> pd.DataFrame:
    df = ws.con.execute(f"SELECT * FROM {FACTS_TABLE}").df()
    return df.sort_values("message_id").reset_index(drop=True)


def test_stored_facts_give_every_metric_the_same_value(data: Path, tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, data)
    assert refresh_facts(ws)["action"] == "none"  # not classified: no facts
    classify_workspace(ws)
    assert facts_table(ws) is None
    res = refresh_facts(ws)
    assert res["action"] == "rebuilt" and res["rows"] > 1000
    assert facts_table(ws) == FACTS_TABLE
    assert refresh_facts(ws)["action"] == "current"
    stored, built = _run(ws, FACTS_TABLE), _run(ws, None)
    assert len(stored) > 1000
    assert not _diff(stored, built)
    some = sorted(stored.index.get_level_values("community_id").unique())[:2]
    assert not _diff(_run(ws, FACTS_TABLE, communities=some), _run(ws, None, communities=some))
    # a run with other staff ids than the settings' cannot use them
    assert facts_table(ws, staff_ids=["someone-else"]) is None
    ws.close()


def test_one_more_day_rewrites_only_its_rows_and_equals_a_rebuild(data: Path, tmp_path: Path) -> None:
    hist, day, n_day = split_day(data, tmp_path / "split", "2026-10-30")
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, hist)
    classify_workspace(ws, full=True)
    assert refresh_facts(ws)["action"] == "rebuilt"
    import_path(ws, day)
    assert facts_table(ws) is None  # the messages changed: the engine builds its own block meanwhile
    stats = classify_workspace(ws)
    assert not stats["full"] and stats["classified"] > 0
    res = refresh_facts(ws)
    assert res["action"] == "delta"
    total = ws.con.execute(f"SELECT count(*) FROM {FACTS_TABLE}").fetchone()[0]
    assert 0 < res["rows"] < total / 3 and res["rows"] >= 1 and n_day > 0
    assert facts_table(ws) == FACTS_TABLE
    after_delta = _facts_rows(ws)
    october = ["2026-10"]
    v_delta = _run(ws, FACTS_TABLE, october)
    drop_facts(ws)
    assert refresh_facts(ws)["action"] == "rebuilt"
    pd.testing.assert_frame_equal(after_delta, _facts_rows(ws))
    assert not _diff(v_delta, _run(ws, None, october))
    ws.close()


def test_changed_staff_or_relabelling_is_never_read_stale(data: Path, tmp_path: Path) -> None:
    ws = _stored(data, tmp_path)
    assert facts_table(ws) == FACTS_TABLE
    # someone becomes staff in a community (as a members import would record it)
    cid, mid = ws.con.execute(
        "SELECT community_id, member_id FROM members p WHERE NOT coalesce(is_staff, false) AND role IS DISTINCT FROM 'staff' "
        "AND EXISTS (SELECT 1 FROM messages m WHERE m.community_id = p.community_id AND m.sender_id = p.member_id "
        "AND NOT coalesce(m.recalled, false) AND m.msg_type <> 'system') ORDER BY 1, 2 LIMIT 1"
    ).fetchone()
    ws.con.execute("UPDATE members SET role = 'staff' WHERE community_id = ? AND member_id = ?", [cid, mid])
    assert facts_table(ws) is None
    assert refresh_facts(ws)["action"] == "rebuilt"
    assert _all_staff(ws, cid, mid) == (True,)
    assert not _diff(_run(ws, FACTS_TABLE, ["2026-10"]), _run(ws, None, ["2026-10"]))
    # the messages rewritten without any change (a re-import of the same rows): nothing is relabelled, and the
    # stored rows are kept under the new token
    ws.messages_changed()
    assert facts_table(ws) is None
    assert classify_workspace(ws)["classified"] == 0
    assert refresh_facts(ws)["action"] == "current"
    assert facts_table(ws) == FACTS_TABLE
    # a full relabelling (new rules, say) writes new labels: the facts are stale until rebuilt
    classify_workspace(ws, full=True)
    assert facts_table(ws) is None
    assert refresh_facts(ws)["action"] == "rebuilt"
    ws.close()


def test_withdrawn_consent_removes_the_stored_text(data: Path, tmp_path: Path) -> None:
    ws = _stored(data, tmp_path)
    assert ws.con.execute(f"SELECT count(question_text) FROM {FACTS_TABLE}").fetchone()[0] > 0
    comm = pd.read_csv(data / "communities.csv", dtype=str, keep_default_na=False)
    comm["archive_consent"] = "false"
    again = tmp_path / "again"
    again.mkdir()
    comm.to_csv(again / "communities.csv", index=False)
    import_path(ws, again)
    tables = {r[0] for r in ws.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert FACTS_TABLE not in tables
    assert facts_table(ws) is None
    classify_workspace(ws)
    refresh_facts(ws)
    assert ws.con.execute(f"SELECT count(question_text) FROM {FACTS_TABLE}").fetchone()[0] == 0
    v = metrics_for_periods(ws, [parse_period("2026-10")], metrics=["questions"])
    assert len(v)
    ws.close()


def test_a_failed_refresh_leaves_the_previous_table_and_is_not_read(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qunkpi.engine.facts import FACTS_KEY

    ws = _stored(data, tmp_path)
    before = _facts_rows(ws)
    # a member becomes staff: a rebuild would flip the staff flag of their messages
    cid, mid = ws.con.execute(
        f"SELECT f.community_id, f.sender_id FROM {FACTS_TABLE} f WHERE NOT f.is_staff_person AND EXISTS "
        "(SELECT 1 FROM members m WHERE m.community_id = f.community_id AND m.member_id = f.sender_id) ORDER BY 1, 2 LIMIT 1"
    ).fetchone()
    ws.con.execute("UPDATE members SET role = 'staff' WHERE community_id = ? AND member_id = ?", [cid, mid])
    real = ws.set_kv

    def failing(k: str, v: str) -> None:
        if k == FACTS_KEY:
            raise RuntimeError("injected failure")
        real(k, v)

    monkeypatch.setattr(ws, "set_kv", failing)
    with pytest.raises(RuntimeError, match="injected"):
        refresh_facts(ws)
    monkeypatch.undo()
    assert facts_table(ws) is None  # rolled back: the old table, now stale, is not read
    pd.testing.assert_frame_equal(_facts_rows(ws), before)  # ... and is whole, flags as they were
    assert refresh_facts(ws)["action"] == "rebuilt"
    assert facts_table(ws) == FACTS_TABLE
    assert _all_staff(ws, cid, mid) == (True,)
    ws.close()
