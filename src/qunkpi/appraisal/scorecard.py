"""Scorecards as validated data (SPEC §7).

The shipped defaults live in ``scorecards/default.yaml``; a workspace's ``scorecards.yaml`` overrides them
(top-level keys replace the default's, ``roles`` are replaced one role at a time). Loading validates in stages —
schema (pydantic) → cross-checks (weights add to 100 %, tiers ordered, known measures) — and reports every
problem at once, with the file and the path of the offending key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qunkpi import yamlio
from qunkpi.errors import Problem, ValidationFailed
from qunkpi.i18n import tr

DEFAULT_FILE = Path(__file__).parent / "scorecards" / "default.yaml"
WORKSPACE_FILE = "scorecards.yaml"
WEIGHT_TOTAL = 100.0
MAX_POINTS = 10.0  # item points use the seeds' 10-point scale (达标得 8-10 分)

#: Manual inputs every scorecard understands besides its own manual items.
REVIEW_KEYS = ("supervisor_score", "self_score")
GMV_TARGET_KEY = "gmv_target"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Tier(_Model):
    at_least: float = Field(..., description="achievement (value / target) this tier needs")
    points: float = Field(..., ge=0, le=MAX_POINTS)


class Scoring(_Model):
    fn: Literal["linear", "tiers", "threshold"] = "linear"
    cap: float = Field(1.0, gt=0, description="linear: achievement counted at most this much (1.0 = 10 points)")
    tiers: list[Tier] | None = Field(None, description="tiers: own table; blank = the scorecard's default_tiers")
    below_points: float = Field(0.0, ge=0, le=MAX_POINTS, description="threshold: points when the target is missed")


class ActivityParams(_Model):
    """Seed 004: creativity 40 % + execution 60 % (on-time launch, participation ≥ 20 %)."""

    creativity_weight: float = Field(0.4, ge=0, le=1)
    execution_weight: float = Field(0.6, ge=0, le=1)
    participation_target: float = Field(0.2, gt=0, le=1)
    creativity_input: str = "activity_creativity"


class Item(_Model):
    id: str
    zh: str
    en: str
    source: Literal["measured", "manual", "activity"]
    measure: str | None = None
    target: float | None = None
    direction: Literal["higher", "lower"] = "higher"
    weight: float = Field(..., ge=0, le=100, description="percent of the scorecard")
    scoring: Scoring = Field(default_factory=Scoring)  # type: ignore[arg-type]
    period_offset: int = Field(0, le=0, description="-1 = measure the previous period (retention cohorts)")
    min: float | None = None
    max: float | None = None
    sales: bool = Field(False, description="a sales item: counts only while csat ≥ csat_gate.min (seed 003)")
    data_skill: bool = Field(False, description="a low score suggests a data-skill training (seed 004)")
    training_zh: str | None = None
    training_en: str | None = None
    activity: ActivityParams | None = None

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh

    def training(self, lang: str) -> str | None:
        return self.training_en if lang == "en" else self.training_zh


class Blending(_Model):
    enabled: bool = False
    supervisor: float = Field(0.7, ge=0, le=1)
    self_: float = Field(0.2, ge=0, le=1, alias="self")
    system: float = Field(0.1, ge=0, le=1)


class RoleCard(_Model):
    zh: str
    en: str
    scope: Literal["own", "team", "all"] = "own"
    items: list[Item]
    blending: Blending | None = None

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


class BonusTier(_Model):
    min: float
    coefficient: float = Field(..., ge=0)


class Grade(_Model):
    min: float
    grade: str


class Promotion(_Model):
    above: float = 90.0
    consecutive: int = Field(3, ge=1, le=24)


class CsatGate(_Model):
    min: float = Field(0.85, ge=0, le=1)
    when_missing: Literal["count", "block"] = "count"


class Scorecards(_Model):
    version: int = 1
    blending: Blending = Field(default_factory=Blending)  # type: ignore[arg-type]
    bonus_tiers: list[BonusTier]
    grades: list[Grade]
    promotion: Promotion = Field(default_factory=Promotion)  # type: ignore[arg-type]
    csat_gate: CsatGate = Field(default_factory=CsatGate)  # type: ignore[arg-type]
    training_below_points: float = Field(6.0, ge=0, le=MAX_POINTS)
    default_tiers: list[Tier]
    roles: dict[str, RoleCard]

    def role(self, role: str) -> RoleCard | None:
        return self.roles.get(role)

    def blending_for(self, role: str) -> Blending:
        card = self.roles.get(role)
        return card.blending if card is not None and card.blending is not None else self.blending

    def bonus(self, total: float | None) -> float | None:
        if total is None:
            return None
        for t in self.bonus_tiers:
            if total >= t.min:
                return t.coefficient
        return None

    def grade(self, total: float | None) -> str | None:
        if total is None:
            return None
        for g in self.grades:
            if total >= g.min:
                return g.grade
        return None

    def manual_keys(self) -> dict[str, tuple[float, float]]:
        """Every manual input name this scorecard set accepts → its allowed (min, max)."""
        keys: dict[str, tuple[float, float]] = {k: (0.0, 100.0) for k in REVIEW_KEYS}
        keys[GMV_TARGET_KEY] = (0.0, float("inf"))
        for card in self.roles.values():
            for it in card.items:
                if it.source == "manual":
                    keys[it.id] = (it.min if it.min is not None else 0.0, it.max if it.max is not None else float("inf"))
                elif it.source == "activity":
                    keys[(it.activity or ActivityParams()).creativity_input] = (0.0, MAX_POINTS)  # type: ignore[call-arg]
        return keys


# -- loading ----------------------------------------------------------------------------------------

def _read_yaml(path: Path) -> tuple[dict[str, Any] | None, list[Problem]]:
    try:
        data = yamlio.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        row = mark.line + 1 if mark is not None else None
        return None, [Problem(str(path), row, None, tr(f"不是有效的 YAML：{e}", f"not valid YAML: {e}"))]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem(str(path), None, None, tr("顶层应为映射（键: 值）", "the top level must be a mapping (key: value)"))]
    return data, []


def merge(default: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys of ``override`` replace the default's; ``roles`` are replaced role by role."""
    out = dict(default)
    for k, v in override.items():
        if k == "roles" and isinstance(v, dict) and isinstance(default.get("roles"), dict):
            out["roles"] = {**default["roles"], **v}
        else:
            out[k] = v
    return out


