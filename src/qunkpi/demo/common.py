"""Shared helpers for the demo generator: time arithmetic, ids, the text table."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

DAY = 86_400
HOUR = 3_600
MINUTE = 60
NEVER = np.int64(2**62)  # "no left_at" sentinel (far future)

I64 = npt.NDArray[np.int64]
I32 = npt.NDArray[np.int32]
F64 = npt.NDArray[np.float64]
BoolA = npt.NDArray[np.bool_]


def month_start(year: int, month: int) -> int:
    """Seconds since 1970-01-01 00:00 (naive local wall clock) of the first day of a month."""
    return int(np.datetime64(f"{year:04d}-{month:02d}-01", "s").astype(np.int64))


def add_months(year: int, month: int, k: int) -> tuple[int, int]:
    idx = year * 12 + (month - 1) + k
    return idx // 12, idx % 12 + 1


def month_label(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def parse_month(s: str) -> tuple[int, int]:
    y, m = s.split("-")
    year, month = int(y), int(m)
    if not 1 <= month <= 12:
        raise ValueError(f"bad month: {s!r} (expected YYYY-MM)")
    return year, month


def weekday(t: I64 | int) -> npt.NDArray[np.int64]:
    """Monday = 0 for seconds since the epoch (1970-01-01 was a Thursday)."""
    return (np.asarray(t, dtype=np.int64) // DAY + 3) % 7


def date_seconds(y: int, m: int, d: int) -> int:
    return int(np.datetime64(f"{y:04d}-{m:02d}-{d:02d}", "s").astype(np.int64))


def fmt_ts(t: Sequence[int] | I64) -> list[str]:
    arr = np.asarray(t, dtype=np.int64)
    s = np.datetime_as_string(arr.astype("datetime64[s]"), unit="s")
    return [x.replace("T", " ") for x in s.tolist()]


def fmt_day(days: Sequence[int] | I64) -> list[str]:
    """Format day numbers (days since the epoch) as YYYY-MM-DD."""
    arr = np.asarray(days, dtype=np.int64)
    return np.datetime_as_string(arr.astype("datetime64[D]"), unit="D").tolist()  # type: ignore[no-any-return]


def sample_hours(rng: np.random.Generator, profile: Sequence[float], n: int) -> I64:
    """Seconds into the day drawn from an hourly profile (uniform within the hour)."""
    p = np.asarray(profile, dtype=np.float64)
    p = p / p.sum()
    hours = rng.choice(24, size=n, p=p)
    return (hours * HOUR + rng.integers(0, HOUR, n)).astype(np.int64)


def weighted_pick(rng: np.random.Generator, weights: F64, n: int) -> npt.NDArray[np.intp]:
    """n indices drawn with replacement proportional to weights (weights may contain zeros)."""
    cw = np.cumsum(weights)
    if n == 0 or cw.size == 0 or cw[-1] <= 0:
        return np.zeros(0, dtype=np.intp)
    u = rng.random(n) * cw[-1]
    return np.minimum(np.searchsorted(cw, u, side="right"), cw.size - 1)


def weighted_sample_without_replacement(
    rng: np.random.Generator, weights: F64, k: int
) -> npt.NDArray[np.intp]:
    """k distinct indices, probability increasing with weight (Gumbel top-k); zero weights never drawn."""
    ok = np.flatnonzero(weights > 0)
    k = min(k, ok.size)
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    keys = np.log(weights[ok]) + rng.gumbel(size=ok.size)
    top = np.argpartition(-keys, k - 1)[:k]
    return np.sort(ok[top])


_ALNUM_BYTES = np.frombuffer(
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8
)


class IdFactory:
    """Unique, readable person ids in the styles of the platforms."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _batch(self, prefix: str, n: int, length: int, alphabet_size: int) -> list[str]:
        out: list[str] = []
        while len(out) < n:
            m = n - len(out)
            codes = _ALNUM_BYTES[self.rng.integers(0, alphabet_size, (m, length))]
            raw = codes.view(f"S{length}").ravel()
            for b in raw.tolist():
                s = prefix + b.decode()
                if s not in self.used:
                    self.used.add(s)
                    out.append(s)
        return out

    def wecom(self, n: int) -> list[str]:
        """WeCom external contacts: wm_ + 10 mixed-case alphanumerics."""
        return self._batch("wm_", n, 10, 62)

    def wechat(self, n: int) -> list[str]:
        """Personal WeChat ids: wxid_ + 12 lowercase alphanumerics."""
        return self._batch("wxid_", n, 12, 36)

    def customer(self, n: int) -> list[str]:
        """Shop customers that are in no community: cust_ + 8 digits."""
        return self._batch("cust_", n, 8, 10)

    def of_style(self, style: str, n: int) -> list[str]:
        return self.wechat(n) if style == "wechat" else self.wecom(n)


@dataclass
class TextBank:
    """One global table of message texts; messages refer to it by int32 index (-1 = null)."""

    strings: list[str] = field(default_factory=list)
    ranges: dict[str, tuple[int, int]] = field(default_factory=dict)
    topics: dict[str, npt.NDArray[np.int64]] = field(default_factory=dict)  # per-item topic ids of a bank
    _index: dict[str, int] = field(default_factory=dict)

    def add(self, key: str, items: Sequence[str]) -> None:
        if key in self.ranges:
            raise KeyError(f"text bank {key!r} already defined")
        if not items:
            raise ValueError(f"text bank {key!r} is empty")
        self.ranges[key] = (len(self.strings), len(items))
        self.strings.extend(items)

    def has(self, key: str) -> bool:
        return key in self.ranges

    def size(self, key: str) -> int:
        return self.ranges[key][1]

    def start(self, key: str) -> int:
        return self.ranges[key][0]

    def pick(self, rng: np.random.Generator, key: str, n: int) -> I32:
        start, size = self.ranges[key]
        return (start + rng.integers(0, size, n)).astype(np.int32)

    def intern(self, text: str) -> int:
        """Index of a single (dynamic) text, added once."""
        i = self._index.get(text)
        if i is None:
            i = len(self.strings)
            self.strings.append(text)
            self._index[text] = i
        return i
