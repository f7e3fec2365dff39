"""Topics (keywords, trend, high-conversion topics) and the classify/topics CLI commands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qunkpi.classify.topics import COLUMNS, extract_keywords, topic_table
from qunkpi.workspace import Workspace

T0 = datetime(2025, 6, 1, 10, 0)


@pytest.fixture
def tws(tmp_path: Path) -> Iterator[Workspace]:
    ws = Workspace.init(tmp_path / "ws")
    con = ws.con
    con.execute(
        "INSERT INTO communities VALUES ('c1', '宝妈群', 'wecom_group', 'sales', ?, NULL, NULL, true, NULL)",
        [T0 - timedelta(days=300)],
    )
    msgs = []
    n = 0
    # previous window (May): 奶粉 mentioned 2 times
    for i in range(2):
        msgs.append((f"p{i}", f"a{i}", T0 - timedelta(days=20) + timedelta(hours=i), "这款奶粉宝宝爱喝吗"))
    # June: 奶粉 by 6 members (4 of them buy within 7 days), 天气 by 6 members (none buy)
    for i in range(6):
        msgs.append((f"n{i}", f"b{i}", T0 + timedelta(days=i, hours=1), f"宝宝最近换了奶粉，{i}段的还不错"))
        msgs.append((f"w{i}", f"c{i}", T0 + timedelta(days=i, hours=2), f"今天天气真热，带娃出门要防晒{i}"))
        n += 2
    msgs.append(("s1", "staff1", T0 + timedelta(days=1), "今天奶粉秒杀，下单立减"))
    for mid, sender, ts, text in msgs:
        con.execute(
            "INSERT INTO messages VALUES (?, 'c1', ?, ?, 'text', ?, NULL, false, NULL)",
            [mid, sender, ts, text],
        )
    con.execute(
        "INSERT INTO members VALUES ('c1', 'staff1', ?, NULL, NULL, NULL, true, 'staff', NULL, NULL, NULL)",
        [T0 - timedelta(days=300)],
    )
    for i in range(4):
        con.execute(
            "INSERT INTO orders VALUES (?, ?, 'c1', ?, 199.0, 0.0, NULL, NULL, NULL, NULL, NULL)",
            [f"o{i}", f"b{i}", T0 + timedelta(days=i + 2)],
        )
    # an order 10 days later does not count; one in another community neither
    con.execute(
        "INSERT INTO orders VALUES ('o9', 'b5', 'c1', ?, 99.0, 0.0, NULL, NULL, NULL, NULL, NULL)",
        [T0 + timedelta(days=16)],
    )
    con.execute(
        "INSERT INTO orders VALUES ('o8', 'c0', 'c9', ?, 99.0, 0.0, NULL, NULL, NULL, NULL, NULL)",
        [T0 + timedelta(days=1)],
    )
    yield ws
    ws.close()


def test_extract_keywords() -> None:
    from qunkpi.classify.lexicons import load_lexicons

    kw = [
        w
        for w, _, _ in extract_keywords(
            ["宝宝奶粉喝不完", "奶粉涨价了", "哪家奶粉好", "收到"], load_lexicons(None)
        )
    ]
    assert kw[0] == "奶粉"
    assert "收到" not in kw


def test_topic_table(tws: Workspace) -> None:
    df = topic_table(tws, T0, T0 + timedelta(days=30), top=10)
    assert list(df.columns) == COLUMNS
    rows = {r.topic: r for r in df.itertuples()}
    assert "奶粉" in rows and "防晒" in rows
    milk, weather = rows["奶粉"], rows["防晒"]
    assert milk.messages == 6 and milk.members == 6  # the staff message is not member interaction
    assert milk.trend == pytest.approx((6 - 2) / 2)
    assert milk.buyers_7d_share == pytest.approx(4 / 6)
    assert milk.base_rate == pytest.approx(4 / 12)
    assert milk.lift == pytest.approx(2.0)
    assert weather.buyers_7d_share == 0 and weather.lift == 0
    assert weather.trend is None or weather.trend != weather.trend  # no previous mentions: n/a


def test_topic_table_empty_period(tws: Workspace) -> None:
    df = topic_table(tws, datetime(2020, 1, 1), datetime(2020, 2, 1))
    assert df.empty and list(df.columns) == COLUMNS


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _app():  # type: ignore[no-untyped-def]
    from qunkpi.cli.main import app

    return app


def test_cli_classify_text(runner: CliRunner) -> None:
    res = runner.invoke(_app(), ["--lang", "en", "classify", "收到！！"])
    assert res.exit_code == 0, res.output
    assert "filler" in res.output and "filler:收到" in res.output


def test_cli_classify_file_json(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "texts.txt"
    f.write_text("收到！！\n不太好，非常失望\n\n今日5公里✅ 用时31分\n我电话13812345678\n", encoding="utf-8")
    res = runner.invoke(_app(), ["classify", "--file", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [d["class"] for d in data] == ["filler", "chat", "checkin", "chat"]
    assert data[1]["sentiment"] == "negative" and -1 <= data[1]["sentiment_score"] <= 1
    assert all({"text", "class", "reason", "sentiment", "sentiment_score"} <= set(d) for d in data)
    assert data[3]["redacted_text"] == "我电话[手机号]"


def test_cli_workspace_commands(runner: CliRunner, tws: Workspace) -> None:
    path = str(tws.path)
    tws.close()
    res = runner.invoke(_app(), ["--lang", "en", "classify", "--workspace", path])
    assert res.exit_code == 0, res.output
    assert "classified 15" in res.output
    res = runner.invoke(_app(), ["classify", "--workspace", path, "--message", "n1", "--format", "json"])
    assert res.exit_code == 0, res.output
    rec = json.loads(res.output)[0]
    assert (
        rec["message_id"] == "n1" and rec["class"] == "chat" and rec["sentiment"] in ("positive", "neutral")
    )
    res = runner.invoke(_app(), ["classify", "--workspace", path, "--message", "s1"])
    assert res.exit_code == 0 and "staff" in res.output
    res = runner.invoke(
        _app(),
        [
            "classify",
            "--workspace",
            path,
            "--sample",
            "3",
            "--class",
            "chat",
            "--format",
            "json",
            "--seed",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    sample = json.loads(res.output)
    assert len(sample) == 3 and all(s["class"] == "chat" for s in sample)
    res = runner.invoke(_app(), ["classify", "--workspace", path, "--activity", "--format", "json"])
    assert res.exit_code == 0, res.output
    days = json.loads(res.output)
    assert sum(d["messages"] for d in days) == 15 and sum(d["staff_messages"] for d in days) == 1
    assert all(0 <= d["staff_share"] <= 1 for d in days)
    res = runner.invoke(
        _app(),
        [
            "--lang",
            "en",
            "classify",
            "--workspace",
            path,
            "--activity",
            "--start",
            "2025-06-02",
            "--end",
            "2025-06-02",
        ],
    )
    assert res.exit_code == 0 and "staff share" in res.output
    res = runner.invoke(_app(), ["classify", "--workspace", path, "--message", "nope"])
    assert res.exit_code != 0
    res = runner.invoke(
        _app(),
        ["topics", "--workspace", path, "--start", "2025-06-01", "--end", "2025-06-30", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    topics = json.loads(res.output)
    assert any(t["topic"] == "奶粉" for t in topics)
    res = runner.invoke(_app(), ["--lang", "en", "topics", "--workspace", path, "--period", "2025-06"])
    assert res.exit_code == 0, res.output
    assert "奶粉" in res.output


def test_cli_eval(runner: CliRunner, tmp_path: Path) -> None:
    f = tmp_path / "labelled.csv"
    f.write_text(
        "text,expected_class,expected_sentiment\n收到,filler,neutral\n请问几点开始,question,neutral\n太失望了,chat,negative\n",
        encoding="utf-8",
    )
    res = runner.invoke(_app(), ["classify", "--eval", str(f), "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)[0]
    assert out["class_accuracy"] == 1.0 and out["sentiment_accuracy"] == 1.0
