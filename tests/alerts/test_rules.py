"""Each diagnosis rule of SPEC §6: one case that fires it and one that does not (boundary values), persistence,
supersession, purpose filters, settings thresholds, workspace overrides and rule validation.

Metric values are injected through a MetricSource so the rules are tested independently of the catalog; one test at
the end runs the growth rules through the real engine on the hand-built "g" workspace.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest
import yaml
from tests.plans.builder import build_g, community, insert

from qunkpi.alerts import evaluate_alerts, load_rules, persistence_periods, persistence_windows, review
from qunkpi.alerts.model import RULES_FILE, RuleSet
from qunkpi.engine.periods import Period, parse_period
from qunkpi.errors import ValidationFailed
from qunkpi.workspace import Workspace

SHIPPED = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
RULE_METRICS = {r["metric"] for r in SHIPPED} | {"members_end"}


def source_of(values: dict[tuple[str, str, str], Any]):  # type: ignore[no-untyped-def]
    """values[(community, period, metric)] = a number, or a list of numbers = breakdown rows (post_1, post_2 ...)."""

    def fetch(periods: list[Period], metrics: list[str], communities: list[str] | None) -> pd.DataFrame:
        rows = []
        for (c, p, m), v in values.items():
            if m in metrics and p in {x.label for x in periods} and (communities is None or c in communities):
                if isinstance(v, list):
                    rows += [{"community_id": c, "period": p, "metric": m, "value": x, "breakdown": f"post_{i}", "unit": "ratio", "reason": None}
                             for i, x in enumerate(v)]
                else:
                    rows.append({"community_id": c, "period": p, "metric": m, "value": v, "breakdown": None, "unit": "ratio", "reason": None})
        return pd.DataFrame(rows, columns=["community_id", "period", "metric", "value", "breakdown", "unit", "reason"])

    return fetch


@pytest.fixture
def aws(ws: Workspace) -> Workspace:
    insert(ws, "communities", [community("sale1", purpose="sales"), community("serv1", purpose="service")])
    insert(ws, "posts", [{"post_id": "p1", "account_id": "acc1", "kind": "article", "published_at": pd.Timestamp("2026-10-03"),
                          "title": "t", "is_original": True, "delivered": 100, "read_users": 5}])
    return ws


def rules(ws: Workspace, *ids: str) -> list[Any]:
    rs = load_rules(ws.path, known_metrics=RULE_METRICS)
    return [r for r in rs.rules if r.id in ids]


# rule id → (community or account, value that fires, value that does not: the threshold itself or just inside)
CASES: dict[str, tuple[str, Any, Any]] = {
    "churn_service": ("serv1", 0.06, 0.05),
    "churn_critical": ("serv1", 0.16, 0.15),
    "silent_high": ("serv1", 0.71, 0.70),
    "core_interaction_low": ("serv1", 0.49, 0.50),
    "activity_participation_low": ("serv1", 0.19, 0.20),
    "negative_share_high": ("serv1", 0.11, 0.10),
    "staff_flooding": ("serv1", 0.51, 0.50),
    "effective_share_low": ("serv1", 0.29, 0.30),
    "open_rate_low": ("acc1", 0.09, 0.10),
    "quality_content": ("acc1", [0.31, 0.05], [0.30, 0.2]),  # the best post decides (breakdown: max)
    "sales_precondition_csat": ("sale1", 0.84, 0.85),
}


def test_every_shipped_rule_has_a_case() -> None:
    assert {r["id"] for r in SHIPPED} == {*CASES, "net_growth_negative_2w"}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_and_stays_quiet(aws: Workspace, rule_id: str) -> None:
    cid, hot, cold = CASES[rule_id]
    rs = rules(aws, rule_id)
    metric = rs[0].metric
    fired = evaluate_alerts(aws, "2026-10", rules=rs, source=source_of({(cid, "2026-10", metric): hot}))
    assert [(a.rule_id, a.community_id) for a in fired] == [(rule_id, cid)]
    a = fired[0]
    assert a.value == pytest.approx(max(hot) if isinstance(hot, list) else hot)
    assert a.threshold == rs[0].threshold and a.action and a.title and a.period == "2026-10"
    assert [e.name for e in a.evidence] == rs[0].evidence
    quiet = evaluate_alerts(aws, "2026-10", rules=rs, source=source_of({(cid, "2026-10", metric): cold}))
    assert quiet == []
    assert evaluate_alerts(aws, "2026-10", rules=rs, source=source_of({})) == []  # no value → no alert


def test_two_weeks_running_means_the_last_two_complete_iso_weeks() -> None:
    # October 2026 ends Saturday 31st: the week of 26 Oct ends 2 Nov (after the period) → W42 and W43
    assert [p.label for p in persistence_periods(parse_period("2026-10"), "week", 2)] == ["2026-W42", "2026-W43"]
    assert [p.label for p in persistence_periods(parse_period("2026-W43"), "week", 2)] == ["2026-W42", "2026-W43"]


def test_persistence_windows_of_a_month_and_a_week() -> None:
    # runs of two complete ISO weeks whose second week ends inside October 2026: W40 (ends Oct 5) … W43 (ends Oct 26)
    runs = [[q.label for q in w] for w in persistence_windows(parse_period("2026-10"), "week", 2)]
    assert runs == [["2026-W42", "2026-W43"], ["2026-W41", "2026-W42"], ["2026-W40", "2026-W41"], ["2026-W39", "2026-W40"]]
    assert [[q.label for q in w] for w in persistence_windows(parse_period("2026-W43"), "week", 2)] == [["2026-W42", "2026-W43"]]


def test_a_shrinking_fortnight_in_mid_month_fires_for_the_month(aws: Workspace) -> None:
    vals = {("serv1", "2026-W40", "net_growth_rate"): -0.03, ("serv1", "2026-W41", "net_growth_rate"): -0.01,
            ("serv1", "2026-W42", "net_growth_rate"): 0.02, ("serv1", "2026-W43", "net_growth_rate"): 0.01}
    got = evaluate_alerts(aws, "2026-10", rules=rules(aws, "net_growth_negative_2w"), source=source_of(vals))
    assert [a.series for a in got] == [[("2026-W40", -0.03), ("2026-W41", -0.01)]]
    # the same weeks seen from the week W43 (its own fortnight W42–W43 grew): quiet
    assert evaluate_alerts(aws, "2026-W43", rules=rules(aws, "net_growth_negative_2w"), source=source_of(vals)) == []


@pytest.mark.parametrize(("w42", "w43", "fires"), [(-0.01, -0.02, True), (-0.01, 0.0, False), (0.01, -0.02, False)])
def test_net_growth_negative_two_weeks_running(aws: Workspace, w42: float, w43: float, fires: bool) -> None:
    vals = {("serv1", "2026-W42", "net_growth_rate"): w42, ("serv1", "2026-W43", "net_growth_rate"): w43}
    got = evaluate_alerts(aws, "2026-10", rules=rules(aws, "net_growth_negative_2w"), source=source_of(vals))
    assert bool(got) == fires
    if fires:
        assert got[0].series == [("2026-W42", -0.01), ("2026-W43", -0.02)] and got[0].value == -0.02


def test_critical_churn_supersedes_the_service_diagnosis(aws: Workspace) -> None:
    got = evaluate_alerts(aws, "2026-10", rules=rules(aws, "churn_service", "churn_critical"),
                          source=source_of({("serv1", "2026-10", "churn_rate"): 0.2}))
    assert [a.rule_id for a in got] == ["churn_critical"]


def test_sales_precondition_only_for_sales_communities(aws: Workspace) -> None:
    vals = {("sale1", "2026-10", "csat_share"): 0.5, ("serv1", "2026-10", "csat_share"): 0.5}
    got = evaluate_alerts(aws, "2026-10", rules=rules(aws, "sales_precondition_csat"), source=source_of(vals))
    assert [a.community_id for a in got] == ["sale1"]


def test_threshold_from_workspace_settings(aws: Workspace) -> None:
    aws.settings.classification.negative_alarm_share = 0.2
    rs = rules(aws, "negative_share_high")
    assert evaluate_alerts(aws, "2026-10", rules=rs, source=source_of({("serv1", "2026-10", "negative_share"): 0.15})) == []
    got = evaluate_alerts(aws, "2026-10", rules=rs, source=source_of({("serv1", "2026-10", "negative_share"): 0.25}))
    assert got[0].threshold == 0.2


def test_workspace_rules_override_add_and_disable(aws: Workspace) -> None:
    d = aws.path / "rules"
    d.mkdir()
    (d / "mine.yaml").write_text(yaml.safe_dump([
        {"id": "churn_service", "threshold": 0.08},
        {"id": "silent_high", "enabled": False},
        {"id": "joins_low", "metric": "joins", "op": "<", "threshold": 5, "severity": "low", "title_zh": "拉新少",
         "title_en": "few joins", "action_zh": "加大拉新", "action_en": "acquire more", "evidence": ["leavers"]},
    ], allow_unicode=True), encoding="utf-8")
    rs = load_rules(aws.path, known_metrics=RULE_METRICS | {"joins"})
    by = {r.id: r for r in rs.rules}
    assert by["churn_service"].threshold == 0.08 and by["churn_service"].severity == "medium"  # merged
    assert not by["silent_high"].enabled
    vals = {("serv1", "2026-10", "joins"): 3, ("serv1", "2026-10", "churn_rate"): 0.07, ("serv1", "2026-10", "silent_ratio"): 0.9}
    got = evaluate_alerts(aws, "2026-10", rules=rs, source=source_of(vals))
    assert [a.rule_id for a in got] == ["joins_low"]  # churn 7 % < 8 %, silent rule off


def test_rule_problems_are_reported_at_once(aws: Workspace) -> None:
    d = aws.path / "rules"
    d.mkdir()
    (d / "bad.yaml").write_text(yaml.safe_dump([
        {"id": "r1", "metric": "churn_rat", "op": ">", "threshold": 0.1, "severity": "high", "title_zh": "a", "title_en": "a",
         "action_zh": "b", "action_en": "b"},
        {"id": "r2", "metric": "churn_rate", "op": "=>", "threshold": 0.1, "severity": "urgent", "title_zh": "a", "title_en": "a",
         "action_zh": "b", "action_en": "b"},
        {"id": "r3", "metric": "churn_rate", "op": ">", "threshold": 0.1, "severity": "high", "title_zh": "a", "title_en": "a",
         "action_zh": "b", "action_en": "b", "evidence": ["nothing"], "supersedes": ["ghost"]},
    ]), encoding="utf-8")
    with pytest.raises(ValidationFailed) as e:
        load_rules(aws.path, known_metrics=RULE_METRICS)
    cols = sorted((p.column or "") for p in e.value.problems)
    assert cols == ["evidence", "metric", "op", "severity", "supersedes"]


def test_shipped_rules_are_valid() -> None:
    rs = load_rules(None, known_metrics=RULE_METRICS)
    assert isinstance(rs, RuleSet) and rs.warnings == [] and len(rs.rules) == len(SHIPPED)


def test_review_picks_top_three_by_severity_then_impact(aws: Workspace) -> None:
    insert(aws, "communities", [community("serv2", purpose="service")])
    vals = {
        ("serv1", "2026-10-12..2026-10-25", "churn_rate"): 0.30,  # critical
        ("serv1", "2026-10-12..2026-10-25", "negative_share"): 0.12,  # high, gap 0.2
        ("serv2", "2026-10-12..2026-10-25", "negative_share"): 0.30,  # high, gap 2.0 → before serv1's
        ("serv2", "2026-10-12..2026-10-25", "silent_ratio"): 0.9,  # medium
        ("acc1", "2026-10-12..2026-10-25", "secondary_share"): [0.5],  # a mark, not a problem
    }
    rv = review(aws, "2026-W43", rules=load_rules(aws.path, known_metrics=RULE_METRICS), source=source_of(vals))
    assert rv.period == "2026-10-12..2026-10-25"  # the fortnight ending with W43
    assert [(a.community_id, a.rule_id) for a in rv.top] == [
        ("serv1", "churn_critical"), ("serv2", "negative_share_high"), ("serv1", "negative_share_high")]
    assert rv.total_problems == 4 and [a.rule_id for a in rv.others] == ["silent_high"]
    assert [a.rule_id for a in rv.marks] == ["quality_content"]
    assert rv.by_severity == {"critical": 1, "high": 2, "medium": 1}


def test_growth_rules_through_the_engine(ws: Workspace) -> None:
    build_g(ws)
    # g2 also loses c01 on 2026-10-14 (W42); c00 leaves 2026-10-20 (W43)
    ws.con.execute("UPDATE members SET left_at = TIMESTAMP '2026-10-14 09:00:00' WHERE member_id = 'c01'")
    rs = load_rules(ws.path, known_metrics=RULE_METRICS)
    got = evaluate_alerts(ws, "2026-10", rules=[r for r in rs.rules if r.metric in ("net_growth_rate", "churn_rate")])
    found = {(a.community_id, a.rule_id): a for a in got}
    # g1: churn 4/48 = 0.0833 > 5 %; weeks: W42 no joins or leaves (0, not negative), W43 −4 → not two weeks running
    # g2: churn 2/10 = 0.2 > 15 % (critical replaces the 5 % alert); W42 −1/10, W43 −1/9 → two weeks running
    assert set(found) == {("g1", "churn_service"), ("g2", "churn_critical"), ("g2", "net_growth_negative_2w")}
    assert found[("g1", "churn_service")].value == pytest.approx(4 / 48)
    leavers = found[("g1", "churn_service")].evidence[0]
    assert leavers.total == 4 and sorted(r[0] for r in leavers.rows) == ["b02", "b03", "b04", "b05"]
    ng = found[("g2", "net_growth_negative_2w")]
    assert ng.series == [("2026-W42", pytest.approx(-0.1)), ("2026-W43", pytest.approx(-1 / 9))]
    assert sorted(r[0] for r in ng.evidence[0].rows) == ["c00", "c01"]  # leavers of those two weeks
    assert found[("g2", "churn_critical")].severity == "critical"
    assert found[("g2", "churn_critical")].members == 8  # members_end: 10 − 2


def test_a_failing_metric_does_not_hide_the_other_alerts(aws: Workspace) -> None:
    good = source_of({("serv1", "2026-10", "churn_rate"): 0.2})

    def flaky(periods, metrics, communities):  # type: ignore[no-untyped-def]
        if "silent_ratio" in metrics:
            raise RuntimeError("boom")
        return good(periods, metrics, communities)

    notes: list[str] = []
    got = evaluate_alerts(aws, "2026-10", rules=rules(aws, "churn_critical", "silent_high"), source=flaky, problems=notes)
    assert [a.rule_id for a in got] == ["churn_critical"]
    assert len(notes) == 1 and "silent_ratio" in notes[0] and "boom" in notes[0]
