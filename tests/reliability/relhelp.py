"""Shared helpers of the reliability tests: sizes (reduced in ``make test``, full in ``make reliability``),
the generated-case counter, a hang guard, and snapshots of a workspace's stored rows."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

from qunkpi.workspace.schema import TABLE_ORDER

FULL = os.environ.get("QUNKPI_RELIABILITY", "").lower() in ("1", "full", "yes")
CASES: Counter[str] = Counter()

REPO = Path(__file__).resolve().parents[2]
PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else "python3"

#: Tables whose rows an import may change (canonical tables + bookkeeping).
STORED = (*TABLE_ORDER, "import_log", "recall_audit", "service_messages")


def size(small: int, full: int) -> int:
    return full if FULL else small


def fuzz_settings(small: int, full: int, **kw: Any) -> settings:
    """Hypothesis settings: a bounded number of examples, no per-example deadline (the machine is shared; the
    hang guard below catches real hangs), no shrinking of the database between runs."""
    return settings(
        max_examples=size(small, full),
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.function_scoped_fixture,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
        **kw,
    )


def count(name: str) -> None:
    CASES[name] += 1


class Hang(AssertionError):
    pass


@contextlib.contextmanager
def no_hang(seconds: int = 60) -> Iterator[None]:
    """Fail (instead of waiting forever) when the body runs longer than ``seconds``."""

    def fire(_sig: int, _frame: Any) -> None:
        raise Hang(f"still running after {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, fire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def snapshot(con: Any) -> dict[str, int]:
    """Row counts of every stored table plus a content checksum, so that any write shows."""
    out: dict[str, int] = {}
    for t in STORED:
        n, h = con.execute(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{t}" t').fetchall()[0]
        out[t] = int(n)
        out[t + "#hash"] = int(h) & 0xFFFFFFFFFFFF
    return out


# The child: run one import, optionally killing itself at an injected point.
CHILD_IMPORT = r"""
import os, signal, sys
from pathlib import Path
import qunkpi.importers.canonical as c
from qunkpi.workspace import Workspace

ws_path, data, point, target = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
current = {"table": None}
real_commit = c.Loader._commit

def commit(self, src, stg, rep, report):
    current["table"] = src.table
    real_commit(self, src, stg, rep, report)
    if point == "after_commit" and src.table == target:
        os.kill(os.getpid(), signal.SIGKILL)

class Clock(c.datetime):
    @classmethod
    def now(cls, tz=None):
        # called for the import-log row, after the table's rows were inserted and before COMMIT
        if point == "in_transaction" and current["table"] == target:
            os.kill(os.getpid(), signal.SIGKILL)
        if point == "pause_in_transaction" and current["table"] == target:
            print("PAUSED", flush=True)
            import time
            time.sleep(float(os.environ.get("QUNKPI_PAUSE_S", "8")))
        return super().now(tz)

c.Loader._commit = commit
c.datetime = Clock
print("READY", flush=True)
ws = Workspace.open(ws_path)
c.import_path(ws, Path(data))
ws.close()
print("IMPORT-DONE")
"""


CHILD_CLI = r"""
import sys
from qunkpi.cli.main import app
print("READY", flush=True)
app(sys.argv[1:])
"""


def start(args: list[str]) -> tuple[subprocess.Popen[str], float]:
    """Start a child and wait until its imports are done (it prints READY): kill delays count from there."""
    proc = subprocess.Popen(
        [PY, "-c", *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "READY", line
    return proc, time.monotonic()


def kill_after(args: list[str], delay: float) -> None:
    proc, _ = start(args)
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)


def run_to_end(args: list[str]) -> float:
    """Run a child to its end; returns the seconds of work after READY."""
    proc, t0 = start(args)
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out[-2000:]
    return time.monotonic() - t0
