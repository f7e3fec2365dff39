"""Period labels and grains.

A period is the half-open local-time interval [start, end) (SPEC §3). Labels:

- ``2026-10`` month, ``2026-W43`` ISO week, ``2026-Q4`` quarter, ``2026-10-05`` day, ``2026`` year,
- ``2026-10-01..2026-10-15`` a custom range, both ends inclusive as days (end = 2026-10-16 00:00).

Datetimes are naive and mean wall-clock time in the workspace time zone. Labels name years 0002–9998, so that
every period has a previous and a next one within Python's calendar (years 1–9999).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from qunkpi.errors import PeriodError
from qunkpi.i18n import tr

GRAINS = ("day", "week", "month", "quarter", "year")

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_DAY = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
FIRST_YEAR, LAST_YEAR = 2, 9998


@dataclass(frozen=True, order=True)
class Period:
    start: datetime
    end: datetime
    label: str
    grain: str  # day|week|month|quarter|year|range

    @property
    def days(self) -> float:
        return (self.end - self.start).total_seconds() / 86400.0

    def previous(self) -> Period:
        """The period of the same grain just before this one (same length for ranges)."""
        if self.grain == "range":
            length = self.end - self.start
            s = self.start - length
            return range_period(s.date(), (self.start - timedelta(days=1)).date())
        return period_of(self.grain, self.start - timedelta(days=1))

    def next(self) -> Period:
        if self.grain == "range":
            length = self.end - self.start
            return range_period(self.end.date(), (self.end + length - timedelta(days=1)).date())
        return period_of(self.grain, self.end)

    def split(self, grain: str) -> list[Period]:
        """The grain buckets overlapping this period, clipped to it (a clipped bucket is labelled as a range)."""
        if grain not in GRAINS:
            raise PeriodError(tr(f"未知粒度 {grain}", f"unknown grain {grain}") + f" ({', '.join(GRAINS)})")
        out: list[Period] = []
        cur = period_of(grain, self.start)
        while cur.start < self.end:
            s, e = max(cur.start, self.start), min(cur.end, self.end)
            if (s, e) == (cur.start, cur.end):
                out.append(cur)
            else:
                out.append(range_period(s.date(), (e - timedelta(days=1)).date()))
            cur = period_of(grain, cur.end)
        return out


def _mk(y: int, m: int, d: int) -> datetime:
    try:
        return datetime(y, m, d)
    except ValueError as e:
        raise PeriodError(str(e)) from e


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def month_period(y: int, m: int) -> Period:
    if not 1 <= m <= 12:
        raise PeriodError(tr(f"月份应为 1–12：{m}", f"month must be 1–12: {m}"))
    ny, nm = _add_months(y, m, 1)
    return Period(_mk(y, m, 1), _mk(ny, nm, 1), f"{y:04d}-{m:02d}", "month")


def week_period(y: int, w: int) -> Period:
    try:
        start = datetime.combine(date.fromisocalendar(y, w, 1), datetime.min.time())
    except ValueError as e:
        raise PeriodError(tr(f"{y} 年没有第 {w} 周", f"{y} has no ISO week {w}")) from e
    return Period(start, start + timedelta(days=7), f"{y:04d}-W{w:02d}", "week")


def quarter_period(y: int, q: int) -> Period:
    m = 3 * (q - 1) + 1
    ny, nm = _add_months(y, m, 3)
    return Period(_mk(y, m, 1), _mk(ny, nm, 1), f"{y:04d}-Q{q}", "quarter")


def day_period(d: date) -> Period:
    s = datetime(d.year, d.month, d.day)
    return Period(s, s + timedelta(days=1), d.isoformat(), "day")


def year_period(y: int) -> Period:
    return Period(_mk(y, 1, 1), _mk(y + 1, 1, 1), f"{y:04d}", "year")


def range_period(first: date, last: date) -> Period:
    if last < first:
        raise PeriodError(tr(f"区间结束早于开始：{first}..{last}", f"range ends before it starts: {first}..{last}"))
    s = datetime(first.year, first.month, first.day)
    return Period(s, datetime(last.year, last.month, last.day) + timedelta(days=1), f"{first.isoformat()}..{last.isoformat()}", "range")


def period_of(grain: str, t: datetime) -> Period:
    """The bucket of ``grain`` containing the instant ``t``."""
    if grain == "day":
        return day_period(t.date())
    if grain == "week":
        y, w, _ = t.isocalendar()
        return week_period(y, w)
    if grain == "month":
        return month_period(t.year, t.month)
    if grain == "quarter":
        return quarter_period(t.year, (t.month - 1) // 3 + 1)
    if grain == "year":
        return year_period(t.year)
    raise PeriodError(tr(f"未知粒度 {grain}", f"unknown grain {grain}"))


def _year(y: int) -> int:
    """``y`` if a label may name it (its periods' neighbours must exist too), else a PeriodError."""
    if not FIRST_YEAR <= y <= LAST_YEAR:
        raise PeriodError(
            tr(f"年份应在 {FIRST_YEAR:04d}–{LAST_YEAR} 之间：{y:04d}", f"the year must be {FIRST_YEAR:04d}–{LAST_YEAR}: {y:04d}")
        )
    return y


def _parse_day(text: str) -> date:
    m = _DAY.match(text.strip())
    if not m:
        raise PeriodError(tr(f"无法识别日期 {text!r}（应为 YYYY-MM-DD）", f"cannot read date {text!r} (expected YYYY-MM-DD)"))
    y, mo, d = (int(g) for g in m.groups())
    return _mk(_year(y), mo, d).date()


def parse_period(label: str) -> Period:
    """Parse a period label (see the module doc). Raises :class:`PeriodError` with a hint on bad input."""
    s = label.strip()
    if ".." in s:
        a, _, b = s.partition("..")
        return range_period(_parse_day(a), _parse_day(b))
    if m := _DAY.match(s):
        return day_period(_parse_day(s))
    if m := _MONTH.match(s):
        return month_period(_year(int(m.group(1))), int(m.group(2)))
    if m := _WEEK.match(s):
        return week_period(_year(int(m.group(1))), int(m.group(2)))
    if m := _QUARTER.match(s):
        return quarter_period(_year(int(m.group(1))), int(m.group(2)))
    if m := _YEAR.match(s):
        return year_period(_year(int(m.group(1))))
    raise PeriodError(
        tr(
            f"无法识别周期 {label!r}：可用 2026-10（月）、2026-W43（ISO 周）、2026-Q4（季度）、2026-10-05（日）、2026-10-01..2026-10-15（区间）",
            f"cannot read period {label!r}: use 2026-10 (month), 2026-W43 (ISO week), 2026-Q4 (quarter), 2026-10-05 (day) or 2026-10-01..2026-10-15 (range)",
        )
    )


def periods_for(label: str, grain: str | None = None) -> list[Period]:
    """The periods a command reports: the labelled period itself, or its buckets at ``grain``."""
    p = parse_period(label)
    return [p] if grain is None or grain == p.grain else p.split(grain)


def trailing(p: Period, n: int) -> list[Period]:
    """The ``n`` periods before ``p`` (oldest first)."""
    out: list[Period] = []
    cur = p
    for _ in range(n):
        cur = cur.previous()
        out.append(cur)
    return out[::-1]
