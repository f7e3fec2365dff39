"""What the dashboard and the reports show, gathered through service functions (SPEC §8).

One :class:`ReportData` per workspace: it runs the metric engine (``qunkpi.engine.api``), reads the catalog,
and calls the plan / alert / member-list / appraisal / topic / cohort services. Every section it returns is plain
JSON-able data; a section without the data it needs says so (``{"available": false, "reason": ...}``) instead of
showing made-up numbers.

It is the one place the web API (``qunkpi.web``) and the report writers (html, xlsx, pdf) get numbers from, so
the page a manager opens and the file they forward always agree.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from qunkpi.catalog import load_catalog
from qunkpi.catalog.model import Benchmark, MetricDef
from qunkpi.engine.api import metrics_for_periods
from qunkpi.engine.periods import Period, parse_period, period_of, range_period, trailing
from qunkpi.engine.runner import GRID_LEVELS
from qunkpi.errors import QunkpiError
from qunkpi.i18n import _lang as _LANG
from qunkpi.i18n import tr

if TYPE_CHECKING:
    from qunkpi.workspace.workspace import Workspace

TREND_POINTS = 6  # the period itself and the 5 before it

# SPEC §5 purpose templates: the North Star candidates, first one the catalog has wins.
NORTH_STAR_BY_PURPOSE: dict[str | None, list[str]] = {
    "sales": ["gmv", "repurchase_rate", "campaign_conversion_rate"],
    "service": ["retention_d30", "resolution_rate", "nps"],
    "content": ["ugc_count", "koc_count", "engaged_rate"],
    "leads": ["qualified_leads", "leads"],
    None: ["engaged_rate", "net_growth_rate"],
}
FALLBACK_NORTH_STAR = ["engaged_rate", "net_growth_rate", "members_end"]
# Key KPIs on the overview, in this order, where the catalog has them.
KEY_KPIS = [
    "members_end",
    "net_growth_rate",
    "churn_rate",
    "engaged_rate",
    "silent_ratio",
    "retention_d30",
    "gmv",
    "response_30m_rate",
]
FAMILIES = ["growth", "engagement", "value", "service", "content"]
FAMILY_NAMES = {
    "growth": ("增长与健康度", "Growth and health"),
    "engagement": ("活跃与参与度", "Engagement"),
    "value": ("价值与转化", "Value and conversion"),
    "service": ("服务响应", "Service"),
    "content": ("内容账号", "Content accounts"),
}
MEMBER_LISTS = ("silent", "koc", "churn_risk")
WATERFALL_METRICS = ["members_start", "members_end", "joins", "leaves"]
PURPOSE_NAMES = {
    "sales": ("销售转化", "sales"),
    "service": ("服务", "service"),
    "content": ("内容", "content"),
    "leads": ("线索培育", "leads"),
}
STAGE_NAMES = {
    "startup": ("初创期", "startup"),
    "growth": ("成长期", "growth"),
    "mature": ("成熟期", "mature"),
}
WEEKDAYS = (
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
)


def not_available(zh: str, en: str, lang: str) -> dict[str, Any]:
    return {"available": False, "reason": tr(zh, en, lang)}


def clean(v: Any) -> Any:
    """JSON-safe scalar: NaN → None, numpy → Python, timestamps → ISO text."""
    if v is None or v is pd.NaT:
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        with contextlib.suppress(ValueError, AttributeError):
            v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    if isinstance(v, (pd.Timestamp, datetime)):
        return v.isoformat(sep=" ")
    return v


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def fmt_value(v: Any, unit: str, lang: str = "zh-CN") -> str:
    """How a value reads on a page: ratios as percent, money in yuan, n/a for null (SPEC §3)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if unit == "ratio":
        return f"{v * 100:.1f}%"
    if unit == "count":
        return f"{v:,.0f}"
    if unit == "yuan":
        return f"¥{v:,.0f}" if abs(v) >= 1000 else f"¥{v:,.2f}"
    if unit == "seconds":
        return f"{v / 60:,.1f} {tr('分钟', 'min', lang)}" if v >= 120 else f"{v:,.0f} s"
    if unit == "points":
        return f"{v:,.1f}"
    return f"{v:,.2f}"


def parse_period_arg(label: str) -> Period:
    """A period label, plus ``YYYY-Www+2`` for the bi-weekly review (the ISO week and the one after it)."""
    s = label.strip()
    if s.lower().endswith("+2"):
        first = parse_period(s[:-2])
        if first.grain != "week":
            return parse_period(s)  # raises a helpful PeriodError
        return range_period(first.start.date(), (first.end + timedelta(days=6)).date())
    return parse_period(s)


def bucket_label(b: Period) -> str:
    """A short axis label: 10-05 for a day, W41 for a week, 10-01~10-04 for a clipped range, 2026-10 for a month."""
    if b.grain == "day":
        return f"{b.start:%m-%d}"
    if b.grain == "week":
        return b.label.split("-")[-1]
    if b.grain == "range":
        return f"{b.start:%m-%d}~{(b.end - timedelta(days=1)):%m-%d}"
    return b.label


def sub_grain(p: Period) -> str:
    """The bucket size for charts inside one period: days for ≤ 31 days, weeks up to a quarter, else months."""
    if p.days <= 15:
        return "day"
    if p.days <= 62:
        return "week"
    return "month"


def stage_of(created_at: Any, stage: Any, at: datetime) -> str | None:
    """A community's stage at ``at``: the stored one, else derived from created_at (<3 months startup, 3–6 growth, ≥6 mature)."""
    if isinstance(stage, str) and stage:
        return stage
    if (
        created_at is None
        or (isinstance(created_at, float) and math.isnan(created_at))
        or created_at is pd.NaT
    ):
        return None
    c = pd.Timestamp(created_at).to_pydatetime()
    months = (at.year - c.year) * 12 + (at.month - c.month) - (1 if at.day < c.day else 0)
    if months < 3:
        return "startup"
    if months < 6:
        return "growth"
    return "mature"


@contextlib.contextmanager
def lang_context(lang: str) -> Iterator[None]:
    """Run a service in the request's language (its tr() calls read the context variable)."""
    token = _LANG.set(lang)
    try:
        yield
    finally:
        _LANG.reset(token)


