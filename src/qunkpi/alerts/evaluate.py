"""Evaluate diagnosis rules per community and period; the service the CLI, dashboard and reports call.

Metric values come only from the engine (``metrics_for_periods`` via a :data:`MetricSource`); evidence rows come
from the evidence queries. Nothing here prints.

- A rule without persistence is evaluated on the period itself.
- A rule with ``persistence: {grain: week, count: 2}`` ("two weeks running") fires when the condition holds in
  2 consecutive complete ISO weeks, the second of which ends inside the period (for a week label: that week and
  the one before; for October 2026 the runs end with W40 … W43). The latest such run is reported; the value is its
  last week's.
- A rule restricted to ``purposes`` only looks at communities with that purpose.
- ``supersedes``: when a rule fires, the rules it supersedes are dropped for that community (churn > 15 % replaces
  churn > 5 %).
- Impact = how far past the threshold (|value − threshold| / max(|threshold|, 0.01)) × the people concerned
  (members at the period end, at least 1); the review ranks by severity, then impact.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from qunkpi.alerts.evidence import EVIDENCE
from qunkpi.alerts.model import Alert, Rule, RuleSet, load_rules
from qunkpi.engine.periods import Period, parse_period, period_of
from qunkpi.i18n import tr
from qunkpi.plans.community import community_infos
from qunkpi.plans.history import COLUMNS, MetricSource, Values, collapse_breakdowns, engine_source

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


def persistence_windows(p: Period, grain: str, count: int) -> list[list[Period]]:
    """Every run of ``count`` consecutive complete ``grain`` periods whose last one ends inside ``p`` (latest first).

    For a week label this is just the week and the one before it; for a month it is every two-week run whose second
    week ends in the month, so a shrinking fortnight in mid-month is not missed by a month-end check."""
    out: list[list[Period]] = []
    run = persistence_periods(p, grain, count)
    while run[-1].end > p.start:
        out.append(run)
        run = [q.previous() for q in run]
    return out


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
    problems: list[str] | None = None,
) -> list[Alert]:
    """Every alert of the period, most severe first (severity, then impact).

    A metric whose computation fails does not stop the other rules: its rules are skipped and, when ``problems``
    is given, a line saying so is appended to it (metricflow's guard: a bug in one place is an issue, not a crash)."""
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
        windows = persistence_windows(p, grain, count) if grain else [[p]]
        periods = sorted({q for w in windows for q in w})
        metrics = list(dict.fromkeys(r.metric for r in rs))
        frame = _guarded_fetch(src, periods, metrics, ids, problems)
        choice = {r.metric: r.breakdown for r in rs}
        vals = Values(collapse_breakdowns(frame, choice))
        for r in rs:
            thr = rule_threshold(ws, r)
            for cid in ids:
                info = infos.get(cid)
                if r.purposes and (info is None or info.purpose not in r.purposes):
                    continue
                series: list[tuple[str, float | None]] = []
                for w in windows:  # the latest window where the condition holds in every period
                    cand = [(q.label, vals.get(cid, q.label, r.metric)) for q in w]
                    if all(r.fires(v, thr) for _, v in cand):
                        series = cand
                        break
                if not series:
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


def _guarded_fetch(src: MetricSource, periods: list[Period], metrics: list[str], ids: list[str],
                   problems: list[str] | None) -> pd.DataFrame:
    try:
        return src(periods, metrics, ids)
    except Exception:
        frames = []
        for m in metrics:  # isolate the failing metric so the others still run
            try:
                frames.append(src(periods, [m], ids))
            except Exception as e:  # a bug in one metric must not hide every alert
                if problems is not None:
                    problems.append(tr(f"指标 {m} 计算失败，相关规则未评估：{e}", f"metric {m} failed, its rules were not evaluated: {e}"))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)


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
