"""Runs catalog metrics on an Ibis backend for communities × periods and returns one long table.

Output columns (the machine-readable contract, docs/json-output.md): ``community_id``, ``period``, ``metric``,
``value`` (float or None), ``breakdown`` (None unless the metric has one), ``unit``, ``reason`` (why a value is
None: ``missing tables: …`` or ``n/a`` for a zero denominator).
"""

from __future__ import annotations

import ast
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import numpy as np
import pandas as pd

from qunkpi.catalog import Catalog, load_catalog
from qunkpi.catalog.model import MetricDef
from qunkpi.engine.context import Ctx
from qunkpi.engine.periods import Period
from qunkpi.workspace.schema import TABLES

OUT_COLUMNS = ["community_id", "period", "metric", "value", "breakdown", "unit", "reason"]
LABELS_TABLE = "message_labels"
# Levels whose rows the runner lays on a grid: communities × periods, or accounts × periods for ``account``.
GRID_LEVELS = ("community", "account")


@dataclass
class RunOptions:
    metrics: list[str] | None = None
    communities: list[str] | None = None
    as_of: datetime | None = None
    settings: Any = None
    staff_ids: list[str] = field(default_factory=list)
    progress: Callable[[str, int, int], None] | None = None
    labels_cover: bool = False  # see Ctx.labels_cover
    facts: str | None = None  # see Ctx.facts


def available_tables(backend: Any) -> set[str]:
    """The canonical tables (and ``message_labels``) that exist and hold at least one row: one query that
    reads at most one row of each."""
    names = set(backend.list_tables())
    present = [t for t in [*TABLES, LABELS_TABLE] if t in names]
    if not present:
        return set()
    parts = [backend.table(t).limit(1).select(table_name=ibis.literal(t)) for t in present]
    probe = parts[0].union(*parts[1:], distinct=False) if len(parts) > 1 else parts[0]
    return {str(x) for x in backend.execute(probe)["table_name"]}


def data_horizon(backend: Any, available: set[str]) -> datetime | None:
    """The latest event time in the data: the default as-of time of retention-type metrics."""
    events = (
        ("members", ("joined_at", "left_at")),
        ("messages", ("sent_at",)),
        ("orders", ("paid_at",)),
        ("posts", ("published_at",)),
    )
    parts = []
    for table, cols in events:
        if table not in available:
            continue
        t = backend.table(table)
        parts.append(t.aggregate(**{f"{table}__{c}": t[c].cast("timestamp").max() for c in cols}))
    if not parts:
        return None
    row = parts[0]
    for part in parts[1:]:
        row = row.cross_join(part)  # one row per part: one query for all the maxima
    cands = [pd.Timestamp(v).to_pydatetime() for v in backend.execute(row).iloc[0].tolist() if v is not None and not pd.isna(v)]
    return max(cands) if cands else None


def community_list(backend: Any, wanted: list[str] | None) -> list[str]:
    t = backend.table("communities")
    ids = sorted(str(x) for x in backend.execute(t.select("community_id").distinct())["community_id"])
    if wanted is not None:
        ids = [c for c in ids if c in set(wanted)]
    return ids


def account_list(backend: Any, available: set[str], wanted: list[str] | None) -> list[str]:
    """The grid of ``level: account`` metrics: account ids of posts ∪ account_daily (``wanted`` filters them too)."""
    ids: set[str] = set()
    for table in ("posts", "account_daily"):
        if table in available:
            t = backend.table(table)
            ids |= {str(x) for x in backend.execute(t.select("account_id").distinct())["account_id"]}
    if wanted is not None:
        ids &= set(wanted)
    return sorted(ids)


def _ratio(num: Any, den: Any) -> Any:
    num = pd.to_numeric(num, errors="coerce")
    den = pd.to_numeric(den, errors="coerce")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return out.where(den.fillna(0) != 0)