_MISS = object()
CACHE_ENTRIES = 2048
#: cache entries shared by every page of a period (metric frames and their indexes, alert and topic runs, the
#: batched per-community sections): kept until the snapshot changes, never evicted by a sweep over many pages
SHARED_KINDS = frozenset(
    {
        "metrics",
        "metrics_split",
        "metric_values",
        "sub_periods",
        "alert_rules",
        "alerts",
        "topics",
        "cohort_matrices",
        "heatmap",
        "activities",
        "member_lists",
        "has_rows",
        "communities",
        "community_records",
        "data_end",
        "staff",
    }
)


class ReportData:
    """Data for pages and reports, with an in-memory cache per (periods, communities, metrics).

    DuckDB connections are not safe for concurrent use from several threads, so every query runs under one lock.
    """

    def __init__(self, ws: Workspace, metrics: list[str] | None = None) -> None:
        """``metrics``: limit the community metrics shown (default: every community-level metric of the catalog)."""
        self.ws = ws
        self.catalog = load_catalog()
        self.only = set(metrics) if metrics else None
        self.lock = threading.RLock()
        self._shared: dict[tuple[Any, ...], Any] = {}
        self._cache: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    # -- plumbing ----------------------------------------------------------------------------------
    def swap(self, ws: Workspace) -> None:
        """Read from another (newer) snapshot from now on; cached results of the old one are dropped."""
        with self.lock:
            old, self.ws = self.ws, ws
            self._shared.clear()
            self._cache.clear()
            old.close()

    def cached(self, key: tuple[Any, ...], fn: Callable[[], Any]) -> Any:
        """Compute once per key. A hit never waits for another request's computation (the lock only guards
        computing, since one DuckDB connection serves every thread). Entries of the :data:`SHARED_KINDS` (the
        metric frames every page is cut from) stay until the snapshot changes; the per-page entries (assembled
        pages, their JSON bytes) are a least-recently-used cache of CACHE_ENTRIES, so a sweep over many pages
        evicts other pages, never the frames they are built from."""
        store = self._shared if key[0] in SHARED_KINDS else self._cache
        hit = store.get(key, _MISS)
        if hit is not _MISS:
            if store is self._cache:
                with contextlib.suppress(KeyError):  # evicted meanwhile by another thread: still a valid value
                    self._cache.move_to_end(key)
            return hit
        with self.lock:
            if key in store:
                return store[key]
            value = fn()
            store[key] = value
            if store is self._cache:
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
            return value

    def is_cached(self, key: tuple[Any, ...]) -> bool:
        return key in (self._shared if key[0] in SHARED_KINDS else self._cache)

    def peek(self, key: tuple[Any, ...]) -> Any | None:
        """The cached value of ``key``, or None (never computes, never waits)."""
        store = self._shared if key[0] in SHARED_KINDS else self._cache
        hit = store.get(key, _MISS)
        return None if hit is _MISS else hit

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        with self.lock:
            return self.ws.con.execute(query, params or []).df()

    def has_rows(self, table: str) -> bool:
        """Whether ``table`` has rows (cached: a snapshot does not change; a new one empties the cache)."""

        def run() -> bool:
            with self.lock:
                try:
                    return bool(self.ws.has_rows(table))
                except Exception:  # a table of a newer schema missing in an old workspace
                    return False

        return self.cached(("has_rows", table), run)  # type: ignore[no-any-return]

    def metrics(
        self, periods: list[Period], communities: list[str] | None, metrics: list[str] | None = None
    ) -> pd.DataFrame:
        """Metric values for the periods, computed once for every community (cached) and then cut to ``communities``."""
        df = self._frame(periods, metrics)
        if communities is None:
            return df
        if len(communities) == 1:
            split = self._split(periods, metrics)
            one = split.get(communities[0])
            return one if one is not None else df.iloc[0:0].reset_index(drop=True)
        return df[df.community_id.isin(communities)].reset_index(drop=True)

    def _frame(self, periods: list[Period], metrics: list[str] | None) -> pd.DataFrame:
        key = ("metrics", tuple(p.label for p in periods), tuple(metrics or ()))
        return self.cached(key, lambda: metrics_for_periods(self.ws, periods, metrics=metrics))  # type: ignore[no-any-return]

    def _split(self, periods: list[Period], metrics: list[str] | None) -> dict[str, pd.DataFrame]:
        """The cached frame cut by community once (a page asks for one community; filtering the whole frame per
        page would cost more than the page)."""

        def run() -> dict[str, pd.DataFrame]:
            df = self._frame(periods, metrics)
            if not len(df):
                return {}
            return {str(c): g.reset_index(drop=True) for c, g in df.groupby("community_id", sort=False)}

        return self.cached(("metrics_split", tuple(p.label for p in periods), tuple(metrics or ())), run)  # type: ignore[no-any-return]

    def values(self, periods: list[Period], metrics: list[str] | None = None) -> dict[str, dict[tuple[str, str], tuple[Any, Any]]]:
        """The rows without a breakdown as ``{community: {(metric, period label): (value, reason)}}`` (JSON-clean),
        built once per frame: the pages look up a few thousand values each."""

        def run() -> dict[str, dict[tuple[str, str], tuple[Any, Any]]]:
            df = self._frame(periods, metrics)
            out: dict[str, dict[tuple[str, str], tuple[Any, Any]]] = {}
            if not len(df):
                return out
            plain = df[df.breakdown.isna()]
            for c, per, m, v, why in zip(
                plain.community_id, plain.period, plain.metric, plain.value, plain.reason, strict=True
            ):
                d = out.setdefault(str(c), {})
                d.setdefault((str(m), str(per)), (clean(v), clean(why)))
            return out

        return self.cached(("metric_values", tuple(p.label for p in periods), tuple(metrics or ())), run)  # type: ignore[no-any-return]

    def trend_periods(self, period: Period) -> list[Period]:
        """The periods of the trend lines: the period itself and the TREND_POINTS − 1 before it."""
        return [*trailing(period, TREND_POINTS - 1), period]

    def sub_periods(self, period: Period) -> tuple[list[Period], list[str]]:
        """What the pages of ``period`` need below the period, asked of the engine in one run: the waterfall's
        buckets (membership metrics) and the ISO weeks the "N weeks running" alert rules look at (their metrics)."""

        def run() -> tuple[list[Period], list[str]]:
            periods = {b.label: b for b in period.split(sub_grain(period))}
            metrics = list(WATERFALL_METRICS)
            from qunkpi.alerts import persistence_windows

            for r in self._alert_rules():
                if r.persistence is None or r.level != "community":
                    continue
                for w in persistence_windows(period, r.persistence.grain, r.persistence.count):
                    for q in w:
                        periods.setdefault(q.label, q)
                if r.metric not in metrics:
                    metrics.append(r.metric)
            return sorted(periods.values(), key=lambda q: (q.start, q.end)), metrics

        return self.cached(("sub_periods", period.label), run)  # type: ignore[no-any-return]

    def _alert_rules(self) -> list[Any]:
        """The workspace's enabled alert rules whose metric the catalog has (what evaluate_alerts runs)."""
        from qunkpi.alerts import load_rules

        def run() -> list[Any]:
            rules = load_rules(self.ws.path)
            return [r for r in rules.rules if r.enabled and r.metric in self.catalog]

        return self.cached(("alert_rules",), run)  # type: ignore[no-any-return]

    def metric_source(self, period: Period) -> Callable[[list[Period], list[str], list[str] | None], pd.DataFrame]:
        """A metric source for the alert rules of ``period`` (``qunkpi.plans.history.MetricSource``) that answers
        from the frames the pages use (the trend periods with every metric, the sub-periods) when they cover the
        request, so the alerts cost no engine run of their own. The rows are those — and in the order — that
        ``metrics_for_periods`` gives for the request."""
        trend = self.trend_periods(period)
        grid = {m.id for m in self.catalog if m.level in GRID_LEVELS}

        def fetch(periods: list[Period], metrics: list[str], ids: list[str] | None) -> pd.DataFrame:
            labels = [q.label for q in periods]
            sub_p, sub_m = self.sub_periods(period)
            for have_p, have_m, ask in ((trend, grid, None), (sub_p, set(sub_m), sub_m)):
                if set(labels) <= {q.label for q in have_p} and set(metrics) <= have_m:
                    return _cut(self.metrics(have_p, None, ask), labels, list(metrics), ids)
            return self.metrics(periods, ids, metrics)

        return fetch

    def community_metric_ids(self) -> list[str]:
        return [
            m.id
            for m in self.catalog
            if m.level == "community" and not m.breakdown and (self.only is None or m.id in self.only)
        ]

    # -- communities -------------------------------------------------------------------------------
    def communities(self) -> pd.DataFrame:
        return self.cached(  # type: ignore[no-any-return]
            ("communities",),
            lambda: self.sql(
                "SELECT community_id, name, platform, purpose, created_at, owner_staff_id, stage FROM communities ORDER BY community_id"
            ),
        )

    def community_rows(
        self, allowed: list[str] | None, period: Period, lang: str = "zh-CN"
    ) -> list[dict[str, Any]]:
        rows = self.cached(("community_records",), lambda: self.communities().to_dict(orient="records"))
        out = []
        for r in rows:
            if allowed is not None and r["community_id"] not in allowed:
                continue
            purpose = clean(r["purpose"])
            stage = stage_of(r["created_at"], clean(r["stage"]), period.end)
            out.append(
                {
                    "community_id": r["community_id"],
                    "name": r["name"],
                    "platform": r["platform"],
                    "purpose": purpose,
                    "purpose_text": tr(*PURPOSE_NAMES[purpose], lang=lang)
                    if purpose in PURPOSE_NAMES
                    else tr("未设定位", "purpose not set", lang),
                    "stage": stage,
                    "stage_text": tr(*STAGE_NAMES[stage], lang=lang) if stage in STAGE_NAMES else "—",
                    "owner_staff_id": clean(r["owner_staff_id"]),
                }
            )
        return out

    # -- periods -----------------------------------------------------------------------------------
    def data_end(self) -> datetime:
        def run() -> datetime:
            cands: list[datetime] = []
            for q in (
                "SELECT max(joined_at) FROM members",
                "SELECT max(left_at) FROM members",
                "SELECT max(sent_at) FROM messages",
                "SELECT max(paid_at) FROM orders",
                "SELECT max(published_at) FROM posts",
            ):
                try:
                    v = self.sql(q).iloc[0, 0]
                except Exception:
                    continue
                if v is not None and not pd.isna(v):
                    cands.append(pd.Timestamp(v).to_pydatetime())
            return max(cands) if cands else datetime.now()

        return self.cached(("data_end",), run)  # type: ignore[no-any-return]

    def period_choices(self, lang: str) -> dict[str, Any]:
        """Periods for the picker: recent weeks, two-week spans, months and quarters up to the data's end."""
        end = self.data_end()
        out: dict[str, list[dict[str, str]]] = {"week": [], "biweek": [], "month": [], "quarter": []}
        w = period_of("week", end)
        for _ in range(12):
            out["week"].append(
                {"label": w.label, "text": f"{w.label} ({w.start:%m-%d}–{(w.end - timedelta(days=1)):%m-%d})"}
            )
            w = w.previous()
        w = period_of("week", end).previous()
        for _ in range(6):
            two = range_period(w.start.date(), (w.end + timedelta(days=6)).date())
            out["biweek"].append(
                {
                    "label": two.label,
                    "text": f"{w.label}+2 ({two.start:%m-%d}–{(two.end - timedelta(days=1)):%m-%d})",
                }
            )
            w = w.previous().previous()
        m = period_of("month", end)
        for _ in range(12):
            out["month"].append({"label": m.label, "text": m.label})
            m = m.previous()
        q = period_of("quarter", end)
        for _ in range(4):
            out["quarter"].append({"label": q.label, "text": q.label})
            q = q.previous()
        default = period_of("month", end)
        if end - default.start < timedelta(days=7):  # a month barely started: show the last full one
            default = default.previous()
        return {"default": default.label, "data_end": end.isoformat(sep=" "), "choices": out}

    # -- plans, benchmarks, status -----------------------------------------------------------------
    def plan_for(self, community_id: str, period: Period) -> dict[str, Any] | None:
        """The stored KPI plan of a community (qunkpi.plans: ``<ws>/plans/<id>.yaml``) as
        ``{north_star, targets: {metric: {value, deadline, text, actions}}}``; None when it has none."""
        from qunkpi.plans import load_stored, plan_path

        if not plan_path(self.ws.path, community_id).exists():
            return None
        try:
            plan, _ = load_stored(self.ws.path, community_id)
        except QunkpiError:
            return None
        targets: dict[str, Any] = {}
        for _, t in plan.targets():
            if not t.metric or t.metric not in self.catalog or t.target is None:
                continue
            value = t.schedule.get(period.label, t.target)
            unit = self.catalog[t.metric].unit
            deadline = t.deadline or plan.deadline
            targets[t.metric] = {
                "value": value,
                "text": f"{fmt_value(value, unit)} @ {deadline}",
                "deadline": str(deadline),
                "baseline": t.baseline,
                "actions": list(t.actions),
            }
        started = parse_period(plan.start).start < period.end
        return {
            "north_star": plan.north_star.metric,
            "targets": targets,
            "name": plan.name,
            "start": plan.start,
            "started": started,
            "deadline": str(plan.deadline),
            "actions": list(plan.north_star.actions),
            "relation": plan.north_star.relation,
        }

    def north_star(self, purpose: str | None, plan: dict[str, Any] | None) -> str:
        if plan and plan.get("north_star") in self.catalog:
            return str(plan["north_star"])
        for mid in [*NORTH_STAR_BY_PURPOSE.get(purpose, []), *FALLBACK_NORTH_STAR]:
            if mid in self.catalog:
                return mid
        return self.community_metric_ids()[0]

    def benchmark_for(self, m: MetricDef, purpose: str | None, stage: str | None) -> Benchmark | None:
        fits = [b for b in m.benchmarks if b.applies(purpose, stage)]
        # the most specific one: purpose and stage both set beat one set beat none
        fits.sort(key=lambda b: -((b.purpose is not None) + (b.stage is not None)))
        return fits[0] if fits else None

    def kpi(
        self,
        mid: str,
        value: Any,
        prev: Any,
        purpose: str | None,
        stage: str | None,
        plan: dict[str, Any] | None,
        lang: str,
        reason: Any = None,
    ) -> dict[str, Any]:
        m = self.catalog[mid]
        bench = self.benchmark_for(m, purpose, stage)
        target = None
        if plan and isinstance(plan.get("targets"), dict) and mid in plan["targets"]:
            target = {
                **plan["targets"][mid],
                "started": plan.get("started", True),
                "start": plan.get("start"),
            }
        value = clean(value)
        prev = clean(prev)
        status, status_text = self.status(m, value, target, bench, lang)
        delta = value - prev if value is not None and prev is not None else None
        return {
            "metric": mid,
            "name": m.name(lang),
            "family": m.family,
            "kind": m.kind,
            "unit": m.unit,
            "direction": m.direction,
            "value": value,
            "text": fmt_value(value, m.unit, lang),
            "reason": clean(reason) if value is None else None,
            "previous": prev,
            "previous_text": fmt_value(prev, m.unit, lang),
            "delta": delta,
            "benchmark": None
            if bench is None
            else {
                "op": bench.op,
                "value": bench.value,
                "text": bench.text(),
                "source": bench.source,
                "note": bench.note_en if lang == "en" else bench.note_zh,
            },
            "target": target,
            "status": status,
            "status_text": status_text,
            "definition": m.definition(lang),
        }

    def status(
        self, m: MetricDef, value: Any, target: dict[str, Any] | None, bench: Benchmark | None, lang: str
    ) -> tuple[str, str]:
        """on_track / at_risk / off_track against a plan target (within 10% of it = at risk); met / below against a benchmark."""
        if value is None:
            return "na", tr("无数据", "no data", lang)
        if target and target.get("started") is False:
            return "none", tr(f"计划 {target.get('start')} 起", f"plan starts {target.get('start')}", lang)
        if target and target.get("value") is not None:
            tv = float(target["value"])
            higher = m.direction != "lower"
            if (value >= tv) if higher else (value <= tv):
                return "on_track", tr("达标", "on track", lang)
            gap = abs(value - tv) / abs(tv) if tv else 1.0
            if gap <= 0.10:
                return "at_risk", tr("有风险", "at risk", lang)
            return "off_track", tr("未达标", "off track", lang)
        if bench is not None:
            ok = bench.met(value)
            if ok:
                return "met", tr("达到基准", "meets benchmark", lang)
            return "below", tr("未达基准", "below benchmark", lang)
        return "none", tr("未设目标", "no target", lang)

    # -- alerts ------------------------------------------------------------------------------------
    def alerts(self, period: Period, communities: list[str] | None, lang: str) -> dict[str, Any]:
        """Alerts of the period (qunkpi.alerts.evaluate_alerts), most severe first, with action and evidence."""
        from qunkpi.alerts import evaluate_alerts as fn

        if communities is not None and not communities:
            return {"available": True, "items": []}

        def run() -> list[dict[str, Any]]:
            rules = self._alert_rules()
            with self.lock, lang_context(lang):
                # the metric values from the pages' frames (one engine run for everything a report shows)
                got = fn(self.ws, period, communities=None, rules=rules, source=self.metric_source(period))
            return _alert_rows(got, lang)

        try:
            items = self.cached(("alerts", period.label, lang), run)
        except QunkpiError as e:
            return {
                "available": False,
                "reason": tr("预警规则无法运行：", "the alert rules could not run: ", lang)
                + str(e).splitlines()[0],
            }
        if communities is not None:
            items = [a for a in items if a.get("community_id") in set(communities)]
        return {"available": True, "items": items}

    # -- overview ----------------------------------------------------------------------------------
    def overview(self, period: Period, allowed: list[str] | None, lang: str) -> dict[str, Any]:
        comms = self.community_rows(allowed, period, lang)
        ids = [c["community_id"] for c in comms]
        periods = self.trend_periods(period)
        index = self.values(periods)
        alerts = self.alerts(period, ids, lang)
        rows = []
        for c in comms:
            cid = c["community_id"]
            sub = index.get(cid, {})
            plan = self.plan_for(cid, period)
            ns = self.north_star(c["purpose"], plan)
            kpis = []
            for mid in [
                ns,
                *[
                    k
                    for k in KEY_KPIS
                    if k in self.catalog and k != ns and (self.only is None or k in self.only)
                ],
            ]:
                series = _series(sub, mid, periods)
                cur = series[-1]
                prev = series[-2] if len(series) > 1 else None
                reason = _reason(sub, mid, period.label)
                k = self.kpi(mid, cur, prev, c["purpose"], c["stage"], plan, lang, reason)
                k["trend"] = series
                kpis.append(k)
            n_alerts = None
            if alerts.get("available"):
                n_alerts = sum(1 for a in alerts["items"] if a.get("community_id") == cid)
            rows.append(
                {
                    **c,
                    "north_star": kpis[0],
                    "kpis": kpis[1:],
                    "alert_count": n_alerts,
                    "has_plan": plan is not None,
                }
            )
        return {
            "period": _period_json(period),
            "previous": _period_json(period.previous()),
            "trend_periods": [p.label for p in periods],
            "communities": rows,
            "alerts_available": bool(alerts.get("available")),
            "alerts_reason": alerts.get("reason"),
        }

    # -- one community -----------------------------------------------------------------------------
    def community(self, cid: str, period: Period, lang: str) -> dict[str, Any]:
        info = next(iter(self.community_rows([cid], period, lang)), None)
        if info is None:
            raise KeyError(cid)
        periods = self.trend_periods(period)
        df = self.metrics(periods, [cid], None)
        vals = self.values(periods).get(cid, {})
        plan = self.plan_for(cid, period)
        ns = self.north_star(info["purpose"], plan)
        families: dict[str, list[dict[str, Any]]] = {}
        for mid in self.community_metric_ids():
            m = self.catalog[mid]
            if m.auxiliary and mid not in ("members_start", "members_end"):
                continue
            series = _series(vals, mid, periods)
            k = self.kpi(
                mid,
                series[-1],
                series[-2],
                info["purpose"],
                info["stage"],
                plan,
                lang,
                _reason(vals, mid, period.label),
            )
            k["trend"] = series
            families.setdefault(m.family, []).append(k)
        fam_out: list[dict[str, Any]] = [
            {"family": f, "name": tr(*FAMILY_NAMES[f], lang=lang), "metrics": families[f]}
            for f in FAMILIES
            if f in families
        ]
        ns_kpi = next((k for f in fam_out for k in f["metrics"] if k["metric"] == ns), None)
        if ns_kpi is None:
            series = _series(vals, ns, periods)
            ns_kpi = self.kpi(ns, series[-1], series[-2], info["purpose"], info["stage"], plan, lang)
            ns_kpi["trend"] = series
        return {
            "community": info,
            "period": _period_json(period),
            "previous": _period_json(period.previous()),
            "trend_periods": [p.label for p in periods],
            "plan": {
                "available": plan is not None,
                "north_star": ns,
                "details": plan,
                "reason": None
                if plan
                else tr(
                    "尚未制定 KPI 计划：北极星指标按群定位默认选择，参考线为种子文档基准（`qunkpi plan` 可制定目标）",
                    "no KPI plan yet: the North Star is the default for the community's purpose and reference lines are the seeds' benchmarks (`qunkpi plan` sets targets)",
                    lang,
                ),
            },
            "north_star": ns_kpi,
            "families": fam_out,
            "waterfall": self.waterfall(cid, period, lang),
            "sources": self.sources(cid, period, df, vals, lang),
            "alerts": self.alerts(period, [cid], lang),
        }

    def waterfall(self, cid: str, period: Period, lang: str) -> dict[str, Any]:
        buckets = period.split(sub_grain(period))
        sub_p, sub_m = self.sub_periods(period)
        df = self.metrics(sub_p, [cid], sub_m)
        if len(df):
            df = df[df.period.isin({b.label for b in buckets}) & df.metric.isin(WATERFALL_METRICS)]
        if not len(df) or df["value"].isna().all():
            return not_available("缺少成员数据", "no membership data", lang)
        v = df.set_index(["period", "metric"])["value"]

        def g(label: str, mid: str) -> float:
            x = v.get((label, mid))
            return float(x) if x is not None and not pd.isna(x) else 0.0

        rows = [
            {
                "bucket": b.label,
                "label": bucket_label(b),
                "joins": g(b.label, "joins"),
                "leaves": g(b.label, "leaves"),
            }
            for b in buckets
        ]
        return {
            "available": True,
            "start": g(buckets[0].label, "members_start"),
            "end": g(buckets[-1].label, "members_end"),
            "buckets": rows,
        }

    def sources(
        self,
        cid: str,
        period: Period,
        df: pd.DataFrame,
        vals: dict[tuple[str, str], tuple[Any, Any]],
        lang: str,
    ) -> dict[str, Any]:
        sub = (
            df[(df.metric == "source_share") & (df.period == period.label) & df.breakdown.notna()]
            if len(df)
            else df
        )
        if not len(sub):
            return not_available("本周期没有新入群", "no joins in this period", lang)
        joins = _series(vals, "joins", [period])[0] or 0
        items = [
            {
                "channel": r["breakdown"],
                "share": clean(r["value"]),
                "joins": round((clean(r["value"]) or 0) * joins),
            }
            for r in sub.to_dict(orient="records")
        ]
        items.sort(key=lambda r: -(r["share"] or 0))
        return {"available": True, "items": items}

    def chat_heatmap(self, cid: str, period: Period, lang: str) -> dict[str, Any]:
        """Member messages by hour × weekday (countable messages: not recalled, not system; staff excluded)."""
        if not self.has_rows("messages"):
            return not_available(
                "缺少消息数据（messages 表为空）", "no message data (the messages table is empty)", lang
            )
        def run() -> dict[str, list[list[int]]]:
            # every community of the period in one scan (a page or report section then takes its own cells)
            staff_ids = [self.ws.person_id(s) for s in self.ws.settings.staff_ids]
            df = self.sql(
                """
                WITH staff_spell AS (SELECT DISTINCT community_id, member_id FROM members WHERE is_staff OR role = 'staff')
                SELECT community_id, CAST(isodow(sent_at) AS INTEGER) AS dow, CAST(hour(sent_at) AS INTEGER) AS hour,
                       count(*) AS n
                FROM messages m
                WHERE sent_at >= ? AND sent_at < ? AND NOT coalesce(recalled, false) AND msg_type <> 'system'
                  AND NOT EXISTS (SELECT 1 FROM staff_spell s WHERE s.community_id = m.community_id AND s.member_id = m.sender_id)
                  AND sender_id NOT IN (SELECT staff_id FROM staff)
                  AND NOT list_contains(?, sender_id)
                GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
                """,
                [period.start, period.end, staff_ids],
            )
            out: dict[str, list[list[int]]] = {}
            for r in df.itertuples():
                out.setdefault(str(r.community_id), []).append([int(r.hour), int(r.dow) - 1, int(r.n)])
            return out

        cells = self.cached(("heatmap", period.label), run).get(cid, [])
        return {
            "available": True,
            "weekdays": [tr(z, e, lang) for z, e in WEEKDAYS],
            "hours": [f"{h:02d}" for h in range(24)],
            "cells": cells,
            "total": int(sum(c[2] for c in cells)),
        }

    def activities(self, cid: str, period: Period, lang: str) -> dict[str, Any]:
        """Activities starting in the period: notified, distinct non-staff participants, participation, conversion."""
        if not self.has_rows("activities"):
            return not_available(
                "缺少活动数据（activities 表为空）", "no activity data (the activities table is empty)", lang
            )
        def run() -> dict[str, pd.DataFrame]:
            # every community's activities of the period in one query (staff excluded per community)
            has_orders = self.has_rows("orders")
            staff_ids = [self.ws.person_id(s) for s in self.ws.settings.staff_ids]
            conv = (
                """(SELECT count(DISTINCT o.customer_id) FROM orders o
                     WHERE a.campaign_code IS NOT NULL AND o.campaign_code = a.campaign_code
                       AND o.paid_at >= a.start_at AND o.paid_at < a.end_at + INTERVAL 7 DAY
                       AND o.customer_id NOT IN (SELECT member_id FROM staff_spell s WHERE s.community_id = a.community_id)
                       AND o.customer_id NOT IN (SELECT staff_id FROM staff))"""
                if has_orders
                else "NULL"
            )
            df = self.sql(
                f"""
                WITH staff_spell AS (SELECT DISTINCT community_id, member_id FROM members WHERE is_staff OR role = 'staff')
                SELECT a.community_id AS _community, a.activity_id, a.name, a.kind, a.start_at, a.end_at, a.notified_count,
                  a.cost, a.campaign_code,
                  (SELECT count(DISTINCT p.member_id) FROM activity_participants p
                    WHERE p.activity_id = a.activity_id
                      AND p.member_id NOT IN (SELECT member_id FROM staff_spell s WHERE s.community_id = a.community_id)
                      AND p.member_id NOT IN (SELECT staff_id FROM staff) AND NOT list_contains(?, p.member_id)) AS participants,
                  {conv} AS buyers
                FROM activities a
                WHERE a.start_at >= ? AND a.start_at < ?
                ORDER BY a.community_id, a.start_at, a.activity_id
                """,
                [staff_ids, period.start, period.end],
            )
            return {
                str(c): g.drop(columns=["_community"]).reset_index(drop=True)
                for c, g in df.groupby("_community", sort=False)
            }

        df = self.cached(("activities", period.label), run).get(cid)
        if df is None:
            df = pd.DataFrame()
        items = []
        for r in records(df):
            n = r["notified_count"] or 0
            r["participation_rate"] = r["participants"] / n if n else None
            r["conversion_rate"] = (
                (r["buyers"] / n if n else None)
                if r.get("campaign_code") and r["buyers"] is not None
                else None
            )
            r["participation_text"] = fmt_value(r["participation_rate"], "ratio", lang)
            r["conversion_text"] = fmt_value(r["conversion_rate"], "ratio", lang)
            items.append(r)
        return {"available": True, "items": items}

    def topics(self, cid: str, period: Period, lang: str) -> dict[str, Any]:
        from qunkpi.classify.topics import topic_table as fn

        if not self.has_rows("messages"):
            return not_available("缺少消息数据", "no message data", lang)

        def run() -> list[dict[str, Any]]:
            # one pass for every community (top 20 each), cached; each request takes its community's rows
            with self.lock, lang_context(lang):
                got = fn(self.ws, period.start, period.end, community_id=None, top=20)
            return records(got) if isinstance(got, pd.DataFrame) else [dict(x) for x in got]

        try:
            items = [r for r in self.cached(("topics", period.label), run) if r.get("community_id") == cid]
        except QunkpiError as e:
            return {"available": False, "reason": str(e)}
        return {
            "available": True,
            "items": items,
            "note": tr(
                "按本期消息数排序；绿色为高转化话题：参与者 7 天内下单比例高于本群活跃成员（lift > 1）",
                "by messages in the period; green: high-conversion topics, whose participants ordered within 7 days more often than the community's active members (lift > 1)",
                lang,
            ),
        }

    def cohorts(self, cid: str, period: Period, lang: str) -> dict[str, Any]:
        """Membership retention by join-month cohort (qunkpi.cohorts.retention_matrix): the 6 months up to the period's end.

        The matrices of every community are computed together (``retention_matrices``: one engine context and one
        pass over the spells) and cached; each community's page takes its own."""
        from qunkpi.cohorts import retention_matrices as fn

        if not self.has_rows("members"):
            return not_available("缺少成员数据", "no membership data", lang)
        last = period_of("month", period.end - timedelta(seconds=1))
        first = last
        for _ in range(5):
            first = first.previous()

        def matrices() -> dict[str, pd.DataFrame]:
            with self.lock, lang_context(lang):
                return fn(self.ws, "membership", first, last)  # type: ignore[no-any-return]

        def run() -> dict[str, Any]:
            got = self.cached(("cohort_matrices", first.label, last.label), matrices)
            if cid not in got:
                raise KeyError(cid)
            m = got[cid]
            m = m[m["size"] > 0]
            offsets = [c for c in m.columns if c != "size"]
            cohorts = [str(i) for i in m.index]
            cells = []
            for y, (_, row) in enumerate(m.iterrows()):
                for x, k in enumerate(offsets):
                    v = clean(row[k])
                    if v is not None:
                        cells.append([x, y, v])
            return {
                "cohorts": [f"{c} (n={int(n)})" for c, n in zip(cohorts, m["size"], strict=True)],
                "offsets": [tr(f"第{k}月", f"M{k}", lang) for k in offsets],
                "cells": cells,
            }

        try:
            got = self.cached(("cohorts", cid, period.label, lang), run)
        except QunkpiError as e:
            return {"available": False, "reason": str(e)}
        return {"available": True, **got}

    def member_lists(self, cid: str, period: Period, lang: str) -> dict[str, Any]:
        out: dict[str, Any] = {"available": True, "lists": {}}
        for kind in MEMBER_LISTS:
            try:
                df = self.member_list(cid, period, kind)
            except QunkpiError as e:
                out["lists"][kind] = {"count": None, "rows": [], "reason": str(e)}
                continue
            out["lists"][kind] = {
                "count": len(df),
                "rows": records(df.head(50)),
            }
        return out

    def member_list(self, cid: str, period: Period, kind: str) -> pd.DataFrame:
        """silent | koc | churn_risk from qunkpi.members.member_list."""
        from qunkpi.members import member_list as fn

        def run() -> dict[str, pd.DataFrame]:
            # every community's list in one run (the lists are computed per community, so a community's rows are
            # the same as when it is asked alone), cut by community once
            with self.lock:
                df: pd.DataFrame = fn(self.ws, period, kind.replace("_", "-"), None)
            parts = {str(c): g.reset_index(drop=True) for c, g in df.groupby("community_id", sort=False)}
            parts[""] = df.iloc[0:0].reset_index(drop=True)  # the columns, for a community without rows
            return parts

        parts = self.cached(("member_lists", kind, period.label), run)
        return parts.get(cid, parts[""])  # type: ignore[no-any-return]

    # -- content accounts --------------------------------------------------------------------------
    def accounts(self, allowed: list[str] | None) -> list[str]:
        ids: set[str] = set()
        for t, col in (("posts", "account_id"), ("account_daily", "account_id")):
            if self.has_rows(t):
                ids |= set(self.sql(f"SELECT DISTINCT {col} AS a FROM {t}")["a"].astype(str))
        return sorted(a for a in ids if allowed is None or a in allowed)

    def content(self, period: Period, allowed: list[str] | None, lang: str) -> dict[str, Any]:
        accts = self.accounts(allowed)
        if not accts:
            return not_available(
                "没有可见的内容账号数据（posts / account_daily 表为空，或没有分配给你的账号）",
                "no content-account data you may see (posts / account_daily are empty, or none is assigned to you)",
                lang,
            )
        posts = pd.DataFrame()
        if self.has_rows("posts"):
            posts = self.sql(
                """SELECT account_id, post_id, kind, published_at, title, is_original, delivered, read_users,
                          share_users, reads_from_share, favorite_users, completion_rate
                   FROM posts WHERE published_at >= ? AND published_at < ? AND list_contains(?, account_id)
                   ORDER BY published_at DESC""",
                [period.start, period.end, accts],
            )
        rows = []
        for r in records(posts):
            r["open_rate"] = _div(r["read_users"], r["delivered"])
            r["share_rate"] = _div(r["share_users"], r["read_users"])
            r["secondary_share"] = _div(r["reads_from_share"], r["read_users"])
            for k in ("open_rate", "share_rate", "secondary_share"):
                r[k + "_text"] = fmt_value(r[k], "ratio", lang)
            r["quality"] = r["secondary_share"] is not None and r["secondary_share"] > 0.30
            rows.append(r)
        funnel_keys = [
            ("delivered", tr("送达", "delivered", lang)),
            ("read_users", tr("阅读", "read", lang)),
            ("share_users", tr("分享", "shared", lang)),
            ("reads_from_share", tr("分享带来的阅读", "read from shares", lang)),
        ]
        # the funnel needs the first stage: posts with a delivery count (articles; videos and lives have none)
        fp = posts[posts["delivered"].notna()] if len(posts) else posts
        # rates as the catalog defines them: open = read / delivered, share = shared / read,
        # secondary share = read from shares / read
        sums = [float(fp[k].fillna(0).sum()) if len(fp) else 0.0 for k, _ in funnel_keys]
        bases = [None, sums[0], sums[1], sums[1]]
        funnel: list[dict[str, Any]] = [
            {"stage": name, "value": v, "rate": (v / b) if b else None}
            for (_, name), v, b in zip(funnel_keys, sums, bases, strict=True)
        ]
        funnel_note = tr(
            f"漏斗只统计有送达数的 {len(fp)} 篇内容（视频、直播没有送达数）",
            f"the funnel counts the {len(fp)} posts with a delivery count (videos and lives have none)",
            lang,
        )
        followers: dict[str, Any] = not_available(
            "缺少粉丝日数据（account_daily 表为空）", "no follower data (account_daily is empty)", lang
        )
        if self.has_rows("account_daily"):
            fd = self.sql(
                """SELECT account_id, CAST(day AS DATE) AS day, max(followers_total) AS followers_total,
                          sum(new_followers) AS new_followers, sum(unfollows) AS unfollows
                   FROM account_daily WHERE day >= ? AND day < ? AND list_contains(?, account_id)
                   GROUP BY 1, 2 ORDER BY 1, 2""",
                [period.start.date(), period.end.date(), accts],
            )
            followers = {"available": True, "rows": records(fd)}
        return {
            "available": True,
            "period": _period_json(period),
            "accounts": accts,
            "posts": rows,
            "funnel": funnel,
            "funnel_note": funnel_note,
            "followers": followers,
        }

    # -- appraisal ---------------------------------------------------------------------------------
    def appraisal(self, period: Period, lang: str) -> dict[str, Any]:
        """One row per staff member from qunkpi.appraisal.appraise_workspace (items kept for the detail view)."""
        from qunkpi.appraisal import appraise_workspace as fn

        def run() -> list[dict[str, Any]]:
            with self.lock, lang_context(lang):
                got = fn(self.ws, period.label)
            return [_staff_row(r, lang) for r in got]

        try:
            rows = self.cached(("appraisal", period.label, lang), run)
        except QunkpiError as e:
            return {"available": False, "reason": str(e)}
        return {"available": True, "rows": rows}

    def staff(self) -> pd.DataFrame:
        return self.cached(
            ("staff",), lambda: self.sql("SELECT staff_id, name, role, team FROM staff ORDER BY staff_id")
        )  # type: ignore[no-any-return]

    # -- glossary ----------------------------------------------------------------------------------
    def glossary(self, lang: str) -> list[dict[str, Any]]:
        out = []
        for m in self.catalog:
            out.append(
                {
                    "id": m.id,
                    "name": m.name(lang),
                    "name_zh": m.zh,
                    "name_en": m.en,
                    "family": m.family,
                    "family_name": tr(*FAMILY_NAMES[m.family], lang=lang),
                    "kind": m.kind,
                    "unit": m.unit,
                    "direction": m.direction,
                    "level": m.level,
                    "tables": m.tables,
                    "definition": m.definition(lang),
                    "formula": m.formula,
                    "benchmarks": [
                        {
                            "text": b.text(),
                            "purpose": b.purpose,
                            "stage": b.stage,
                            "account_type": b.account_type,
                            "source": b.source,
                            "note": b.note_en if lang == "en" else b.note_zh,
                        }
                        for b in m.benchmarks
                    ],
                }
            )
        return out


