"""One benchmark step per process: ``python -m qunkpi.bench.steps STEP WORKSPACE DATA MONTHS...``.

Prints one JSON object (seconds and step facts) on its last line; the parent reads peak RSS from os.wait4.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from qunkpi.engine.periods import parse_period

PANDAS_METRICS = [
    "members_start", "members_end", "joins", "leaves", "net_growth_rate", "churn_rate", "silent_ratio",
    "active_members", "engaged_members", "core_interaction_rate", "engaged_rate", "effective_message_share",
    "ugc_count", "response_30m_rate", "gmv", "buyers", "orders", "aov",
]
SQL_METRICS = ["engaged_rate", "silent_ratio", "response_30m_rate"]


def _ws(path: Path, read_only: bool = False):  # type: ignore[no-untyped-def]
    from qunkpi.workspace import Workspace

    ws = Workspace.open(path, read_only=read_only)
    _quiet(ws)
    return ws


def _quiet(ws) -> None:  # type: ignore[no-untyped-def]
    """No DuckDB progress bar: a step's output is one JSON line (and the bar costs time on long queries)."""
    ws.con.execute("SET enable_progress_bar = false")


def step_import(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    from qunkpi.importers.canonical import import_path
    from qunkpi.workspace import Workspace

    if ws_path.exists():
        shutil.rmtree(ws_path)
    ws = Workspace.init(ws_path)
    _quiet(ws)
    t = time.perf_counter()
    rep = import_path(ws, data)
    sec = time.perf_counter() - t
    ws.close()
    return {
        "seconds": sec,
        "rows": sum(r.rows_read for r in rep.tables),
        "messages": sum(r.rows_read for r in rep.tables if r.table == "messages"),
    }


def step_classify(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    from qunkpi.classify.engine import classify_workspace

    ws = _ws(ws_path)
    t = time.perf_counter()
    stats = classify_workspace(ws, full=True)
    sec = time.perf_counter() - t
    ws.close()
    return {"seconds": sec, "stats": stats}


def step_facts(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    """The metric engine's stored countable messages (``message_facts``), as `qunkpi classify` refreshes them."""
    from qunkpi.engine.facts import refresh_facts

    ws = _ws(ws_path)
    t = time.perf_counter()
    res = refresh_facts(ws)
    sec = time.perf_counter() - t
    ws.close()
    return {"seconds": sec, "action": res["action"], "rows": res["rows"]}


def _periods(months: list[str], weekly: bool = False):  # type: ignore[no-untyped-def]
    """The months, or the ISO weeks inside them (clipped at the month edges)."""
    ps = [parse_period(m) for m in months]
    return [w for p in ps for w in p.split("week")] if weekly else ps


def _import_engine_libraries() -> None:
    """Import Ibis' DuckDB backend before the timer starts, as the pandas step imports pandas before its own
    (library import time is the same for every run and is not the metric step's work)."""
    import ibis.backends.duckdb  # noqa: F401


def step_metrics(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    from qunkpi.engine.api import metrics_for_periods

    _import_engine_libraries()
    ws = _ws(ws_path, read_only=True)
    t = time.perf_counter()
    monthly = metrics_for_periods(ws, _periods(months))
    t1 = time.perf_counter()
    weekly = metrics_for_periods(ws, _periods(months, weekly=True))
    t2 = time.perf_counter()
    ws.close()
    return {"seconds": t2 - t, "monthly_seconds": t1 - t, "weekly_seconds": t2 - t1, "values": len(monthly) + len(weekly)}


def step_engine_subset(ws_path: Path, data: Path, months: list[str], metrics: list[str] | None = None) -> dict[str, Any]:
    from qunkpi.engine.api import metrics_for_periods

    _import_engine_libraries()
    ws = _ws(ws_path, read_only=True)
    t = time.perf_counter()
    df = metrics_for_periods(ws, _periods(months), metrics=metrics or PANDAS_METRICS)
    sec = time.perf_counter() - t
    ws.close()
    out = [(r.community_id, r.period, r.metric, r.value) for r in df.itertuples() if r.breakdown is None]
    return {"seconds": sec, "values": out}


def step_engine_sql3(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    return step_engine_subset(ws_path, data, months, SQL_METRICS)


def step_pandas(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    bench_dir = Path(__file__).resolve().parents[3] / "bench"
    sys.path.insert(0, str(bench_dir))
    import pandas_baseline  # type: ignore[import-not-found]

    labels = ws_path / "bench-labels.parquet"
    t = time.perf_counter()
    df = pandas_baseline.compute(data, labels, months)
    sec = time.perf_counter() - t
    return {"seconds": sec, "values": [tuple(r) for r in df.itertuples(index=False)]}


def step_sql(ws_path: Path, data: Path, months: list[str], facts: bool = False) -> dict[str, Any]:
    bench_dir = Path(__file__).resolve().parents[3] / "bench"
    sys.path.insert(0, str(bench_dir))
    import sql_reference  # type: ignore[import-not-found]

    ws = _ws(ws_path, read_only=True)
    t = time.perf_counter()
    res = sql_reference.run(ws.con, months, facts=facts)
    sec = time.perf_counter() - t
    ws.close()
    return {"seconds": sec, "values": [(c, p, k, v) for k, rows in res.items() for c, p, v in rows]}


def step_sql_facts(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    """The hand-written SQL over ``message_facts`` (the engine's stored countable messages), when it is current."""
    from qunkpi.engine.facts import facts_table

    ws = _ws(ws_path, read_only=True)
    current = facts_table(ws) is not None
    ws.close()
    if not current:
        return {"seconds": 0.0, "values": [], "skipped": True}
    return step_sql(ws_path, data, months, facts=True)


def step_report(ws_path: Path, data: Path, months: list[str]) -> dict[str, Any]:
    from qunkpi.reports.html import write_html_report

    ws = _ws(ws_path, read_only=True)
    t = time.perf_counter()
    out = write_html_report(ws, months[-1], ws_path / "bench-report.html")
    sec = time.perf_counter() - t
    ws.close()
    return {"seconds": sec, "bytes": out.stat().st_size}


STEPS = {
    "import": step_import,
    "classify": step_classify,
    "facts": step_facts,
    "metrics": step_metrics,
    "engine_subset": step_engine_subset,
    "engine_sql3": step_engine_sql3,
    "pandas": step_pandas,
    "sql": step_sql,
    "sql_facts": step_sql_facts,
    "report": step_report,
}


def main() -> None:
    name, ws, data, *months = sys.argv[1:]
    res = STEPS[name](Path(ws), Path(data), months)
    print(json.dumps(res, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
