"""Evaluate diagnosis rules per community and period; the service the CLI, dashboard and reports call.

Metric values come only from the engine (``metrics_for_periods`` via a :data:`MetricSource`); evidence rows come
from the evidence queries. Nothing here prints.

- A rule without persistence is evaluated on the period itself.
- A rule with ``persistence: {grain: week, count: 2}`` is evaluated on the last 2 complete ISO weeks that end at or
  before the period end ("two weeks running"); it fires when the condition holds in every one of them, and its
  value is the latest week's.
- A rule restricted to ``purposes`` only looks at communities with that purpose.
- ``supersedes``: when a rule fires, the rules it supersedes are dropped for that community (churn > 15 % replaces
  churn > 5 %).
- Impact = how far past the threshold (|value − threshold| / max(|threshold|, 0.01)) × the people concerned
  (members at the period end, at least 1); the review ranks by severity, then impact.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from qunkpi.alerts.evidence import EVIDENCE
from qunkpi.alerts.model import Alert, Rule, RuleSet, load_rules
from qunkpi.engine.periods import Period, parse_period, period_of
from qunkpi.plans.community import community_infos
from qunkpi.plans.history import MetricSource, Values, collapse_breakdowns, engine_source

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

EVIDENCE_LIMIT = 20
SIZE_METRIC = "members_end"


def persistence_periods(p: Period, grain: str, count: int) -> list[Period]:
    """The last ``count`` complete ``grain`` periods ending at or before ``p.end`` (oldest first)."""
    last = period_of(grain, p.end - timedelta(seconds=1))
    if last.end > p.end:
        last = last.previous()
    out = [last]
    while len(out) < count:
        out.append(out[-1].previous())
    return out[::-1]


def rule_threshold(ws: Workspace | None, rule: Rule) -> float:
    if ws is None or not rule.threshold_setting:
        return rule.threshold
    obj: Any = ws.settings
    for part in rule.threshold_setting.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return rule.threshold
    try:
        return float(obj)
    except (TypeError, ValueError):
        return rule.threshold


def _account_ids(ws: Workspace) -> list[str]:
    rows = ws.con.execute(
        "SELECT DISTINCT account_id FROM posts UNION SELECT DISTINCT account_id FROM account_daily ORDER BY 1"
    ).fetchall()
    return [str(r[0]) for r in rows]


def evaluate_alerts(
    ws: Workspace,
    period: str | Period,
    communities: list[str] | None = None,
    *,
    rules: RuleSet | list[Rule] | None = None,
    source: MetricSource | None = None,
    evidence_limit: int = EVIDENCE_LIMIT,
    with_evidence: bool = True,
) -> list[Alert]:
    """Every alert of the period, most severe first (severity, then impact)."""
    p = parse_period(period) if isinstance(period, str) else period
    if rules is None:
        rules = load_rules(ws.path)
    rule_list = [r for r in (rules.rules if isinstance(rules, RuleSet) else rules) if r.enabled]
    if not rule_list:
        return []
    src = source or engine_source(ws)
    try:
        from qunkpi.catalog import load_catalog

        cat = load_catalog()
        units = {m.id: m.unit for m in cat}
        known = set(cat.metrics)
    except Exception:  # a catalog that does not load must not hide the alerts of an injected source
        units, known = {}, set()
    if source is None:
        rule_list = [r for r in rule_list if r.metric in known]
    infos = community_infos(ws)
    comm_ids = [c for c in infos if communities is None or c in communities]
    acct_ids = [a for a in _account_ids(ws) if communities is None or a in communities]
    alerts: list[Alert] = []
    groups: dict[tuple[str, str | None, int], list[Rule]] = {}
    for r in rule_list:
        key = (r.level, r.persistence.grain if r.persistence else None, r.persistence.count if r.persistence else 0)
        groups.setdefault(key, []).append(r)
    size = Values(collapse_breakdowns(src([p], [SIZE_METRIC], comm_ids))) if comm_ids and (SIZE_METRIC in known or source is not None) else None
    for (level, grain, count), rs in groups.items():
        ids = acct_ids if level == "account" else comm_ids
        if not ids:
            continue
        periods = persistence_periods(p, grain, count) if grain else [p]
        metrics = list(dict.fromkeys(r.metric for r in rs))
        frame = src(periods, metrics, ids)
        choice = {r.metric: r.breakdown for r in rs}
        vals = Values(collapse_breakdowns(frame, choice))
        for r in rs:
            thr = rule_threshold(ws, r)
            for cid in ids:
                info = infos.get(cid)
                if r.purposes and (info is None or info.purpose not in r.purposes):
                    continue
                series = [(q.label, vals.get(cid, q.label, r.metric)) for q in periods]
                if not series or not all(r.fires(v, thr) for _, v in series):
                    continue
                value = series[-1][1]
                assert value is not None
                members = size.get(cid, p.label, SIZE_METRIC) if size is not None else None
                gap = abs(value - thr) / max(abs(thr), 0.01)
                alerts.append(Alert(
                    rule_id=r.id, community_id=cid, community_name=info.name if info else cid, period=p.label,
                    metric=r.metric, value=value, threshold=thr, op=r.op, unit=units.get(r.metric, "ratio"),
                    severity=r.severity, kind=r.kind, title=r.title(), action=r.action(),
                    series=series if grain else [], impact=round(gap * max(members or 1.0, 1.0), 4), members=members,
                    source=r.source,
                ))
    alerts = _supersede(alerts, rule_list)
    if with_evidence:
        by_id = {r.id: r for r in rule_list}
        for a in alerts:
            rule = by_id[a.rule_id]
            ev_period = p
            if rule.persistence is not None and a.series:
                first = parse_period(a.series[0][0])
                ev_period = Period(first.start, parse_period(a.series[-1][0]).end, f"{a.series[0][0]}..{a.series[-1][0]}", "range")
            for name in rule.evidence:
                a.evidence.append(EVIDENCE[name](ws, a.community_id, ev_period, rule, a.threshold, evidence_limit))
    alerts.sort(key=lambda a: (-a.rank[0], -a.rank[1], a.community_id, a.rule_id))
    return alerts


def _supersede(alerts: list[Alert], rules: list[Rule]) -> list[Alert]:
    sup = {r.id: set(r.supersedes) for r in rules}
    fired: dict[str, set[str]] = {}
    for a in alerts:
        fired.setdefault(a.community_id, set()).add(a.rule_id)
    drop: set[tuple[str, str]] = set()
    for cid, ids in fired.items():
        for rid in ids:
            for s in sup.get(rid, ()):
                drop.add((cid, s))
    return [a for a in alerts if (a.community_id, a.rule_id) not in drop]