# -- helpers -----------------------------------------------------------------------------------------
def _div(a: Any, b: Any) -> float | None:
    if a is None or b is None or not b:
        return None
    return float(a) / float(b)


def _cut(df: pd.DataFrame, labels: list[str], metrics: list[str], ids: list[str] | None) -> pd.DataFrame:
    """The rows of ``df`` for these periods, metrics and communities, ordered as the engine orders its output
    (community, period in the order asked, metric in the order asked, breakdown)."""
    if not len(df):
        return df
    keep = df.period.isin(labels) & df.metric.isin(metrics)
    if ids is not None:
        keep &= df.community_id.isin(ids)
    out = df[keep].copy()
    out["_o"] = out["metric"].map({m: i for i, m in enumerate(dict.fromkeys(metrics))})
    out["_p"] = out["period"].map({lab: i for i, lab in enumerate(labels)})
    out = out.sort_values(["community_id", "_p", "_o", "breakdown"], na_position="first", kind="stable")
    return out.drop(columns=["_o", "_p"]).reset_index(drop=True)


_NO_VALUE: tuple[Any, Any] = (None, None)


def _series(vals: dict[tuple[str, str], tuple[Any, Any]], mid: str, periods: list[Period]) -> list[Any]:
    """A metric's values over ``periods`` from one community's :meth:`ReportData.values` (None where missing)."""
    return [vals.get((mid, p.label), _NO_VALUE)[0] for p in periods]


