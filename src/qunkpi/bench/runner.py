"""``qunkpi bench``: time the pipeline step by step on demo data, each step in its own process.

Figures: wall seconds and peak RSS per step; the metric step against the pandas baseline (bench/pandas_baseline.py,
same data, results compared) and three metrics against hand-written DuckDB SQL (bench/sql_reference.py).
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qunkpi.i18n import tr

PIPELINE = ["import", "classify", "facts", "metrics", "report"]


@dataclass
class StepResult:
    name: str
    seconds: float
    peak_rss_mb: float
    facts: dict[str, Any] = field(default_factory=dict)
    cpu_seconds: float = 0.0  # user + system CPU of the step's process (all threads), from os.wait4


def run_step(name: str, ws: Path, data: Path, months: list[str]) -> StepResult:
    """Run one step in a fresh interpreter; peak RSS is the kernel's accounting of that process (os.wait4)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "qunkpi.bench.steps", name, str(ws), str(data), *months],
                                stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"bench step {name} failed ({proc.returncode}):\n{stderr[-3000:]}")
    facts = json.loads(stdout.strip().splitlines()[-1])
    return StepResult(
        name, float(facts.pop("seconds")), usage.ru_maxrss / 1024, facts, usage.ru_utime + usage.ru_stime
    )


def compare(a: list[Any], b: list[Any], rel: float = 1e-9) -> tuple[int, list[Any]]:
    """Compare (community, period, metric, value) rows; returns (number compared, mismatches)."""
    def val(v: Any) -> float | None:
        return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)

    da = {(r[0], r[1], r[2]): val(r[3]) for r in a}
    db = {(r[0], r[1], r[2]): val(r[3]) for r in b}
    bad = []
    n = 0
    for k, va in da.items():
        if k not in db:
            continue
        n += 1
        vb = db[k]
        if va is None or vb is None:
            if not (va is None and vb is None):
                bad.append((k, va, vb))
        elif not math.isclose(float(va), float(vb), rel_tol=rel, abs_tol=1e-12):
            bad.append((k, va, vb))
    return n, bad


def machine() -> str:
    mem = ""
    try:
        with open("/proc/meminfo") as f:
            kb = int(f.readline().split()[1])
            mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    return f"{os.cpu_count()} cores{mem}, {platform.system()} {platform.machine()}, Python {platform.python_version()}"


def _loadavg() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


def run_bench(
    scale: str,
    data: Path,
    ws: Path,
    months: list[str],
    baseline: bool = True,
    progress: Callable[[str], None] | None = None,
    steps: list[str] | None = None,
    repeat: int = 1,
) -> dict[str, Any]:
    """Run the pipeline steps (``steps``: a prefix-ordered subset of PIPELINE, default all) and the baselines.

    ``repeat``: rounds of each baseline comparison (qunkpi and the baseline alternately, each in a fresh process);
    the medians are compared. Single runs on a shared machine vary by 20 % and more."""
    say = progress or (lambda _m: None)
    results: dict[str, StepResult] = {}
    for name in steps or PIPELINE:
        say(name)
        results[name] = run_step(name, ws, data, months)
    report: dict[str, Any] = {
        "scale": scale,
        "machine": machine(),
        "load_average": _loadavg(),
        "months": months,
        "steps": {
            k: {
                "seconds": round(v.seconds, 3),
                "cpu_seconds": round(v.cpu_seconds, 2),
                "peak_rss_mb": round(v.peak_rss_mb, 1),
                **({"messages": v.facts["messages"]} if "messages" in v.facts else {}),
            }
            for k, v in results.items()
        },
        "end_to_end_seconds": round(sum(v.seconds for v in results.values()), 2),
    }
    if baseline:
        _export_labels(ws)
        rounds = max(1, repeat)
        eng_runs: list[StepResult] = []
        pd_runs: list[StepResult] = []
        for i in range(rounds):  # alternate the two sides, so a slow spell of the machine hits both
            say(_round("engine (pandas subset)", i, rounds))
            eng_runs.append(run_step("engine_subset", ws, data, months))
            say(_round("pandas baseline", i, rounds))
            pd_runs.append(run_step("pandas", ws, data, months))
        n, bad = compare(eng_runs[0].facts["values"], pd_runs[0].facts["values"])
        eng_s, pd_s = _median(eng_runs), _median(pd_runs)
        report["pandas"] = {
            "engine_seconds": round(eng_s, 3),
            "pandas_seconds": round(pd_s, 3),
            "speedup": round(pd_s / eng_s, 2) if eng_s else None,
            "engine_peak_rss_mb": round(max(r.peak_rss_mb for r in eng_runs), 1),
            "pandas_peak_rss_mb": round(max(r.peak_rss_mb for r in pd_runs), 1),
            "values_compared": n,
            "mismatches": bad[:20],
            "rounds": rounds,
            "engine_runs_seconds": [round(r.seconds, 3) for r in eng_runs],
            "pandas_runs_seconds": [round(r.seconds, 3) for r in pd_runs],
        }
        e3_runs: list[StepResult] = []
        sq_runs: list[StepResult] = []
        sf_runs: list[StepResult] = []
        for i in range(rounds):
            say(_round("hand-written SQL", i, rounds))
            e3_runs.append(run_step("engine_sql3", ws, data, months))
            sq_runs.append(run_step("sql", ws, data, months))
            sf = run_step("sql_facts", ws, data, months)
            if not sf.facts.get("skipped"):
                sf_runs.append(sf)
        report["sql"] = _against_sql(e3_runs, sq_runs)
        if sf_runs:  # the same SQL over message_facts: the fair reference once the workspace stores it
            report["sql_facts"] = _against_sql(e3_runs, sf_runs)
    return report