def load_scorecards(workspace: Path | None = None, path: Path | None = None) -> Scorecards:
    """The default scorecards, overridden by ``<workspace>/scorecards.yaml`` (or ``path``) when present."""
    data, problems = _read_yaml(DEFAULT_FILE)
    if problems or data is None:
        raise ValidationFailed(problems, what="scorecards")
    src = str(DEFAULT_FILE)
    override = path if path is not None else (workspace / WORKSPACE_FILE if workspace is not None else None)
    if override is not None and override.exists():
        extra, problems = _read_yaml(override)
        if problems or extra is None:
            raise ValidationFailed(problems, what="scorecards")
        data = merge(data, extra)
        src = str(override)
    return validate_scorecards(data, src)


def validate_scorecards(data: dict[str, Any], file: str) -> Scorecards:
    """Schema, then cross-checks; raises :class:`ValidationFailed` with every problem found."""
    try:
        cards = Scorecards.model_validate(data)
    except ValidationError as e:
        problems = [
            Problem(file, None, _loc(err["loc"]), err["msg"], tr("见 docs/appraisal.md 的考核表格式", "see the scorecard format in docs/appraisal.md"))
            for err in e.errors()
        ]
        raise ValidationFailed(problems, what="scorecards") from None
    problems = cross_check(cards, file)
    if problems:
        raise ValidationFailed(problems, what="scorecards")
    return cards


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def cross_check(cards: Scorecards, file: str) -> list[Problem]:
    from qunkpi.appraisal.staff_values import MEASURES

    out: list[Problem] = []

    def add(where: str, zh: str, en: str, hint_zh: str = "", hint_en: str = "") -> None:
        out.append(Problem(file, None, where, tr(zh, en), tr(hint_zh, hint_en) if hint_zh or hint_en else ""))

    from qunkpi.workspace.schema import STAFF_ROLES

    for role in STAFF_ROLES:
        if role not in cards.roles:
            add("roles", f"缺少角色 {role} 的考核表", f"no scorecard for role {role}", "每个员工角色都需要一张考核表", "every staff role needs a scorecard")
    for role, card in cards.roles.items():
        base = f"roles.{role}"
        total = sum(it.weight for it in card.items)
        if abs(total - WEIGHT_TOTAL) > 1e-6:
            add(f"{base}.items", f"权重合计 {total:g}%，应为 100%", f"weights add up to {total:g}%, not 100%",
                f"调整 {', '.join(f'{it.id}={it.weight:g}' for it in card.items)}",
                f"adjust {', '.join(f'{it.id}={it.weight:g}' for it in card.items)}")
        seen: set[str] = set()
        for i, it in enumerate(card.items):
            where = f"{base}.items[{i}]({it.id})"
            if it.id in seen:
                add(where, f"指标项 id 重复：{it.id}", f"duplicate item id {it.id}")
            seen.add(it.id)
            if it.source == "measured":
                if not it.measure:
                    add(where + ".measure", "系统测量项需要 measure", "a measured item needs `measure`",
                        f"可选：{', '.join(MEASURES)}", f"one of: {', '.join(MEASURES)}")
                elif it.measure not in MEASURES:
                    add(where + ".measure", f"未知的测量项 {it.measure}", f"unknown measure {it.measure}",
                        f"可选：{', '.join(MEASURES)}", f"one of: {', '.join(MEASURES)}")
            if it.source in ("measured", "manual") and (it.target is None or it.target <= 0):
                add(where + ".target", "需要大于 0 的目标值", "needs a target greater than 0")
            if it.source == "manual":
                if it.min is not None and it.max is not None and it.min >= it.max:
                    add(where, f"min {it.min:g} 应小于 max {it.max:g}", f"min {it.min:g} must be below max {it.max:g}")
                if it.id in (*REVIEW_KEYS, GMV_TARGET_KEY):
                    add(where + ".id", f"{it.id} 是保留的录入项名", f"{it.id} is a reserved input name")
            if it.source == "activity":
                a = it.activity or ActivityParams()  # type: ignore[call-arg]
                if abs(a.creativity_weight + a.execution_weight - 1.0) > 1e-6:
                    add(where + ".activity", "创意与执行权重之和应为 1（默认 0.4 + 0.6）",
                        "creativity and execution weights must add up to 1 (default 0.4 + 0.6)")
            if it.scoring.tiers is not None:
                out.extend(_tier_problems(it.scoring.tiers, file, where + ".scoring.tiers"))
        if card.blending is not None:
            out.extend(_blend_problems(card.blending, file, base + ".blending"))
    out.extend(_blend_problems(cards.blending, file, "blending"))
    out.extend(_tier_problems(cards.default_tiers, file, "default_tiers"))
    out.extend(_floor_problems([t.min for t in cards.bonus_tiers], file, "bonus_tiers"))
    out.extend(_floor_problems([g.min for g in cards.grades], file, "grades"))
    return out


