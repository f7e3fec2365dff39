"""SMART validation: every problem at once, errors vs warnings, implausible targets with evidence.

The metric definitions are built here (not read from the catalog) so the checks are tested independently of which
metrics other modules have registered.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from qunkpi.catalog.model import MetricDef
from qunkpi.errors import ValidationFailed
from qunkpi.plans.model import Plan, Target, parse_plan, raise_errors, read_plan_file
from qunkpi.plans.smart import History, check_plan, plan_periods


def mdef(mid: str, family: str, kind: str = "result", unit: str = "ratio", direction: str = "higher") -> MetricDef:
    return MetricDef.model_validate({
        "id": mid, "zh": mid, "en": mid, "family": family, "kind": kind, "unit": unit, "direction": direction,
        "tables": ["members"], "definition_zh": "-", "definition_en": "-", "formula": "-", "impl": mid,
    })


KNOWN = {m.id: m for m in [
    mdef("nps", "value", unit="points"),
    mdef("churn_rate", "growth", direction="lower"),
    mdef("engaged_rate", "engagement"),
    mdef("topic_bursts", "engagement", kind="process", unit="count"),
    mdef("gmv", "value", unit="yuan"),
    mdef("csat_share", "value"),
]}


def target(metric: str | None, value: float | None, **kw: object) -> Target:
    base = {"actions": ["每周主题讨论"], "relation": "提升留存"}
    base.update(kw)
    return Target(metric=metric, target=value, **base)  # type: ignore[arg-type]


def plan(**kw: object) -> Plan:
    base: dict[str, object] = {
        "community_id": "c1", "purpose": "service", "start": "2026-11", "deadline": date(2026, 11, 30),
        "north_star": target("nps", 14),
        "supporting": [target("churn_rate", 0.04), target("engaged_rate", 0.3), target("topic_bursts", 8)],
    }
    base.update(kw)
    return Plan.model_validate(base)


def test_a_good_plan_has_no_issue() -> None:
    assert check_plan(plan(), KNOWN) == []


def test_all_problems_reported_at_once() -> None:
    p = plan(supporting=[
        target(None, 0.1),  # no metric
        target("churn_rat", 0.04),  # unknown id → hint churn_rate
        target("engaged_rate", None),  # no target value
        target("engaged_rate", 30),  # a percent written as a number
        target("topic_bursts", 8, deadline=date(2026, 10, 1)),  # deadline before the plan starts
    ])
    issues = check_plan(p, KNOWN)
    errors = [i for i in issues if i.level == "error"]
    msgs = " | ".join(i.format() for i in errors)
    assert len(errors) == 5, msgs
    assert "supporting[0]" in msgs and ("no metric" in msgs or "没有指标" in msgs)
    assert "churn_rat" in msgs and "churn_rate" in msgs  # the hint names the close id
    assert "supporting[2]" in msgs
    assert "supporting[3]" in msgs and "0.30" in msgs
    assert "supporting[4]" in msgs
    with pytest.raises(ValidationFailed) as e:
        raise_errors(issues, "plan")
    assert len(e.value.problems) == 5


def test_missing_actions_relation_family_and_process_are_warnings() -> None:
    p = plan(north_star=target("nps", 14, actions=[]),
             supporting=[target("churn_rate", 0.04, relation="")])
    issues = check_plan(p, KNOWN)
    assert all(i.level == "warning" for i in issues)
    text = " | ".join(i.format() for i in issues)
    assert "north_star" in text  # no actions (A)
    assert "supporting[0]" in text  # no relation (R)
    assert len(issues) == 4  # + no engagement family, + no process metric


def test_implausible_nps_target_is_warned_with_history_evidence() -> None:
    # the seeds' example: NPS 10 → 90 in a month. History 8, 12, 10 (baseline = mean = 10);
    # largest one-month improvement +4 → limit 6 < 80 needed
    hist = History(["2026-08", "2026-09", "2026-10"], {"nps": [8, 12, 10]})
    p = plan(north_star=target("nps", 90))
    issues = [i for i in check_plan(p, KNOWN, hist) if "nps" in i.message.lower() or "NPS" in i.message or "nps" in i.where]
    assert len(issues) == 1 and issues[0].level == "warning"
    assert "10.0" in issues[0].message and "90.0" in issues[0].message
    assert "4.0" in issues[0].hint and "2026-08" in issues[0].hint  # +4 from 2026-08 to 2026-09


def test_target_worse_than_baseline_is_warned() -> None:
    hist = History(["2026-08", "2026-09", "2026-10"], {"churn_rate": [0.03, 0.03, 0.03]})
    p = plan(supporting=[target("churn_rate", 0.05), target("engaged_rate", 0.3), target("topic_bursts", 8)])
    issues = check_plan(p, KNOWN, hist)
    assert len(issues) == 1 and "supporting[0]" in issues[0].where


def test_sales_plan_without_csat_precondition_is_warned() -> None:
    p = plan(purpose="sales", supporting=[target("gmv", 1000), target("engaged_rate", 0.3), target("topic_bursts", 8),
                                          target("churn_rate", 0.04)])
    issues = check_plan(p, KNOWN)
    assert len(issues) == 1 and "csat_share" in issues[0].message
    p2 = plan(purpose="sales", supporting=[target("gmv", 1000), target("engaged_rate", 0.3), target("topic_bursts", 8),
                                           target("churn_rate", 0.04), target("csat_share", 0.9)])
    assert check_plan(p2, KNOWN) == []


def test_plan_periods_run_to_the_deadline() -> None:
    p = plan(start="2026-11", deadline=date(2027, 1, 31))
    assert [x.label for x in plan_periods(p)] == ["2026-11", "2026-12", "2027-01"]


def test_schema_errors_and_yaml_round_trip(tmp_path: Path) -> None:
    pl, issues = parse_plan({"community_id": "c1", "start": "2026-11", "deadline": "2026-11-30",
                             "north_star": {"metric": "nps", "targt": 3}, "grain": "fortnight"}, "c1.yaml")
    assert pl is None
    where = " | ".join(i.where for i in issues)
    assert "north_star.targt" in where and "grain" in where  # both at once
    good = plan()
    f = tmp_path / "c1.yaml"
    f.write_text(good.to_yaml(), encoding="utf-8")
    back, issues = read_plan_file(f)
    assert issues == [] and back == good
