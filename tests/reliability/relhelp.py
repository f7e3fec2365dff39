"""Shared helpers of the reliability tests: sizes (reduced in ``make test``, full in ``make reliability``),
the generated-case counter, a hang guard, and snapshots of a workspace's stored rows."""

from __future__ import annotations

import contextlib
import os
import signal
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings

FULL = os.environ.get("QUNKPI_RELIABILITY", "").lower() in ("1", "full", "yes")
CASES: Counter[str] = Counter()
REPO = Path(__file__).resolve().parents[2]
PY = str(REPO / ".venv" / "bin" / "python") if (REPO / ".venv" / "bin" / "python").exists() else "python3"

#: Tables whose rows an import may change (canonical tables + bookkeeping).
STORED = (
    "communities", "members", "messages", "activities", "activity_participants", "orders", "costs", "surveys",
    "leads", "reach", "posts", "account_daily", "staff", "staff_logs", "reviews", "import_log", "recall_audit",
    "service_messages",
)


def size(small: int, full: int) -> int:
    return full if FULL else small


def fuzz_settings(small: int, full: int, **kw: Any) -> settings:
    """Hypothesis settings: a bounded number of examples, no per-example deadline (the machine is shared; the
    hang guard below catches real hangs), no shrinking of the database between runs."""
    return settings(
        max_examples=size(small, full),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large,
                               HealthCheck.filter_too_much],
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
