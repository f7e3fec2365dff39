"""Diagnosis rules as data (SPEC §6) and the alerts they raise.

A rule names a metric, a comparison and threshold, an optional persistence ("two weeks running" = the condition
holds in each of the last 2 complete ISO weeks ending at or before the period end), a severity, the evidence query
that lists the rows behind an alert, and the recommended action in zh/en. Shipped rules live in ``rules.yaml``; a
workspace adds or overrides them with ``<ws>/rules/*.yaml`` (a record with the id of a shipped rule is merged over
it, so ``{id: churn_service, threshold: 0.08}`` is enough to move a threshold; ``enabled: false`` turns it off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qunkpi import yamlio
from qunkpi.errors import Problem, ValidationFailed
from qunkpi.i18n import tr

RULES_FILE = Path(__file__).parent / "rules.yaml"
Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}
Op = Literal["<", "<=", ">", ">="]


class Persistence(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grain: Literal["day", "week", "month"]
    count: int = Field(2, ge=1, le=12)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    metric: str
    op: Op
    threshold: float
    threshold_setting: str | None = None  # dotted path in the workspace settings that overrides threshold
    severity: Severity
    kind: Literal["problem", "mark"] = "problem"  # mark = a positive finding (quality content), not a problem
    title_zh: str
    title_en: str
    action_zh: str
    action_en: str
    persistence: Persistence | None = None
    purposes: list[str] = Field(default_factory=list)  # empty = every purpose (and unset ones)
    level: Literal["community", "account"] = "community"
    breakdown: str = "auto"  # how breakdown rows become one value: auto|total|median|max|min|sum|mean|<label>
    evidence: list[str] = Field(default_factory=list)
    supersedes: list[str] = Field(default_factory=list)
    source: str = ""
    enabled: bool = True

    def title(self) -> str:
        return tr(self.title_zh, self.title_en)

    def action(self) -> str:
        return tr(self.action_zh, self.action_en)

    def fires(self, value: float | None, threshold: float) -> bool:
        if value is None:
            return False
        return {"<": value < threshold, "<=": value <= threshold, ">": value > threshold, ">=": value >= threshold}[self.op]


@dataclass
class Evidence:
    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total: int  # rows behind the alert (the list is cut at the limit)


@dataclass
class Alert:
    rule_id: str
    community_id: str
    community_name: str
    period: str
    metric: str
    value: float
    threshold: float
    op: str
    unit: str
    severity: str
    kind: str
    title: str
    action: str
    series: list[tuple[str, float | None]] = field(default_factory=list)  # persistence periods, oldest first
    evidence: list[Evidence] = field(default_factory=list)
    impact: float = 0.0
    members: float | None = None
    source: str = ""

    @property
    def rank(self) -> tuple[int, float]:
        return SEVERITY_RANK.get(self.severity, 0), self.impact


@dataclass
class RuleSet:
    rules: list[Rule]
    warnings: list[Problem]


def _read(path: Path, problems: list[Problem]) -> list[dict[str, Any]]:
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        problems.append(Problem(path.name, None, None, tr(f"YAML 无法解析：{e}", f"not valid YAML: {e}")))
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        problems.append(Problem(path.name, None, None, tr("应为规则列表（每项以 - id: 开头）", "expected a list of rules (- id: ...)")))
        return []
    return [d for d in data if isinstance(d, dict)]


def load_rules(ws_path: Path | None = None, known_metrics: set[str] | None = None,
               evidence_names: set[str] | None = None) -> RuleSet:
    """Shipped rules merged with ``<ws>/rules/*.yaml``; every problem at once (schema, evidence names, metric ids)."""
    if known_metrics is None:
        from qunkpi.catalog import load_catalog

        known_metrics = set(load_catalog().metrics)
    if evidence_names is None:
        from qunkpi.alerts.evidence import EVIDENCE

        evidence_names = set(EVIDENCE)
    problems: list[Problem] = []
    warnings: list[Problem] = []
    raw: dict[str, tuple[str, bool, dict[str, Any]]] = {}
    for rec in _read(RULES_FILE, problems):
        raw[str(rec.get("id"))] = ("rules.yaml", True, rec)
    if ws_path is not None and (ws_path / "rules").is_dir():
        for path in sorted((ws_path / "rules").glob("*.yaml")):
            for rec in _read(path, problems):
                rid = str(rec.get("id"))
                where = f"rules/{path.name}"
                if rid in raw and raw[rid][1]:
                    raw[rid] = (where, False, {**raw[rid][2], **rec})  # override of a shipped rule
                else:
                    raw[rid] = (where, False, rec)
    rules: list[Rule] = []
    for rid, (where, shipped, rec) in raw.items():
        try:
            r = Rule.model_validate(rec)
        except ValidationError as e:
            for err in e.errors():
                loc = ".".join(str(x) for x in err["loc"])
                problems.append(Problem(where, None, loc, f"rule {rid}: {err['msg']}", tr("见 docs/plans.md 的规则格式", "see the rule format in docs/plans.md")))
            continue
        for ev in r.evidence:
            if ev not in evidence_names:
                problems.append(Problem(where, None, "evidence", f"rule {rid}: " + tr(f"没有名为 {ev} 的证据查询", f"no evidence query named {ev}"),
                                        tr(f"可用：{', '.join(sorted(evidence_names))}", f"available: {', '.join(sorted(evidence_names))}")))
        if r.metric not in known_metrics:
            p = Problem(where, None, "metric", f"rule {rid}: " + tr(f"指标目录中没有 {r.metric}", f"metric {r.metric} is not in the catalog"),
                        tr("用 `qunkpi catalog` 查看可用指标", "see `qunkpi catalog`"))
            (warnings if shipped else problems).append(p)
        rules.append(r)
    ids = {r.id for r in rules}
    for r in rules:
        for s in r.supersedes:
            if s not in ids:
                problems.append(Problem(raw[r.id][0], None, "supersedes", f"rule {r.id}: " + tr(f"没有规则 {s}", f"no rule {s}")))
    if problems:
        raise ValidationFailed(problems, what="rules")
    return RuleSet(rules, warnings)
