"""Benchmark: incremental refresh (one more day) against a full recompute (issue 9).

    python bench/bench_incremental.py                          # bench/data/medium (run `qunkpi bench --scale medium` once)
    python bench/bench_incremental.py --data bench/data/small --day 2026-10-31

The messages of ``--day`` are split off the data set. Set-up (not timed): a workspace with everything else
imported and classified. Timed, in this process (wall and CPU seconds):

- incremental: import the day's messages, ``classify_workspace`` (incremental), ``refresh_facts`` (the
  engine's stored countable messages: the rows of the relabelled messages), the whole catalog for the day's month;
- overlap: the same day imported once more (what a daily export of "the last 7 days" does), classified and
  refreshed: only edited messages are relabelled;
- full recompute: a fresh workspace, import everything, ``classify_workspace(full=True)``, ``refresh_facts``
  (a build), the same month.

Prints one JSON object per step and a summary with the ratio. Correctness (the incremental result equals the
full recompute) is tested in tests/test_incremental.py, not here.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from qunkpi.bench.split import split_day  # noqa: E402
from qunkpi.classify.engine import classify_workspace  # noqa: E402
from qunkpi.engine.api import metrics_for_periods  # noqa: E402
from qunkpi.engine.facts import refresh_facts  # noqa: E402
from qunkpi.engine.periods import parse_period  # noqa: E402
from qunkpi.importers.canonical import import_path  # noqa: E402
from qunkpi.workspace import Workspace  # noqa: E402


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_steps(label: str, steps: list[tuple[str, Callable[[], Any]]]) -> dict[str, Any]:
    total_w = total_c = 0.0
    out: dict[str, Any] = {"path": label, "steps": {}}
    for name, fn in steps:
        w0, c0 = time.perf_counter(), _cpu()
        res = fn()
        w, c = time.perf_counter() - w0, _cpu() - c0
        total_w += w
        total_c += c
        step = {"wall": round(w, 2), "cpu": round(c, 2)}
        if isinstance(res, dict) and "classified" in res:
            step["classified"] = res["classified"]
        if isinstance(res, dict) and "action" in res:
            step["facts"] = f"{res['action']} ({res['rows']} rows)"
        out["steps"][name] = step
        print(json.dumps({"path": label, "step": name, **step}), flush=True)
    out["wall"], out["cpu"] = round(total_w, 2), round(total_c, 2)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=ROOT / "bench" / "data" / "medium")
    ap.add_argument("--day", default="2026-10-31", help="the day split off and imported last (YYYY-MM-DD)")
    ap.add_argument("--json", type=Path, help="write the results here")
    args = ap.parse_args()
    if not (args.data / "messages.parquet").exists():
        sys.exit(
            f"{args.data}/messages.parquet not found: run `qunkpi bench --scale medium` once (it generates the data)"
        )
    month = [parse_period(args.day[:7])]
    with tempfile.TemporaryDirectory(prefix="qk-inc-") as tmp:
        work = Path(tmp)
        hist, day, n_day = split_day(args.data, work / "split", args.day)
        inc = Workspace.init(work / "inc")
        import_path(inc, hist)  # set-up, not timed
        classify_workspace(inc, full=True)
        refresh_facts(inc)
        res_inc = run_steps(
            "incremental",
            [
                ("import the day", lambda: import_path(inc, day)),
                ("classify (incremental)", lambda: classify_workspace(inc)),
                ("refresh message_facts", lambda: refresh_facts(inc)),
                (f"metrics {month[0].label}", lambda: metrics_for_periods(inc, month)),
            ],
        )
        # an export that overlaps what is stored (a daily "last 7 days" export): the same day once more
        res_overlap = run_steps(
            "overlap",
            [
                ("import the same day again", lambda: import_path(inc, day)),
                ("classify (incremental)", lambda: classify_workspace(inc)),
                ("refresh message_facts", lambda: refresh_facts(inc)),
            ],
        )
        inc.close()
        full = Workspace.init(work / "full")
        res_full = run_steps(
            "full",
            [
                ("import everything", lambda: import_path(full, args.data)),
                ("classify (full)", lambda: classify_workspace(full, full=True)),
                ("build message_facts", lambda: refresh_facts(full)),
                (f"metrics {month[0].label}", lambda: metrics_for_periods(full, month)),
            ],
        )
        full.close()
    summary = {
        "day_messages": n_day,
        "incremental": res_inc,
        "overlap": res_overlap,
        "full": res_full,
        "ratio_wall": round(res_inc["wall"] / res_full["wall"], 3),
        "ratio_cpu": round(res_inc["cpu"] / res_full["cpu"], 3),
    }
    print(json.dumps({k: summary[k] for k in ("day_messages", "ratio_wall", "ratio_cpu")}))
    if args.json:
        args.json.write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
