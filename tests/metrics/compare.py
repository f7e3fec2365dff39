"""Comparing two metric runs value by value (relative 1e-9; nulls equal)."""

from __future__ import annotations

import pandas as pd


def value_diffs(a: pd.Series, b: pd.Series) -> dict[object, tuple[object, object]]:
    """The keys whose values differ between two runs indexed alike (a null, None or NaN, equals only a null)."""
    assert a.index.equals(b.index)
    return {
        k: (x, y)
        for k, x, y in zip(a.index, a, b, strict=True)
        if not (
            (pd.isna(x) and pd.isna(y)) or (not pd.isna(x) and not pd.isna(y) and abs(x - y) <= 1e-9 * max(1.0, abs(y)))
        )
    }
