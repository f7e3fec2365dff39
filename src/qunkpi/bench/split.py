"""Split a canonical data folder at a day: what the incremental-refresh benchmark and tests import last."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq


def split_day(data: Path, out: Path, day: str) -> tuple[Path, Path, int]:
    """``out/history`` = the data set without the messages of ``day`` (YYYY-MM-DD) and later; ``out/day`` = those
    messages. Returns (history, day, how many messages were split off)."""
    hist, one = out / "history", out / "day"
    shutil.copytree(data, hist)
    one.mkdir()
    t = pq.read_table(data / "messages.parquet")
    cut = pc.greater_equal(t["sent_at"], pc.strptime(day, format="%Y-%m-%d", unit="us"))
    pq.write_table(t.filter(pc.invert(cut)), hist / "messages.parquet")
    tail = t.filter(cut)
    pq.write_table(tail, one / "messages.parquet")
    return hist, one, tail.num_rows