def _reason(vals: dict[tuple[str, str], tuple[Any, Any]], mid: str, label: str) -> Any:
    return vals.get((mid, label), _NO_VALUE)[1]


def _period_json(p: Period) -> dict[str, Any]:
    return {
        "label": p.label,
        "grain": p.grain,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "days": p.days,
    }


def _alert_rows(got: Any, lang: str) -> list[dict[str, Any]]:
    out = []
    for a in got or []:
        ev = [
            {
                "title": e.title,
                "columns": list(e.columns),
                "rows": [[clean(v) for v in r] for r in e.rows[:10]],
                "total": e.total,
            }
            for e in getattr(a, "evidence", [])
        ]
        out.append(
            {
                "rule": a.rule_id,
                "community_id": a.community_id,
                "community_name": a.community_name,
                "period": a.period,
                "metric": a.metric,
                "value": clean(a.value),
                "threshold": clean(a.threshold),
                "severity": a.severity,
                "kind": a.kind,
                "title": a.title,
                "message": tr(
                    f"{fmt_value(a.value, a.unit, lang)}（阈值 {a.op} {fmt_value(a.threshold, a.unit, lang)}）",
                    f"{fmt_value(a.value, a.unit, lang)} (threshold {a.op} {fmt_value(a.threshold, a.unit, lang)})",
                    lang,
                ),
                "action": a.action,
                "series": [[lbl, clean(v)] for lbl, v in a.series],
                "evidence": ev,
                "impact": clean(a.impact),
            }
        )
    return out