def _against_sql(engine: list[StepResult], sql: list[StepResult]) -> dict[str, Any]:
    """The engine's three reference metrics against a hand-written SQL reference: medians, ratio, values compared."""
    n, bad = compare(engine[0].facts["values"], sql[0].facts["values"])
    e_s, s_s = _median(engine), _median(sql)
    return {
        "engine_seconds": round(e_s, 3),
        "sql_seconds": round(s_s, 3),
        "ratio": round(e_s / s_s, 2) if s_s else None,
        "values_compared": n,
        "mismatches": bad[:20],
        "rounds": len(sql),
        "engine_runs_seconds": [round(r.seconds, 3) for r in engine],
        "sql_runs_seconds": [round(r.seconds, 3) for r in sql],
    }


def _median(runs: list[StepResult]) -> float:
    return float(statistics.median(r.seconds for r in runs))


def _round(label: str, i: int, rounds: int) -> str:
    return label if rounds == 1 else f"{label} ({i + 1}/{rounds})"


def _export_labels(ws: Path) -> None:
    from qunkpi.workspace import Workspace

    w = Workspace.open(ws, read_only=True)
    w.con.execute(f"COPY (SELECT message_id, cls, is_effective, is_ugc FROM message_labels) TO '{ws / 'bench-labels.parquet'}' (FORMAT parquet)")
    w.close()


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"### `qunkpi bench --scale {report['scale']}` — {report['machine']}",
        "",
        f"Load average at the end: {report.get('load_average')}",
        "",
        "| step | seconds | CPU seconds | peak RSS (MiB) |",
        "|---|---:|---:|---:|",
    ]
    for k, v in report["steps"].items():
        lines.append(f"| {k} | {v['seconds']:.2f} | {v.get('cpu_seconds', 0):.1f} | {v['peak_rss_mb']:.0f} |")
    lines.append(f"| **end to end** | **{report['end_to_end_seconds']:.2f}** | | |")
    if "pandas" in report:
        p = report["pandas"]
        lines += ["", f"Metric step vs the pandas baseline ({len(report['months'])} monthly periods, 18 metrics){_rounds(p)}: qunkpi "
                  f"{p['engine_seconds']:.2f} s ({p['engine_peak_rss_mb']:.0f} MiB) vs pandas {p['pandas_seconds']:.2f} s "
                  f"({p['pandas_peak_rss_mb']:.0f} MiB) → **{p['speedup']}×**; {p['values_compared']} values compared, "
                  f"{len(p['mismatches'])} mismatches.{_runs(p, 'pandas_runs_seconds')}"]
    refs = (
        ("sql", "engaged_rate + silent_ratio + response_30m_rate vs hand-written DuckDB SQL"),
        ("sql_facts", "The same three metrics vs the hand-written SQL over `message_facts` (the stored countable "
                      "messages the engine reads)"),
    )
    for key, what in refs:
        if key in report:
            s = report[key]
            lines += ["", f"{what}{_rounds(s)}: qunkpi {s['engine_seconds']:.2f} s vs SQL {s['sql_seconds']:.2f} s → ratio "
                      f"**{s['ratio']}** (target ≤ 1.5); {s['values_compared']} values compared, {len(s['mismatches'])} "
                      f"mismatches.{_runs(s, 'sql_runs_seconds')}"]
    return "\n".join(lines)


def _rounds(r: dict[str, Any]) -> str:
    n = int(r.get("rounds", 1))
    return f", median of {n} alternating rounds" if n > 1 else ""


def _runs(r: dict[str, Any], other: str) -> str:
    if int(r.get("rounds", 1)) <= 1:
        return ""
    eng = ", ".join(f"{x:.2f}" for x in r["engine_runs_seconds"])
    base = ", ".join(f"{x:.2f}" for x in r[other])
    return f" Runs: qunkpi {eng} s; baseline {base} s."


__all__ = ["StepResult", "compare", "markdown", "run_bench", "tr"]