def _tier_problems(tiers: list[Tier], file: str, where: str) -> list[Problem]:
    out: list[Problem] = []
    if not tiers:
        return [Problem(file, None, where, tr("至少需要一档", "needs at least one tier"))]
    ats = [t.at_least for t in tiers]
    if ats != sorted(ats, reverse=True) or len(set(ats)) != len(ats):
        out.append(Problem(file, None, where, tr("各档 at_least 应从高到低且不重复", "tiers must be ordered by at_least, highest first, without repeats")))
    pts = [t.points for t in tiers]
    if pts != sorted(pts, reverse=True):
        out.append(Problem(file, None, where, tr("达成越高分数不应越低", "a higher tier must not give fewer points")))
    return out


def _floor_problems(mins: list[float], file: str, where: str) -> list[Problem]:
    out: list[Problem] = []
    if not mins:
        return [Problem(file, None, where, tr("至少需要一档", "needs at least one tier"))]
    if mins != sorted(mins, reverse=True):
        out.append(Problem(file, None, where, tr("各档 min 应从高到低排列", "tiers must be ordered by min, highest first")))
    if min(mins) > 0:
        out.append(Problem(file, None, where, tr("最低一档的 min 应为 0，否则低分没有对应档位", "the lowest tier needs min 0 so that every total has a tier")))
    return out


def _blend_problems(b: Blending, file: str, where: str) -> list[Problem]:
    s = b.supervisor + b.self_ + b.system
    if b.enabled and abs(s - 1.0) > 1e-6:
        return [Problem(file, None, where, tr(f"上级、自评、系统权重之和为 {s:g}，应为 1（如 0.7/0.2/0.1）",
                                               f"supervisor + self + system add up to {s:g}, not 1 (e.g. 0.7/0.2/0.1)"))]
    return []


def catalog_problems(cards: Scorecards, file: str = WORKSPACE_FILE) -> list[Problem]:
    """Measures whose catalog metrics are not in the catalog (yet): their items will be 'not measurable'."""
    from qunkpi.appraisal.staff_values import MEASURES
    from qunkpi.catalog import load_catalog

    cat = load_catalog()
    out: list[Problem] = []
    for role, card in cards.roles.items():
        for i, it in enumerate(card.items):
            m = MEASURES.get(it.measure or "") if it.source == "measured" else None
            if m is None:
                continue
            missing = [mid for mid in m.catalog if mid not in cat]
            if missing:
                out.append(Problem(file, None, f"roles.{role}.items[{i}]({it.id})",
                                   tr(f"指标目录中没有 {', '.join(missing)}，此项将无法测量",
                                      f"the catalog has no {', '.join(missing)}; this item cannot be measured")))
    if any(it.sales for c in cards.roles.values() for it in c.items) and "csat_share" not in cat:
        out.append(Problem(file, None, "csat_gate", tr("指标目录中没有 csat_share，无法检查满意度前置条件",
                                                       "the catalog has no csat_share; the csat precondition cannot be checked")))
    return out

