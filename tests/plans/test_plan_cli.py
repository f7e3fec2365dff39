"""`qunkpi plan ...`, `qunkpi alerts` and `qunkpi review` as a user meets them (the "g" workspace)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
import yaml
from tests.plans.builder import build_g, community, insert
from typer.testing import CliRunner

from qunkpi.cli.main import app
from qunkpi.plans.model import Plan, Target
from qunkpi.workspace import Workspace

runner = CliRunner()
GROWTH_RULES = {"net_growth_negative_2w", "churn_service", "churn_critical"}


@pytest.fixture
def gpath(ws: Workspace) -> Path:
    build_g(ws)
    insert(ws, "communities", [community("x1", purpose=None)])
    # keep the CLI alert tests to the growth rules: the others are switched off in the workspace
    shipped = yaml.safe_load((Path(__file__).parents[2] / "src/qunkpi/alerts/rules.yaml").read_text(encoding="utf-8"))
    (ws.path / "rules").mkdir()
    (ws.path / "rules" / "off.yaml").write_text(
        yaml.safe_dump([{"id": r["id"], "enabled": False} for r in shipped if r["id"] not in GROWTH_RULES]), encoding="utf-8")
    ws.close()
    return ws.path


def test_suggest_without_purpose_asks_for_it(gpath: Path) -> None:
    res = runner.invoke(app, ["plan", "suggest", "-w", str(gpath), "-c", "x1", "-p", "2026-10"])
    assert res.exit_code == 1 and "--purpose" in res.output


def test_suggest_needs_exactly_one_scope(gpath: Path) -> None:
    res = runner.invoke(app, ["plan", "suggest", "-w", str(gpath), "-c", "g1", "--company"])
    assert res.exit_code == 1 and "--company" in res.output


def test_set_reports_every_problem_and_stores_nothing(gpath: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({
        "community_id": "g1", "start": "2026-11", "deadline": "2027-01-31",
        "north_star": {"metric": "joins"},  # no target value
        "supporting": [{"metric": "churn_rat", "target": 0.04}, {"metric": "churn_rate", "target": 4}],
    }), encoding="utf-8")
    res = runner.invoke(app, ["plan", "set", str(bad), "-w", str(gpath)])
    assert res.exit_code == 3, res.output
    assert "north_star" in res.output and "churn_rat" in res.output and "supporting[1]" in res.output
    assert not (gpath / "plans" / "g1.yaml").exists()


def test_set_show_check_round_trip(gpath: Path, tmp_path: Path) -> None:
    plan = Plan(community_id="g1", purpose="service", start="2026-09", deadline=date(2026, 11, 30),
                north_star=Target(metric="joins", target=50, actions=["海报"]),
                supporting=[Target(metric="churn_rate", target=0.05, actions=["回访"], relation="少流失")])
    f = tmp_path / "g1.yaml"
    f.write_text(plan.to_yaml(), encoding="utf-8")
    res = runner.invoke(app, ["plan", "set", str(f), "-w", str(gpath)])
    assert res.exit_code == 0, res.output
    assert (gpath / "plans" / "g1.yaml").exists()
    res = runner.invoke(app, ["plan", "show", "-w", str(gpath), "-c", "g1", "--format", "yaml"])
    assert Plan.model_validate(yaml.safe_load(res.output)) == plan
    res = runner.invoke(app, ["plan", "check", "-w", str(gpath), "-c", "g1", "-p", "2026-10", "--format", "json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)[0]
    rows = {t["metric"]: t for t in out["targets"]}
    # joins: projection 36 [29.2, 42.8] vs 50 (see test_plan_service) → off-track
    assert rows["joins"]["status"] == "off-track" and rows["joins"]["projection"]["value"] == pytest.approx(36)
    # churn: Sep 0, Oct 0.0833 after Jun 0, Jul 0, Aug 0.10 → its own projection; the status is one of the three
    assert rows["churn_rate"]["status"] in ("on-track", "at-risk", "off-track")


def test_alerts_and_review_json(gpath: Path) -> None:
    res = runner.invoke(app, ["alerts", "-w", str(gpath), "-p", "2026-10", "--format", "json"])
    assert res.exit_code == 0, res.output
    got = {(a["community_id"], a["rule_id"]) for a in json.loads(res.output)}
    # g1 churn 4/48 > 5 %; g2 churn 1/10 > 5 % (not > 15 %)
    assert got == {("g1", "churn_service"), ("g2", "churn_service")}
    res = runner.invoke(app, ["review", "-w", str(gpath), "-p", "2026-10", "--format", "json"])
    assert res.exit_code == 0, res.output
    rv = json.loads(res.output)[0]
    # same severity: impact = gap × members_end; g1 (0.0833 − 0.05)/0.05 × 74 > g2 (0.1 − 0.05)/0.05 × 9
    assert [a["community_id"] for a in rv["top"]] == ["g1", "g2"]
    assert rv["top"][0]["evidence"][0]["total"] == 4


def test_refresh_and_drivers_json(gpath: Path, tmp_path: Path) -> None:
    plan = Plan(community_id="g1", purpose="service", start="2026-07", deadline=date(2026, 9, 30),
                north_star=Target(metric="joins", target=25, actions=["海报"]),
                supporting=[Target(metric="leaves", target=1, actions=["回访"], relation="r")])
    f = tmp_path / "g1.yaml"
    f.write_text(plan.to_yaml(), encoding="utf-8")
    assert runner.invoke(app, ["plan", "set", str(f), "-w", str(gpath)]).exit_code == 0
    res = runner.invoke(app, ["plan", "refresh", "-w", str(gpath), "-c", "g1", "--format", "json", "--save"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)[0]
    assert (out["quarter"], out["next_quarter"]) == ("2026-Q3", "2026-Q4")  # the plan deadline's quarter
    assert out["rows"][0]["new_target"] == 21  # Q3 joins mean 10 / 25 → −15 % → 21.25
    shown = yaml.safe_load(runner.invoke(app, ["plan", "show", "-w", str(gpath), "-c", "g1", "--format", "yaml"]).output)
    assert shown["start"] == "2026-10" and shown["north_star"]["target"] == 21
    res = runner.invoke(app, ["plan", "drivers", "-w", str(gpath), "-c", "g1", "-p", "2026-10", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert {(d["metric"], d["lag"]) for d in json.loads(res.output)} == {("leaves", 0), ("leaves", 1), ("leaves", 2)}
    res = runner.invoke(app, ["plan", "templates", "--format", "json"])
    assert res.exit_code == 0 and "fitness_checkin" in res.output