def run_metrics(backend: Any, periods: list[Period], opts: RunOptions, catalog: Catalog | None = None) -> pd.DataFrame:
    cat = catalog or load_catalog()
    wanted = opts.metrics or [m.id for m in cat if m.level in GRID_LEVELS]
    unknown = [m for m in wanted if m not in cat]
    if unknown:
        from qunkpi.errors import QunkpiError
        from qunkpi.i18n import tr

        raise QunkpiError(
            tr(f"未知指标：{', '.join(unknown)}（用 `qunkpi catalog` 查看全部）", f"unknown metrics: {', '.join(unknown)} (see `qunkpi catalog`)")
        )
    order = cat.closure(wanted)
    available = available_tables(backend)
    comms = community_list(backend, opts.communities) if "communities" in available else []
    as_of = opts.as_of or data_horizon(backend, available) or datetime.now()
    ctx = Ctx(
        backend=backend,
        periods=periods,
        communities=opts.communities,
        as_of=as_of,
        settings=opts.settings,
        staff_ids=opts.staff_ids,
        available=available,
        labels_cover=opts.labels_cover,
        facts=opts.facts,
    )
    try:
        labels = [p.label for p in periods]
        comm_grid = pd.MultiIndex.from_product([comms, labels], names=["community_id", "period"])
        acct_grid = pd.MultiIndex.from_product([account_list(backend, available, opts.communities), labels], names=["community_id", "period"])
        values: dict[str, pd.Series] = {}
        reasons: dict[str, str] = {}
        frames: list[pd.DataFrame] = []
        for i, mid in enumerate(order):
            m = cat[mid]
            grid = acct_grid if m.level == "account" else comm_grid
            if opts.progress:
                opts.progress(mid, i, len(order))
            missing = sorted(t for t in cat.tables_needed(mid) if t not in available)
            if m.needs_labels and LABELS_TABLE not in available and "messages" in available:
                missing.append(LABELS_TABLE)
            dep_missing = [d for d in m.depends() if d in reasons]
            if missing or dep_missing:
                reason = "missing tables: " + ", ".join(missing) if missing else reasons[dep_missing[0]]
                reasons[mid] = reason
                values[mid] = pd.Series(np.nan, index=grid)
                if mid in wanted:
                    frames.append(_long(m, values[mid], reason))
                continue
            if m.derived:
                series = _eval_derived(m, values, grid)
                values[mid] = series
            else:
                expr = cat.impls[m.impl](ctx)  # type: ignore[index]
                df = backend.execute(expr)
                if m.breakdown:
                    if mid in wanted:
                        frames.append(_breakdown_frame(m, df))
                    continue
                s = df.set_index(["community_id", "period"])["value"] if len(df) else pd.Series(dtype="float64")
                s = s.reindex(grid)
                if m.fill == "zero":
                    s = s.fillna(0)
                values[mid] = s.astype("float64")
            if mid in wanted:
                frames.append(_long(m, values[mid], None))
        if not frames:
            return pd.DataFrame(columns=OUT_COLUMNS)
        out = pd.concat(frames, ignore_index=True)
        order_idx = {mid: i for i, mid in enumerate(wanted)}
        out["_o"] = out["metric"].map(order_idx)
        out["_p"] = out["period"].map({label: i for i, label in enumerate(labels)})  # chronological, not alphabetical
        out = out.sort_values(["community_id", "_p", "_o", "breakdown"], na_position="first", kind="stable").drop(columns=["_o", "_p"])
        return out.reset_index(drop=True)[OUT_COLUMNS]
    finally:
        ctx.release()


def _eval_derived(m: MetricDef, values: dict[str, pd.Series], grid: pd.MultiIndex) -> pd.Series:
    env = {d: values[d].reindex(grid) for d in m.depends()}
    env_funcs = {"ratio": _ratio, "abs": abs, "min": np.minimum, "max": np.maximum}
    code = compile(ast.parse(m.expr or "", mode="eval"), f"<metric {m.id}>", "eval")
    res = eval(code, {"__builtins__": {}, **env_funcs}, env)  # formula validated at catalog load
    s = pd.Series(res, index=grid) if not isinstance(res, pd.Series) else res
    return s.astype("float64").replace([np.inf, -np.inf], np.nan)


def _clean(v: Any) -> float | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _long(m: MetricDef, s: pd.Series, reason: str | None) -> pd.DataFrame:
    df = s.rename("value").reset_index()
    df["metric"] = m.id
    df["breakdown"] = None
    df["unit"] = m.unit
    num = pd.to_numeric(df["value"], errors="coerce").to_numpy(dtype="float64")
    missing = np.isnan(num)
    vals = num.astype(object)  # Python floats, None where there is no value (what _clean gives, vectorised)
    vals[missing] = None
    df["value"] = pd.Series(vals, dtype=object, index=df.index)
    reasons = np.full(len(df), reason, dtype=object) if reason else np.where(missing, np.array("n/a", dtype=object), np.array(None, dtype=object))
    df["reason"] = pd.Series(reasons, index=df.index, dtype=object)
    return df


def _breakdown_frame(m: MetricDef, df: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "community_id": df["community_id"].astype(str),
            "period": df["period"].astype(str),
            "metric": m.id,
            "value": pd.Series([_clean(v) for v in df["value"]], dtype=object, index=df.index),
            "breakdown": df["breakdown"].astype(str),
            "unit": m.unit,
        }
    )
    out["reason"] = [None if v is not None else "n/a" for v in out["value"]]
    return out


def duckdb_backend(con: Any) -> Any:
    return ibis.duckdb.from_connection(con)
