"""Plan templates and plans as validated data (SPEC §5).

Templates ship as YAML in ``plans/templates/`` (one list of templates per file); a workspace may add or override
them in ``<ws>/templates/*.yaml``. A plan is YAML in ``<ws>/plans/`` that the user can edit and load again with
``qunkpi plan set FILE``. Loading runs schema → cross references (catalog ids) → SMART checks and reports every
problem at once (metricflow style); warnings never stop a load, errors do.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from qunkpi import yamlio
from qunkpi.errors import Problem, ValidationFailed
from qunkpi.i18n import tr

TEMPLATES_DIR = Path(__file__).parent / "templates"
Purpose = Literal["sales", "service", "content", "leads"]
Stage = Literal["startup", "growth", "mature"]
AccountType = Literal["media", "product", "sales"]
TemplateKind = Literal["purpose", "stage", "account_type", "example"]
MetricKind = Literal["process", "result"]
Scope = Literal["community", "team", "company"]
Grain = Literal["week", "month", "quarter"]
Op = Literal[">=", "<=", ">", "<"]


@dataclass(frozen=True)
class Issue:
    """One finding of a check: ``error`` stops a load, ``warning`` is shown with its evidence."""

    level: Literal["error", "warning"]
    where: str  # file and path inside it: "plans/c1.yaml: supporting[2]"
    message: str
    hint: str = ""

    def format(self) -> str:
        text = f"{self.where}: {self.message}"
        return f"{text} — {self.hint}" if self.hint else text

    def problem(self) -> Problem:
        return Problem(self.where, None, None, self.message, self.hint)


def raise_errors(issues: list[Issue], what: str) -> None:
    errors = [i for i in issues if i.level == "error"]
    if errors:
        raise ValidationFailed([i.problem() for i in errors], what=what)


def pydantic_issues(where: str, e: ValidationError) -> list[Issue]:
    out = []
    for err in e.errors():
        loc = ".".join(str(x) for x in err["loc"])
        out.append(Issue("error", f"{where}: {loc}" if loc else where, err["msg"],
                         tr("按模板/计划格式修改（见 docs/plans.md）", "fix the field (see docs/plans.md)")))
    return out


# -- templates -------------------------------------------------------------------------------------------


class TemplateBenchmark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    op: Op
    value: float
    source: str
    note_zh: str = ""
    note_en: str = ""

    def met(self, v: float | None) -> bool | None:
        if v is None:
            return None
        return {">=": v >= self.value, "<=": v <= self.value, ">": v > self.value, "<": v < self.value}[self.op]


class TemplateMetric(BaseModel):
    """A supporting metric of a template: why it matters for the North Star, its actions, process or result."""

    model_config = ConfigDict(extra="forbid")
    metric: str
    kind: MetricKind | None = None  # None = the catalog's kind
    breakdown: str | None = None  # for breakdown metrics (join_rate: "__total__")
    benchmark: TemplateBenchmark | None = None
    relation_zh: str = ""
    relation_en: str = ""
    actions_zh: list[str] = Field(default_factory=list)
    actions_en: list[str] = Field(default_factory=list)


class NorthStar(BaseModel):
    model_config = ConfigDict(extra="forbid")
    metric: str
    alternatives: list[str] = Field(default_factory=list)
    breakdown: str | None = None
    benchmark: TemplateBenchmark | None = None
    why_zh: str
    why_en: str
    actions_zh: list[str] = Field(default_factory=list)
    actions_en: list[str] = Field(default_factory=list)


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    kind: TemplateKind
    zh: str
    en: str
    source: str
    purpose: Purpose | None = None
    stage: Stage | None = None
    account_type: AccountType | None = None
    goal_zh: str = ""
    goal_en: str = ""
    north_star: NorthStar | None = None
    supporting: list[TemplateMetric] = Field(default_factory=list)

    def name(self) -> str:
        return tr(self.zh, self.en)

    def metric_ids(self) -> list[str]:
        ids: list[str] = []
        if self.north_star:
            ids += [self.north_star.metric, *self.north_star.alternatives]
        ids += [m.metric for m in self.supporting]
        return list(dict.fromkeys(ids))


@dataclass
class TemplateSet:
    templates: dict[str, Template]
    issues: list[Issue]

    def get(self, tid: str) -> Template:
        from qunkpi.errors import QunkpiError

        if tid not in self.templates:
            raise QunkpiError(tr(f"没有模板 {tid}（可用：{', '.join(self.templates)}）",
                                 f"no template {tid} (available: {', '.join(self.templates)})"))
        return self.templates[tid]

    def for_purpose(self, purpose: str) -> Template | None:
        return next((t for t in self.templates.values() if t.kind == "purpose" and t.purpose == purpose), None)

    def for_stage(self, stage: str | None) -> Template | None:
        return next((t for t in self.templates.values() if t.kind == "stage" and t.stage == stage), None)

    def for_account_type(self, kind: str) -> Template | None:
        return next((t for t in self.templates.values() if t.kind == "account_type" and t.account_type == kind), None)


def _read_yaml_list(path: Path, issues: list[Issue]) -> list[dict[str, Any]]:
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        issues.append(Issue("error", path.name, tr(f"YAML 无法解析：{e}", f"not valid YAML: {e}")))
        return []
    if data is None:
        return []
    if not isinstance(data, list):
        issues.append(Issue("error", path.name, tr("应为模板列表（每项以 - id: 开头）", "expected a list of templates (- id: ...)")))
        return []
    return [d for d in data if isinstance(d, dict)]


def load_templates(ws_path: Path | None = None, known_metrics: set[str] | None = None) -> TemplateSet:
    """Shipped templates, then ``<ws>/templates/*.yaml`` (same id replaces). Schema errors raise (all at once).

    Unknown metric ids are warnings for shipped templates (the catalog may not have them yet; such metrics are
    skipped when a plan is proposed) and errors for the workspace's own templates (a typo there is the user's).
    """
    if known_metrics is None:
        from qunkpi.catalog import load_catalog

        known_metrics = set(load_catalog().metrics)
    issues: list[Issue] = []
    out: dict[str, Template] = {}
    sources: list[tuple[Path, bool]] = [(p, True) for p in sorted(TEMPLATES_DIR.glob("*.yaml"))]
    if ws_path is not None and (ws_path / "templates").is_dir():
        sources += [(p, False) for p in sorted((ws_path / "templates").glob("*.yaml"))]
    for path, shipped in sources:
        where_file = path.name if shipped else f"templates/{path.name}"
        for i, rec in enumerate(_read_yaml_list(path, issues)):
            where = f"{where_file}: [{i}] {rec.get('id', '?')}"
            try:
                t = Template.model_validate(rec)
            except ValidationError as e:
                issues += pydantic_issues(where, e)
                continue
            issues += _template_rules(t, where, shipped, known_metrics)
            out[t.id] = t
    raise_errors(issues, "templates")
    return TemplateSet(out, issues)


def _template_rules(t: Template, where: str, shipped: bool, known: set[str]) -> list[Issue]:
    out: list[Issue] = []
    if t.kind in ("purpose", "account_type", "example") and t.north_star is None:
        out.append(Issue("error", where, tr("此类模板必须有北极星指标 north_star", "this kind of template needs a north_star")))
    if t.kind == "purpose" and t.purpose is None:
        out.append(Issue("error", where, tr("purpose 模板需写明 purpose", "a purpose template must name its purpose")))
    if t.kind == "stage" and t.stage is None:
        out.append(Issue("error", where, tr("stage 模板需写明 stage", "a stage template must name its stage")))
    if t.kind == "account_type" and t.account_type is None:
        out.append(Issue("error", where, tr("account_type 模板需写明 account_type", "an account_type template must name it")))
    seen: set[str] = set()
    for m in t.supporting:
        if m.metric in seen:
            out.append(Issue("error", where, tr(f"支撑指标 {m.metric} 重复", f"supporting metric {m.metric} listed twice")))
        seen.add(m.metric)
    for mid in t.metric_ids():
        if mid not in known:
            out.append(Issue("warning" if shipped else "error", where,
                             tr(f"指标目录中没有 {mid}", f"metric {mid} is not in the catalog"),
                             tr("用 `qunkpi catalog` 查看可用指标", "see `qunkpi catalog`")))
    return out


# -- plans ---------------------------------------------------------------------------------------------------


class Target(BaseModel):
    """One SMART target: metric (S, M), baseline, target value and deadline (T), actions (A), relation (R)."""

    model_config = ConfigDict(extra="forbid")
    metric: str | None = None
    target: float | None = None
    deadline: date | None = None  # None = the plan's deadline
    baseline: float | None = None
    baseline_periods: list[str] = Field(default_factory=list)
    kind: MetricKind | None = None  # None = the catalog's kind
    breakdown: str | None = None
    actions: list[str] = Field(default_factory=list)
    relation: str = ""
    schedule: dict[str, float] = Field(default_factory=dict)  # period label → target (seasonal refresh)
    reasoning: list[str] = Field(default_factory=list)

    @field_validator("schedule", mode="before")
    @classmethod
    def _keys_str(cls, v: Any) -> Any:
        return {str(k): val for k, val in v.items()} if isinstance(v, dict) else v


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = 1
    scope: Scope = "community"
    community_id: str | None = None
    team: str | None = None
    name: str = ""
    purpose: Purpose | None = None
    stage: Stage | None = None
    account_type: AccountType | None = None
    templates: list[str] = Field(default_factory=list)
    grain: Grain = "month"
    start: str  # label of the plan's first period, e.g. 2026-11
    deadline: date
    north_star: Target
    supporting: list[Target] = Field(default_factory=list)
    notes: str = ""

    def targets(self) -> list[tuple[str, Target]]:
        return [("north_star", self.north_star), *((f"supporting[{i}]", t) for i, t in enumerate(self.supporting))]

    def key(self) -> str:
        if self.scope == "community":
            return self.community_id or "?"
        if self.scope == "team":
            return f"team__{self.team}"
        return "company"

    def deadline_of(self, t: Target) -> date | None:
        return t.deadline or self.deadline

    def to_yaml(self) -> str:
        data = self.model_dump(mode="json", exclude_defaults=False)
        for t in [data["north_star"], *data["supporting"]]:
            for k in ("schedule", "baseline_periods", "reasoning", "actions"):
                if not t.get(k):
                    t.pop(k, None)
            for k in ("breakdown", "deadline", "kind"):
                if t.get(k) is None:
                    t.pop(k, None)
        return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)


def parse_plan(data: Any, where: str) -> tuple[Plan | None, list[Issue]]:
    """Schema stage of a plan (all problems at once)."""
    if not isinstance(data, dict):
        return None, [Issue("error", where, tr("计划文件应为 YAML 映射（north_star:, supporting: ...）",
                                               "a plan file is a YAML mapping (north_star:, supporting: ...)"))]
    try:
        plan = Plan.model_validate(data)
    except ValidationError as e:
        return None, pydantic_issues(where, e)
    issues: list[Issue] = []
    if plan.scope == "community" and not plan.community_id:
        issues.append(Issue("error", where, tr("社群计划需要 community_id", "a community plan needs community_id")))
    if plan.scope == "team" and not plan.team:
        issues.append(Issue("error", where, tr("团队计划需要 team", "a team plan needs team")))
    return plan, issues


def read_plan_file(path: Path) -> tuple[Plan | None, list[Issue]]:
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [Issue("error", str(path), tr("文件不存在", "file not found"))]
    except yaml.YAMLError as e:
        return None, [Issue("error", str(path), tr(f"YAML 无法解析：{e}", f"not valid YAML: {e}"))]
    return parse_plan(data, path.name)
