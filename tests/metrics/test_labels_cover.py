"""The metric engine's two ways to its countable messages give the same numbers.

While the stored labels cover exactly the stored messages (kv ``labels_version`` = ``messages_version``) the engine
reads the messages' columns from ``message_labels`` alone; otherwise it joins ``messages`` to the labels. Every
writer of messages must renew the version, or metrics would miss or misplace messages.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tests.metrics.compare import value_diffs

from qunkpi.classify.engine import classify_workspace, labels_cover_messages, labels_fresh
from qunkpi.engine.api import metrics_for_periods, staff_ids_of
from qunkpi.engine.periods import parse_period
from qunkpi.engine.runner import RunOptions, run_metrics
from qunkpi.importers.canonical import import_path
from qunkpi.workspace import Workspace

pytestmark = pytest.mark.slow

KEY = ["community_id", "period", "metric", "breakdown"]


@pytest.fixture(scope="module")
def data(tiny_demo: Path) -> Path:
    return tiny_demo


def _run(ws: Workspace, cover: bool, periods: list[str]) -> pd.Series:
    opts = RunOptions(settings=ws.settings, staff_ids=staff_ids_of(ws), labels_cover=cover)
    df = run_metrics(ws.ibis(), [parse_period(p) for p in periods], opts)
    return df.set_index(KEY)["value"]


def test_both_paths_give_every_metric_the_same_value(data: Path, tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, data)
    assert not labels_cover_messages(ws)  # imported, not classified yet
    classify_workspace(ws)
    assert labels_cover_messages(ws)
    periods = ["2026-09", "2026-10", "2026-W40"]
    via_labels, via_join = _run(ws, True, periods), _run(ws, False, periods)
    assert len(via_labels) > 1000
    assert not value_diffs(via_labels, via_join)
    # the covering labels carry exactly their messages' time
    bad = ws.con.execute(
        "SELECT count(*) FROM messages m JOIN message_labels l USING (message_id) WHERE l.sent_at IS DISTINCT FROM m.sent_at"
    ).fetchone()
    assert bad == (0,)
    ws.close()


def test_new_messages_without_classification_are_not_missed(data: Path, tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, data)
    classify_workspace(ws)
    october = [parse_period("2026-10")]
    share = ["staff_message_share"]  # every countable message is in its denominator
    v0 = metrics_for_periods(ws, october, metrics=share)["value"].tolist()
    before = ws.con.execute("SELECT v FROM kv WHERE k = 'messages_version'").fetchone()
    # one more member message, imported without classifying
    msgs = pq.read_table(data / "messages.parquet")
    row = {c: [msgs[c][0].as_py()] for c in msgs.column_names}
    row["message_id"] = ["extra-1"]
    row["sent_at"] = [pd.Timestamp("2026-10-20 10:00")]
    row["msg_type"] = ["text"]
    row["text"] = ["这个活动怎么报名？"]
    row["recalled"] = [False]
    row["reply_to"] = [None]
    extra = tmp_path / "extra"
    extra.mkdir()
    pq.write_table(pa.Table.from_pydict(row, schema=msgs.schema), extra / "messages.parquet")
    import_path(ws, extra)
    assert ws.con.execute("SELECT v FROM kv WHERE k = 'messages_version'").fetchone() != before
    assert not labels_cover_messages(ws) and not labels_fresh(ws)
    v1 = metrics_for_periods(ws, october, metrics=share)["value"].tolist()
    classify_workspace(ws)
    assert labels_cover_messages(ws) and labels_fresh(ws)
    v2 = metrics_for_periods(ws, october, metrics=share)["value"].tolist()
    assert v1 != v0  # the new message is in October's numbers ...
    assert v1 == v2  # ... before its classification as after it
    ws.close()


def test_a_recall_renews_the_version(data: Path, tmp_path: Path) -> None:
    ws = Workspace.init(tmp_path / "ws")
    import_path(ws, data)
    classify_workspace(ws)
    assert labels_cover_messages(ws)
    ws.messages_changed()
    assert not labels_cover_messages(ws)
    stats = classify_workspace(ws)  # nothing changed in the messages: an incremental run relabels nothing
    assert stats["classified"] == 0 and labels_cover_messages(ws)
    ws.close()
