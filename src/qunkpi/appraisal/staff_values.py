"""Staff-level values of scorecard items (SPEC §7: a staff member's metrics aggregate the communities they own
and the messages and logs they produced).

Scoring reads values only through a :class:`ValueProvider`, so that the scoring rules can be tested with a
fake provider; :class:`WorkspaceProvider` is the real one. Catalog metrics are read only through
``qunkpi.engine.api.metrics_for_periods``; staff logs, cost months and survey counts (the weights of pooled
rates) are read from the workspace tables directly.

Scope: the communities a staff member answers for — ``own`` (communities.owner_staff_id), ``team`` (owned by
anyone in the same staff.team; a blank team falls back to ``own``) or ``all``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

from qunkpi.engine.periods import Period
from qunkpi.i18n import tr

if TYPE_CHECKING:
    import pandas as pd

    from qunkpi.workspace.workspace import Workspace


@dataclass(frozen=True)
class Measure:
    id: str
    zh: str
    en: str
    unit: str  # per_week | ratio | count | multiple
    catalog: tuple[str, ...]  # catalog metrics it reads
    tables: tuple[str, ...]  # workspace tables it reads directly
    definition_zh: str
    definition_en: str

    def name(self, lang: str) -> str:
        return self.en if lang == "en" else self.zh


MEASURES: dict[str, Measure] = {
    m.id: m
    for m in [
        Measure("interviews_per_week", "用户访谈量（人/周）", "Interviews per week", "per_week", (), ("staff_logs",),
                "Σ 员工日志 kind=interview 的 count ÷ 周期周数（天数/7）。",
                "Σ count of the staff member's staff_logs with kind interview in P ÷ weeks in P (days / 7)."),
        Measure("topic_bursts_per_week", "话题引爆（次/周）", "Topic bursts per week", "per_week", ("topic_bursts",), (),
                "所负责社群的 topic_bursts 之和 ÷ 周期周数。引爆只计有效消息，刷屏与水军不增加此项。",
                "Σ topic_bursts of the communities in scope ÷ weeks in P. Bursts count effective messages only, so filler and staff flooding do not raise it."),
        Measure("sop_pass_rate", "SOP执行达标率", "SOP pass rate", "ratio", (), ("staff_logs",),
                "kind=sop_check 且 passed 已填的日志行中，passed=true 的占比。",
                "Share of the staff member's sop_check log rows in P (with passed filled in) that passed."),
        Measure("profile_update_timeliness", "画像更新及时性", "Profile-update timeliness", "ratio", (), ("staff_logs",),
                "周期内（按 ISO 周切分，首尾周截断）有 ≥1 次 profile_update 日志的周数占比。",
                "Share of the ISO weeks of P (clipped to P) with at least one profile_update log entry."),
        Measure("response_30m_rate", "30分钟响应率", "30-minute response rate", "ratio", ("response_30m_rate", "questions"), (),
                "所负责社群的 response_30m_rate，按各群成员提问数（questions）加权合并。",
                "response_30m_rate of the communities in scope, pooled with each community's member questions (catalog questions) as weight."),
        Measure("gmv_achievement", "GMV达成率", "GMV achievement", "ratio", ("gmv",), (),
                "所负责社群 GMV 之和 ÷ 录入的 gmv_target；未录入目标时无法测量。",
                "Σ gmv of the communities in scope ÷ the gmv_target entered for the staff member and period; not measurable without a target."),
        Measure("output_input_ratio", "投产比", "Output/input ratio", "multiple", ("gmv", "cost"), (),
                "所负责社群 GMV 之和 ÷ 成本（cost）之和（“ROI ≥ 1:4” 按投产比 ≥ 4 理解）。",
                "Σ gmv ÷ Σ cost over the communities in scope (\"ROI ≥ 1:4\" read as output/input ≥ 4)."),
        Measure("retention_d30", "30日留存率", "30-day retention", "ratio", ("retention_d30", "joins"), (),
                "所负责社群的 retention_d30，按各群入群数加权合并。",
                "retention_d30 of the communities in scope, pooled with each community's joins as weight."),
        Measure("koc_count", "KOC数", "KOC count", "count", ("koc_count",), (),
                "所负责社群的 koc_count 之和。", "Σ koc_count of the communities in scope."),
    ]
}


@dataclass(frozen=True)
class StaffInfo:
    staff_id: str
    name: str
    role: str
    team: str | None = None


@dataclass
class Measured:
    """A value, or None with the reason why it could not be measured; ``detail`` shows the arithmetic."""

    value: float | None
    detail: str = ""
    reason: str | None = None


@dataclass(frozen=True)
class ActivityRun:
    activity_id: str
    name: str
    on_time: bool  # started no later than planned (no planned time → on time)
    participation: float | None  # distinct non-staff participants / notified_count


class ValueProvider(Protocol):
    def staff(self) -> list[StaffInfo]: ...

    def scope(self, staff: StaffInfo, scope: str) -> list[str]: ...

    def measure(self, measure: str, staff: StaffInfo, period: Period, scope: str) -> Measured: ...

    def csat(self, staff: StaffInfo, period: Period, scope: str) -> Measured: ...

    def manual(self, staff_id: str, period: str, key: str) -> float | None: ...

    def activities(self, staff: StaffInfo, period: Period, scope: str) -> list[ActivityRun]: ...


def weeks_in(p: Period) -> float:
    return p.days / 7.0


def _fmt(v: float) -> str:
    return f"{v:.4g}"


# -- the real provider --------------------------------------------------------------------------------

@dataclass
class _Catalog:
    values: dict[tuple[str, str], float | None] = field(default_factory=dict)  # (community, metric) → value
    reasons: dict[tuple[str, str], str] = field(default_factory=dict)


class WorkspaceProvider:
    """Values from a workspace: staff tables by SQL, catalog metrics through the engine API (cached per period)."""

    def __init__(self, ws: Workspace) -> None:
        from qunkpi.appraisal import inputs

        self.ws = ws
        self.con = ws.con
        self._tables = {str(r[0]) for r in self.con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        self._inputs = inputs.latest(ws)
        self._cat_cache: dict[str, _Catalog] = {}
        self._staff = self._load_staff()
        self._owners: dict[str, str | None] = {}
        if self._has("communities"):
            self._owners = {str(c): (None if o is None else str(o)) for c, o in
                            self.con.execute("SELECT community_id, owner_staff_id FROM communities ORDER BY community_id").fetchall()}
        self._staff_people = self._all_staff_ids()

    def _has(self, table: str) -> bool:
        if table not in self._tables:
            return False
        return bool(self.con.execute(f'SELECT count(*) FROM (SELECT 1 FROM "{table}" LIMIT 1)').fetchall()[0][0])

    def _load_staff(self) -> list[StaffInfo]:
        if not self._has("staff"):
            return []
        rows = self.con.execute("SELECT staff_id, name, role, team FROM staff ORDER BY team NULLS LAST, role, name, staff_id").fetchall()
        return [StaffInfo(str(a), str(b), str(c), None if d is None else str(d)) for a, b, c, d in rows]

    def _all_staff_ids(self) -> set[str]:
        from qunkpi.engine.api import staff_ids_of

        return {s.staff_id for s in self._staff} | set(staff_ids_of(self.ws))

    # -- protocol ---------------------------------------------------------------------------------
    def staff(self) -> list[StaffInfo]:
        return list(self._staff)

    def scope(self, staff: StaffInfo, scope: str) -> list[str]:
        if scope == "all":
            return list(self._owners)
        if scope == "team" and staff.team is not None:
            team = {s.staff_id for s in self._staff if s.team == staff.team}
            return [c for c, o in self._owners.items() if o in team]
        return [c for c, o in self._owners.items() if o == staff.staff_id]

    def manual(self, staff_id: str, period: str, key: str) -> float | None:
        return self._inputs.get((staff_id, period, key))

    def measure(self, measure: str, staff: StaffInfo, period: Period, scope: str) -> Measured:
        fn: Callable[[StaffInfo, Period, list[str]], Measured] = getattr(self, f"_m_{measure}")
        return fn(staff, period, self.scope(staff, scope))

    def csat(self, staff: StaffInfo, period: Period, scope: str) -> Measured:
        comms = self.scope(staff, scope)
        if not self._has("surveys"):
            return Measured(None, reason=tr("缺少数据表 surveys", "missing table surveys"))
        counts = self._csat_counts(period, comms)
        return self._pooled("csat_share", period, comms, counts, tr("满意度问卷", "csat answers"))

    def activities(self, staff: StaffInfo, period: Period, scope: str) -> list[ActivityRun]:
        comms = self.scope(staff, scope)
        if not comms or not self._has("activities"):
            return []
        staff_ids = sorted(self._staff_people)
        part = "activity_participants" if self._has("activity_participants") else None
        join = (
            """LEFT JOIN (SELECT p.activity_id, count(DISTINCT p.member_id) AS n FROM activity_participants p
                   JOIN activities a2 USING (activity_id)
                   WHERE p.member_id NOT IN (SELECT unnest(?::VARCHAR[]))
                     AND NOT EXISTS (SELECT 1 FROM members m WHERE m.community_id = a2.community_id AND m.member_id = p.member_id
                                     AND (coalesce(m.is_staff, false) OR m.role = 'staff'))
                   GROUP BY p.activity_id) pc USING (activity_id)"""
            if part else ""
        )
        n_expr = "coalesce(pc.n, 0)" if part else "0"
        args: list[object] = [staff_ids] if part else []
        args += [comms, period.start, period.end]
        rows = self.con.execute(
            f"""SELECT a.activity_id, a.name, a.planned_start_at, a.start_at, a.notified_count, {n_expr}
                FROM activities a {join}
                WHERE a.community_id IN (SELECT unnest(?::VARCHAR[])) AND a.start_at >= ? AND a.start_at < ?
                ORDER BY a.start_at, a.activity_id""",
            args,
        ).fetchall()
        out: list[ActivityRun] = []
        for aid, name, planned, start, notified, n in rows:
            on_time = planned is None or start <= planned
            part_rate = (float(n) / float(notified)) if notified else None
            out.append(ActivityRun(str(aid), str(name), bool(on_time), part_rate))
        return out

    # -- staff logs -------------------------------------------------------------------------------
    def _logs(self, staff: StaffInfo, period: Period, kind: str) -> list[tuple[date, int, bool | None]]:
        rows = self.con.execute(
            "SELECT day, count, passed FROM staff_logs WHERE staff_id = ? AND kind = ? AND day >= ? AND day < ? ORDER BY day",
            [staff.staff_id, kind, period.start.date(), period.end.date()],
        ).fetchall()
        return [(r[0], int(r[1] or 0), r[2]) for r in rows]

    def _no_logs(self) -> Measured | None:
        if not self._has("staff_logs"):
            return Measured(None, reason=tr("缺少数据表 staff_logs", "missing table staff_logs"))
        return None

    def _m_interviews_per_week(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._no_logs()) is not None:
            return m
        total = sum(c for _, c, _ in self._logs(staff, period, "interview"))
        w = weeks_in(period)
        return Measured(total / w, tr(f"{total} 次访谈 ÷ {_fmt(w)} 周", f"{total} interviews ÷ {_fmt(w)} weeks"))

    def _m_sop_pass_rate(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._no_logs()) is not None:
            return m
        rows = [p for _, _, p in self._logs(staff, period, "sop_check") if p is not None]
        if not rows:
            return Measured(None, reason=tr("周期内没有 SOP 检查记录", "no SOP checks logged in the period"))
        ok = sum(1 for p in rows if p)
        return Measured(ok / len(rows), tr(f"{ok} / {len(rows)} 次检查达标", f"{ok} of {len(rows)} checks passed"))

    def _m_profile_update_timeliness(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._no_logs()) is not None:
            return m
        days = {d for d, c, _ in self._logs(staff, period, "profile_update") if c > 0}
        weeks = period.split("week")
        hit = sum(1 for w in weeks if any(w.start.date() <= d < w.end.date() for d in days))
        return Measured(hit / len(weeks), tr(f"{hit} / {len(weeks)} 周有画像更新", f"{hit} of {len(weeks)} weeks with a profile update"))

    # -- catalog-based ----------------------------------------------------------------------------
    def prefetch(self, periods: list[Period]) -> None:
        """Compute the catalog metrics of several periods in one engine run (the promotion history needs them)."""
        todo = [p for p in periods if p.label not in self._cat_cache]
        if todo:
            self._run_catalog(todo)

    def _catalog(self, period: Period) -> _Catalog:
        got = self._cat_cache.get(period.label)
        if got is None:
            self._run_catalog([period])
            got = self._cat_cache[period.label]
        return got

    def _run_catalog(self, periods: list[Period]) -> None:
        from qunkpi.catalog import load_catalog
        from qunkpi.engine.api import metrics_for_periods

        cat = load_catalog()
        wanted = sorted({mid for m in MEASURES.values() for mid in m.catalog} | {"csat_share"})
        known = [m for m in wanted if m in cat]
        outs = {p.label: _Catalog() for p in periods}
        for out in outs.values():
            for mid in wanted:
                if mid not in cat:
                    for c in self._owners:
                        out.reasons[(c, mid)] = tr(f"指标目录中没有 {mid}", f"the catalog has no metric {mid}")
        if known and self._owners:
            df = metrics_for_periods(self.ws, periods, metrics=known)
            for label, part in df.groupby("period", sort=False):
                if str(label) in outs:
                    _fill(outs[str(label)], part)
        self._cat_cache.update(outs)

    def _values(self, metric: str, period: Period, comms: list[str]) -> tuple[dict[str, float], str | None]:
        """community → value for the non-null ones, and a reason when none had a value."""
        cat = self._catalog(period)
        vals: dict[str, float] = {}
        reason: str | None = None
        for c in comms:
            v = cat.values.get((c, metric))
            if v is not None:
                vals[c] = v
            elif reason is None or reason == "n/a":
                reason = cat.reasons.get((c, metric), reason)
        return vals, reason

    def _none_owned(self, comms: list[str]) -> Measured | None:
        if not comms:
            return Measured(None, reason=tr("名下没有负责的社群（communities.owner_staff_id）", "owns no community (communities.owner_staff_id)"))
        return None

    def _sum(self, metric: str, period: Period, comms: list[str]) -> tuple[float | None, str, str | None]:
        vals, reason = self._values(metric, period, comms)
        if not vals:
            return None, "", _reason(reason)
        total = sum(vals.values())
        return total, " + ".join(_fmt(v) for v in vals.values()), None

    def _pooled(self, metric: str, period: Period, comms: list[str], weights: dict[str, float], what: str) -> Measured:
        vals, reason = self._values(metric, period, comms)
        pairs = [(vals[c], weights.get(c, 0.0)) for c in vals if weights.get(c, 0.0) > 0]
        wsum = sum(w for _, w in pairs)
        if not pairs or wsum <= 0:
            return Measured(None, reason=_reason(reason) if not vals else tr(f"没有{what}", f"no {what}"))
        v = sum(x * w for x, w in pairs) / wsum
        return Measured(v, tr(f"{len(pairs)} 个群，按{what}数（{_fmt(wsum)}）加权", f"{len(pairs)} communities weighted by {_fmt(wsum)} {what}"))

    def _m_topic_bursts_per_week(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._none_owned(comms)) is not None:
            return m
        total, _parts, reason = self._sum("topic_bursts", period, comms)
        if total is None:
            return Measured(None, reason=reason)
        w = weeks_in(period)
        return Measured(total / w, tr(f"{_fmt(total)} 次引爆 ÷ {_fmt(w)} 周", f"{_fmt(total)} bursts ÷ {_fmt(w)} weeks"))

    def _m_response_30m_rate(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._none_owned(comms)) is not None:
            return m
        questions, _ = self._values("questions", period, comms)
        return self._pooled("response_30m_rate", period, comms, questions, tr("成员提问", "member questions"))

    def _m_gmv_achievement(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        from qunkpi.appraisal.scorecard import GMV_TARGET_KEY

        if (m := self._none_owned(comms)) is not None:
            return m
        target = self.manual(staff.staff_id, period.label, GMV_TARGET_KEY)
        if target is None or target <= 0:
            return Measured(None, reason=tr(
                f"未录入 GMV 目标：qunkpi appraise input --item {GMV_TARGET_KEY} --period {period.label} ...",
                f"no GMV target entered: qunkpi appraise input --item {GMV_TARGET_KEY} --period {period.label} ..."))
        gmv, _, reason = self._sum("gmv", period, comms)
        if gmv is None:
            return Measured(None, reason=reason)
        return Measured(gmv / target, tr(f"GMV ¥{gmv:,.2f} ÷ 目标 ¥{target:,.2f}", f"GMV ¥{gmv:,.2f} ÷ target ¥{target:,.2f}"))

    def _m_output_input_ratio(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._none_owned(comms)) is not None:
            return m
        gmv, _, reason = self._sum("gmv", period, comms)
        if gmv is None:
            return Measured(None, reason=reason)
        cost, _, reason = self._sum("cost", period, comms)
        if cost is None or cost <= 0:
            return Measured(None, reason=reason or tr("所负责社群在此周期没有成本记录", "no costs recorded for the communities in scope"))
        return Measured(gmv / cost, tr(f"GMV ¥{gmv:,.2f} ÷ 成本 ¥{cost:,.2f}", f"GMV ¥{gmv:,.2f} ÷ cost ¥{cost:,.2f}"))

    def _m_retention_d30(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._none_owned(comms)) is not None:
            return m
        joins, _ = self._values("joins", period, comms)
        return self._pooled("retention_d30", period, comms, joins, tr("入群", "joins"))

    def _m_koc_count(self, staff: StaffInfo, period: Period, comms: list[str]) -> Measured:
        if (m := self._none_owned(comms)) is not None:
            return m
        total, parts, reason = self._sum("koc_count", period, comms)
        if total is None:
            return Measured(None, reason=reason)
        return Measured(total, parts)

    # -- weights of pooled rates ------------------------------------------------------------------
    def _csat_counts(self, period: Period, comms: list[str]) -> dict[str, float]:
        if not comms:
            return {}
        rows = self.con.execute(
            """SELECT community_id, count(*) FROM surveys
               WHERE kind = 'csat' AND community_id IN (SELECT unnest(?::VARCHAR[]))
                 AND member_id NOT IN (SELECT unnest(?::VARCHAR[])) AND answered_at >= ? AND answered_at < ?
               GROUP BY ALL""",
            [comms, sorted(self._staff_people), period.start, period.end],
        ).fetchall()
        return {str(c): float(n) for c, n in rows}


def _fill(out: _Catalog, df: pd.DataFrame) -> None:
    for r in df.itertuples(index=False):
        if r.breakdown is not None and r.breakdown == r.breakdown:  # breakdown rows are not staff values
            continue
        key = (str(r.community_id), str(r.metric))
        if r.value is None or r.value != r.value:
            out.values[key] = None
            out.reasons[key] = str(r.reason) if r.reason else "n/a"
        else:
            out.values[key] = float(r.value)


def _reason(reason: str | None) -> str:
    if reason is None or reason == "n/a":
        return tr("所负责社群在此周期没有数据（分母为 0）", "no data for the communities in scope in this period (zero denominator)")
    return reason