def _cohort_json(got: Any) -> dict[str, Any]:
    if isinstance(got, pd.DataFrame):
        return {"rows": records(got)}
    if isinstance(got, dict):
        return {k: v for k, v in got.items()}
    return {"rows": list(got)}


def _staff_row(r: Any, lang: str) -> dict[str, Any]:
    """A StaffResult as a flat row (the page's table) plus its scored items."""
    items = [
        {
            "name": it.name,
            "value": clean(it.value),
            "target": clean(it.target),
            "weight": clean(it.weight),
            "points": clean(it.points),
            "reason": it.reason,
        }
        for it in getattr(r, "items", [])
    ]
    yes, no = tr("是", "yes", lang), tr("否", "no", lang)
    return {
        "staff_id": r.staff_id,
        tr("姓名", "name", lang): r.name,
        tr("岗位", "role", lang): r.role_name,
        tr("团队", "team", lang): r.team,
        tr("系统分", "system", lang): clean(r.system_score),
        tr("上级评分", "supervisor", lang): clean(r.supervisor_score),
        tr("自评", "self", lang): clean(r.self_score),
        tr("总分", "total", lang): clean(r.total),
        tr("等级", "grade", lang): r.grade,
        tr("奖金系数", "bonus", lang): clean(r.bonus),
        tr("连续>90月数", "months > 90", lang): r.streak,
        tr("可晋升", "promotion", lang): yes if r.promotion_eligible else no,
        "items": items,
    }
