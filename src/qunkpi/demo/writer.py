"""Writing the canonical files: UTF-8 CSV for the small tables, Parquet for messages."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from qunkpi.demo.common import fmt_day, fmt_ts
from qunkpi.workspace.schema import TABLES, ColType


def _fmt_column(values: Sequence[object], type_: ColType) -> list[str]:
    if type_ in (ColType.TS, ColType.DATE):
        nn = [i for i, v in enumerate(values) if v is not None]
        out = [""] * len(values)
        if nn:
            raw = np.asarray([values[i] for i in nn], dtype=np.int64)
            formatted = fmt_ts(raw) if type_ is ColType.TS else fmt_day(raw)
            for i, s in zip(nn, formatted, strict=True):
                out[i] = s
        return out
    if type_ is ColType.BOOL:
        return ["" if v is None else "true" if v else "false" for v in values]
    if type_ is ColType.DECIMAL:
        return ["" if v is None else f"{float(v):.2f}" for v in values]  # type: ignore[arg-type]
    if type_ is ColType.FLOAT:
        return ["" if v is None else f"{float(v):.4g}" for v in values]  # type: ignore[arg-type]
    if type_ is ColType.INT:
        return ["" if v is None else str(int(v)) for v in values]  # type: ignore[call-overload]
    return ["" if v is None or v == "" else str(v) for v in values]


def write_csv(path: Path, table: str, rows: dict[str, list[object]]) -> int:
    """Write one table; rows holds the schema's columns (in any order) plus optional extras."""
    spec = TABLES[table]
    names = spec.column_names
    missing = [c for c in names if c not in rows]
    if missing:
        raise ValueError(f"{table}: missing columns {missing}")
    extras = [c for c in rows if c not in names]
    cols = names + extras
    n = len(rows[names[0]])
    for c in cols:
        if len(rows[c]) != n:
            raise ValueError(f"{table}.{c}: {len(rows[c])} values, expected {n}")
    formatted = [_fmt_column(rows[c], spec.column(c).type if c in names else ColType.STR) for c in cols]
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        w.writerows(zip(*formatted, strict=True))
    return n
