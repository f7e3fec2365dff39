"""The CLI as a user meets it: exit codes, error reports, the JSON contract, zh/en help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import TINY
from typer.testing import CliRunner

from qunkpi.cli.main import app

runner = CliRunner()


def _ws(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    res = runner.invoke(app, ["import", str(TINY), "-w", str(ws), "--no-classify"])
    assert res.exit_code == 0, res.output
    return ws


def test_metrics_json_contract(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    res = runner.invoke(app, ["metrics", "-w", str(ws), "--period", "2026-10", "--metric", "joins", "--metric", "source_share",
                              "--metric", "churn_rate", "--format", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    joins = [d for d in data if d["metric"] == "joins"]
    assert {(d["community_id"], d["value"]) for d in joins} == {("c1", 5), ("c2", 0)}
    assert all({"community_id", "period", "metric", "value"} <= d.keys() for d in data)
    shares = {d["breakdown"]: d["value"] for d in data if d["metric"] == "source_share"}
    assert shares == {"poster": 0.6, "referral": 0.2, "unknown": 0.2}
    assert all("breakdown" not in d for d in data if d["metric"] != "source_share")
    c2 = [d for d in data if d["metric"] == "churn_rate" and d["community_id"] == "c2"]
    assert c2[0]["value"] is None and c2[0]["reason"] == "n/a"


def test_weekly_grain_and_community_filter(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    res = runner.invoke(app, ["metrics", "-w", str(ws), "--period", "2026-10", "--grain", "week", "-c", "c1", "-m", "joins", "-f", "json"])
    data = json.loads(res.stdout)
    assert {d["community_id"] for d in data} == {"c1"}
    # October 2026 touches ISO weeks 40..44; the first and last are clipped to the month and labelled as ranges
    assert [d["period"] for d in data] == ["2026-10-01..2026-10-04", "2026-W41", "2026-W42", "2026-W43", "2026-10-26..2026-10-31"]
    # joins by week (Oct 1 2026 is a Thursday): m3 10-02, m4 10-03 | m9 10-05 | — | m4 again 10-25 (Sunday) | m8 10-28
    assert [d["value"] for d in data] == [2, 1, 0, 1, 1]


def test_import_error_exit_code_and_report(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    runner.invoke(app, ["init", str(ws)])
    bad = tmp_path / "members.csv"
    bad.write_text("community_id,member_id,joined_at\nc1,m1,31/10/2026\n", encoding="utf-8")
    res = runner.invoke(app, ["--lang", "en", "import", str(bad), "-w", str(ws)])
    assert res.exit_code == 3
    assert "members.csv:2:joined_at" in res.output


def test_unknown_metric_and_bad_period(tmp_path: Path) -> None:
    ws = _ws(tmp_path)
    assert runner.invoke(app, ["metrics", "-w", str(ws), "--period", "2026-13"]).exit_code == 2
    assert runner.invoke(app, ["metrics", "-w", str(ws), "--period", "2026-10", "-m", "nope"]).exit_code == 1


def test_help_follows_lang() -> None:
    env = {**os.environ, "QUNKPI_LANG": "en", "COLUMNS": "200"}
    en = subprocess.run([sys.executable, "-m", "qunkpi.cli.main", "--help"], capture_output=True, text=True, env=env, check=True)
    env["QUNKPI_LANG"] = "zh-CN"
    zh = subprocess.run([sys.executable, "-m", "qunkpi.cli.main", "--help"], capture_output=True, text=True, env=env, check=True)
    assert "create a workspace" in en.stdout
    assert "创建工作区" in zh.stdout


def test_explain() -> None:
    res = runner.invoke(app, ["metrics", "--explain", "churn_rate"])
    assert res.exit_code == 0 and "leaves" in res.output and "seed 003" in res.output


def test_import_of_new_messages_checks_only_their_days(tmp_path: Path) -> None:
    """The import's classification line says how stale labels were looked for."""
    ws = tmp_path / "ws"
    assert runner.invoke(app, ["init", str(ws)]).exit_code == 0
    res = runner.invoke(app, ["--lang", "en", "import", str(TINY), "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert "(full)" in res.output
    more = tmp_path / "more"
    more.mkdir()
    (more / "messages.csv").write_text(
        "message_id,community_id,sender_id,sent_at,msg_type,text,reply_to,recalled\n"
        "msg-new,c1,m1,2026-10-21 09:00:00,text,今天的课讲得很清楚，谢谢老师,,false\n",
        encoding="utf-8",
    )
    res = runner.invoke(app, ["--lang", "en", "import", str(more), "-w", str(ws)])
    assert res.exit_code == 0, res.output
    assert "only the days of the messages just written were checked" in " ".join(res.output.split())
    res = runner.invoke(app, ["--lang", "en", "classify", "-w", str(ws), "--format", "json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["check"] == ""  # nothing written since: nothing to look for
