"""Appraising staff: scorecard items → points → system score → (7-2-1) total → grade, bonus, promotion.

Engine-free: everything is read through a :class:`~qunkpi.appraisal.staff_values.ValueProvider`.

- Item points (0–10) come from the item's scoring function (``scoring.py``). An item that cannot be measured
  (no data, no target, no supervisor input yet) gets no points and its weight is left out: the system score is
  renormalised over the measurable items and the item is flagged.
- Sales items (``sales: true``) count only while the pooled csat_share of the staff member's communities is at
  least ``csat_gate.min`` (seed 003); otherwise they score 0 (weight kept, so failing the gate never helps).
- Activity items: 10 × (creativity 40 % + execution 60 %), execution = average over the period's activities of
  ½·on-time launch + ½·min(participation / 20 %, 1); creativity (0–10) is a supervisor input.
- With 7-2-1 blending enabled: total = 0.7 · supervisor + 0.2 · self + 0.1 · system (shares configurable; a
  missing part's share is spread over the others and flagged). Otherwise total = system score.
- Promotion: eligible when the totals of the last ``promotion.consecutive`` periods (this one included) are all
  strictly above ``promotion.above``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qunkpi.appraisal.scorecard import REVIEW_KEYS, ActivityParams, Item, RoleCard, Scorecards
from qunkpi.appraisal.scoring import achievement, blend, points, system_score
from qunkpi.appraisal.staff_values import MEASURES, Measured, StaffInfo, ValueProvider
from qunkpi.engine.periods import Period, parse_period
from qunkpi.errors import QunkpiError
from qunkpi.i18n import get_lang, tr

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace


@dataclass
class ItemResult:
    id: str
    name: str
    source: str
    unit: str
    value: float | None
    target: float | None
    weight: float
    points: float | None
    achievement: float | None = None
    period: str = ""
    detail: str = ""
    reason: str | None = None  # why it could not be measured
    gated: bool = False  # a sales item zeroed by the csat precondition
    training: str | None = None
    scoring: str = ""

    @property
    def weighted(self) -> float | None:
        return None if self.points is None else self.weight * self.points / 10.0


@dataclass
class StaffResult:
    staff_id: str
    name: str
    role: str
    role_name: str
    team: str | None
    period: str
    items: list[ItemResult]
    system_score: float | None
    supervisor_score: float | None
    self_score: float | None
    blending: dict[str, float] | None  # shares when 7-2-1 is on
    total: float | None
    grade: str | None
    bonus: float | None
    csat: float | None = None
    communities: list[str] = field(default_factory=list)
    history: list[tuple[str, float | None]] = field(default_factory=list)  # (period, total), newest first
    streak: int = 0
    promotion_eligible: bool = False
    flags: list[str] = field(default_factory=list)
    trainings: list[str] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        """The JSON shape (docs/appraisal.md)."""
        return {
            "staff_id": self.staff_id,
            "name": self.name,
            "role": self.role,
            "team": self.team,
            "period": self.period,
            "communities": self.communities,
            "items": [
                {
                    "id": it.id, "name": it.name, "source": it.source, "unit": it.unit, "value": _r(it.value),
                    "target": it.target, "weight": it.weight, "achievement": _r(it.achievement), "points": _r(it.points),
                    "weighted": _r(it.weighted), "scoring": it.scoring, "period": it.period, "detail": it.detail,
                    "reason": it.reason, "gated": it.gated,
                }
                for it in self.items
            ],
            "system_score": _r(self.system_score),
            "supervisor_score": self.supervisor_score,
            "self_score": self.self_score,
            "blending": self.blending,
            "total": _r(self.total),
            "grade": self.grade,
            "bonus_coefficient": self.bonus,
            "csat": _r(self.csat),
            "history": [{"period": p, "total": _r(t)} for p, t in self.history],
            "streak": self.streak,
            "promotion_eligible": self.promotion_eligible,
            "training": self.trainings,
            "flags": self.flags,
        }


def _r(v: float | None, nd: int = 4) -> float | None:
    return None if v is None else round(v, nd)


# -- one staff member ---------------------------------------------------------------------------------

def score_items(cards: Scorecards, card: RoleCard, provider: ValueProvider, staff: StaffInfo, period: Period,
                flags: list[str]) -> tuple[list[ItemResult], float | None]:
    lang = get_lang()
    csat: Measured | None = None
    if any(it.sales for it in card.items):
        csat = provider.csat(staff, period, card.scope)
    results: list[ItemResult] = []
    warned_csat = False
    for it in card.items:
        res = _score_item(cards, card, it, provider, staff, period, lang)
        if it.sales and res.points is not None and csat is not None:
            gate = cards.csat_gate
            if csat.value is None:
                if gate.when_missing == "block":
                    res.points, res.gated = 0.0, True
                    res.detail = _join(res.detail, tr("无满意度数据，销售项不计分", "no csat data: sales item not counted"))
                elif not warned_csat:
                    warned_csat = True
                    flags.append(tr("无满意度问卷数据，销售项未经满意度前置条件检查", "no csat survey data: sales items counted without the csat precondition"))
            elif csat.value < gate.min:
                res.points, res.gated = 0.0, True
                res.detail = _join(res.detail, tr(f"满意度 {csat.value:.1%} < {gate.min:.0%}，销售项不计分",
                                                  f"csat {csat.value:.1%} < {gate.min:.0%}: sales item not counted"))
        if res.reason is not None:
            flags.append(f"{res.name}: " + tr("无法测量，权重已按其余项重新分配（", "not measurable, its weight was spread over the other items (") + res.reason + tr("）", ")"))
        if it.data_skill and res.points is not None and res.points < cards.training_below_points and it.training(lang):
            res.training = it.training(lang)
        results.append(res)
    return results, (None if csat is None else csat.value)


def _join(a: str, b: str) -> str:
    return f"{a} · {b}" if a else b


def _score_item(cards: Scorecards, card: RoleCard, it: Item, provider: ValueProvider, staff: StaffInfo,
                period: Period, lang: str) -> ItemResult:
    p = period
    for _ in range(-it.period_offset):
        p = p.previous()
    res = ItemResult(id=it.id, name=it.name(lang), source=it.source, unit="", value=None, target=it.target,
                     weight=it.weight, points=None, period=p.label, scoring=_scoring_text(cards, it))
    if it.source == "activity":
        return _score_activity(it, provider, staff, p, card, res)
    if it.source == "manual":
        res.unit = "manual"
        v = provider.manual(staff.staff_id, p.label, it.id)
        if v is None:
            res.reason = tr(f"等待上级录入：qunkpi appraise input --item {it.id} --period {p.label} ...",
                            f"awaiting supervisor input: qunkpi appraise input --item {it.id} --period {p.label} ...")
            return res
        got = Measured(v, tr("上级录入", "entered by the supervisor"))
    else:
        m = MEASURES[it.measure or ""]
        res.unit = m.unit
        got = provider.measure(m.id, staff, p, card.scope)
    res.value, res.detail = got.value, got.detail
    if got.value is None:
        res.reason = got.reason or tr("无数据", "no data")
        return res
    assert it.target is not None  # cross-checked at load
    res.achievement = achievement(got.value, it.target, it.direction)
    res.points = points(it.scoring, got.value, it.target, it.direction, cards.default_tiers)
    return res


def _score_activity(it: Item, provider: ValueProvider, staff: StaffInfo, p: Period, card: RoleCard, res: ItemResult) -> ItemResult:
    a = it.activity or ActivityParams()  # type: ignore[call-arg]
    res.unit = "points"
    runs = provider.activities(staff, p, card.scope)
    if not runs:
        res.reason = tr("周期内没有活动", "no activities in the period")
        return res
    creativity = provider.manual(staff.staff_id, p.label, a.creativity_input)
    if creativity is None:
        res.reason = tr(f"等待上级录入创意分：qunkpi appraise input --item {a.creativity_input} --period {p.label} ...",
                        f"awaiting the creativity score: qunkpi appraise input --item {a.creativity_input} --period {p.label} ...")
        return res
    per = [5.0 * run.on_time + 5.0 * min((run.participation or 0.0) / a.participation_target, 1.0) for run in runs]
    execution = sum(per) / len(per)
    value = a.creativity_weight * creativity + a.execution_weight * execution
    res.value = res.points = value
    on_time = sum(1 for r in runs if r.on_time)
    res.detail = tr(
        f"创意 {creativity:g} × {a.creativity_weight:g} + 执行 {execution:.2f} × {a.execution_weight:g}（{len(runs)} 场活动，{on_time} 场准时）",
        f"creativity {creativity:g} × {a.creativity_weight:g} + execution {execution:.2f} × {a.execution_weight:g} ({len(runs)} activities, {on_time} on time)",
    )
    return res


def _scoring_text(cards: Scorecards, it: Item) -> str:
    s = it.scoring
    if it.source == "activity":
        a = it.activity or ActivityParams()  # type: ignore[call-arg]
        return f"activity {a.creativity_weight:g}/{a.execution_weight:g}"
    if s.fn == "linear":
        return f"linear cap {s.cap:g}"
    if s.fn == "threshold":
        return f"threshold else {s.below_points:g}"
    tiers = s.tiers if s.tiers is not None else cards.default_tiers
    return "tiers " + " ".join(f"≥{t.at_least:g}→{t.points:g}" for t in tiers)


def appraise_staff(cards: Scorecards, provider: ValueProvider, staff: StaffInfo, period: Period,
                   *, with_history: bool = True) -> StaffResult:
    card = cards.role(staff.role)
    if card is None:
        raise QunkpiError(tr(f"角色 {staff.role} 没有考核表（scorecards.yaml 的 roles）", f"no scorecard for role {staff.role} (roles in scorecards.yaml)"))
    lang = get_lang()
    flags: list[str] = []
    items, csat = score_items(cards, card, provider, staff, period, flags)
    system = system_score([(r.weight, r.points) for r in items])
    sup = provider.manual(staff.staff_id, period.label, REVIEW_KEYS[0])
    self_s = provider.manual(staff.staff_id, period.label, REVIEW_KEYS[1])
    b = cards.blending_for(staff.role)
    shares: dict[str, float] | None = None
    if b.enabled:
        shares = {"supervisor": b.supervisor, "self": b.self_, "system": b.system}
        total = blend([(b.supervisor, sup), (b.self_, self_s), (b.system, system)])
        missing = [n for n, v in ((tr("上级评分", "supervisor score"), sup), (tr("自评", "self score"), self_s),
                                  (tr("系统评分", "system score"), system)) if v is None]
        if missing and total is not None:
            flags.append(tr(f"7-2-1 缺少{'、'.join(missing)}，其权重按其余部分重新分配", f"7-2-1 is missing the {', '.join(missing)}; its share was spread over the other parts"))
    else:
        total = system
    if total is None:
        flags.append(tr("没有可计分的数据", "nothing could be scored"))
    res = StaffResult(
        staff_id=staff.staff_id, name=staff.name, role=staff.role, role_name=card.name(lang), team=staff.team,
        period=period.label, items=items, system_score=system, supervisor_score=sup, self_score=self_s,
        blending=shares, total=total, grade=cards.grade(total), bonus=cards.bonus(total), csat=csat,
        communities=provider.scope(staff, card.scope), flags=flags,
        trainings=[f"{it.name}: {it.training}" for it in items if it.training],
    )
    if with_history:
        _promotion(cards, provider, staff, period, res)
    return res


def _promotion(cards: Scorecards, provider: ValueProvider, staff: StaffInfo, period: Period, res: StaffResult) -> None:
    promo = cards.promotion
    history: list[tuple[str, float | None]] = [(period.label, res.total)]
    p = period
    for _ in range(promo.consecutive - 1):
        p = p.previous()
        history.append((p.label, appraise_staff(cards, provider, staff, p, with_history=False).total))
    streak = 0
    for _, t in history:
        if t is None or t <= promo.above:
            break
        streak += 1
    res.history, res.streak = history, streak
    res.promotion_eligible = streak >= promo.consecutive


# -- many ---------------------------------------------------------------------------------------------

def appraise_all(cards: Scorecards, provider: ValueProvider, period: Period, staff_ids: list[str] | None = None) -> list[StaffResult]:
    people = provider.staff()
    if staff_ids is not None:
        people = [s for s in people if s.staff_id in set(staff_ids)]
    return [appraise_staff(cards, provider, s, period) for s in people]


def appraise_workspace(ws: Workspace, period: str, staff: list[str] | None = None, cards: Scorecards | None = None) -> list[StaffResult]:
    """``qunkpi appraise``: every staff member (or the ones named by id or name) for one period."""
    from qunkpi.appraisal.inputs import resolve_staff
    from qunkpi.appraisal.scorecard import load_scorecards
    from qunkpi.appraisal.staff_values import WorkspaceProvider

    p = parse_period(period)
    cards = cards or load_scorecards(ws.path)
    ids = [resolve_staff(ws, s) for s in staff] if staff else None
    provider = WorkspaceProvider(ws)
    if not provider.staff():
        raise QunkpiError(tr("工作区中没有员工（staff 表），无法考核；请先导入 staff.csv",
                             "the workspace has no staff (staff table) to appraise; import staff.csv first"))
    provider.prefetch(periods_needed(cards, p))
    return appraise_all(cards, provider, p, ids)


def periods_needed(cards: Scorecards, period: Period) -> list[Period]:
    """This period, the promotion history before it, and what items with a period offset reach back to."""
    back = cards.promotion.consecutive - 1 + max((-it.period_offset for c in cards.roles.values() for it in c.items), default=0)
    out = [period]
    for _ in range(back):
        out.append(out[-1].previous())
    return out
