"""Period labels and grains (property-based where inputs vary)."""

from __future__ import annotations

import contextlib
import itertools
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qunkpi.engine.periods import parse_period, period_of
from qunkpi.errors import PeriodError

dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 31))


def test_examples() -> None:
    assert parse_period("2026-10").start == datetime(2026, 10, 1)
    assert parse_period("2026-10").end == datetime(2026, 11, 1)
    w = parse_period("2026-W01")  # ISO week 1 of 2026 starts on Monday 2025-12-29
    assert (w.start, w.end) == (datetime(2025, 12, 29), datetime(2026, 1, 5))
    assert parse_period("2026-Q4").end == datetime(2027, 1, 1)
    assert parse_period("2026-10-01..2026-10-15").end == datetime(2026, 10, 16)
    assert parse_period("2026-10-05").days == 1


@pytest.mark.parametrize("bad", ["2026-13", "2026-W54", "2026-Q5", "2026-10-15..2026-10-01", "october", "2026-02-30"])
def test_bad_labels(bad: str) -> None:
    with pytest.raises(PeriodError):
        parse_period(bad)


@given(dates, st.sampled_from(["day", "week", "month", "quarter", "year"]))
def test_bucket_contains_instant_and_label_round_trips(d: date, grain: str) -> None:
    t = datetime(d.year, d.month, d.day, 13, 30)
    p = period_of(grain, t)
    assert p.start <= t < p.end
    assert parse_period(p.label) == p
    assert p.next().start == p.end and p.previous().end == p.start


@given(dates, st.integers(min_value=0, max_value=120), st.sampled_from(["day", "week", "month"]))
def test_split_partitions_a_range(d: date, n: int, grain: str) -> None:
    r = parse_period(f"{d.isoformat()}..{(d + timedelta(days=n)).isoformat()}")
    parts = r.split(grain)
    assert parts[0].start == r.start and parts[-1].end == r.end
    assert all(a.end == b.start for a, b in itertools.pairwise(parts))
    assert sum(p.days for p in parts) == pytest.approx(r.days)


@given(st.text(max_size=30))
def test_parser_never_crashes(s: str) -> None:
    with contextlib.suppress(PeriodError):
        parse_period(s)


@pytest.mark.parametrize("label", ["9999W51", "9999-12", "9999-Q4", "9999", "9999-12-31", "0001-01-01", "0001-W01", "2026-10-01..9999-12-31"])
def test_labels_at_the_calendar_edges_are_refused_clearly(label: str) -> None:
    """A period whose next or previous one Python cannot represent (years 1 and 9999) is refused with a PeriodError,
    not an OverflowError (found by the fuzz test: 9999-W51's next week ends in year 10000)."""
    with pytest.raises(PeriodError, match="0002"):
        parse_period(label)


def test_the_last_year_allowed_has_neighbours() -> None:
    p = parse_period("9998-W52")
    assert p.next().start == p.end and p.previous().end == p.start
    assert parse_period("0002-01-01").previous().end == parse_period("0002-01-01").start
