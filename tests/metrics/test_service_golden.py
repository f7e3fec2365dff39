"""Service metrics on the hand-built fixture tests/fixtures/engagement, community e2 (售后服务群), October 2026.

Staff s2; members q1, q2, q3. Messages (R* are staff; "→ X" = reply_to X):
  Q1 10-10 10:00:00 q1 question      R1 10:30:00 s2 (replies to nothing)      → Q1 waits exactly 30:00
  Q2 10-10 11:00:00 q2 question      R2 11:05:00 s2 → Q1 (a different message: not Q2's response)
                                     R3 11:40:00 s2 → Q2                      → Q2 waits 40:00
  Q3 10-10 12:00:00 q3 question      A3 12:10:00 q1 answer → Q3 (a member's reply: resolves, is no response)
  Q4 10-11 08:00:00 q1 "谢谢！" class question, but only an exempt phrase → not a question
                                     R4 10-12 09:00:00 s2 (to nothing)        → Q3's first response, 45 h later
  Q5 10-12 20:50:00 q2 question      R5 10-13 09:10:00 s2 (to nothing)        → 12 h 20 min later (one night)
  Q6 10-14 15:00:00 q3 question      R7 10-14 16:00:00 s2 (to nothing)        → Q6 waits 1 h
  Q7 10-14 16:00:00 q1 question      R7 is at the very same instant: not "after" Q7; no staff message later.
                                     S7 16:05 q1 → Q7: the asker's own reply does not resolve
"""

from __future__ import annotations

import importlib.util
from datetime import datetime
from pathlib import Path
from types import ModuleType

import ibis
import pandas as pd
import pytest

from qunkpi.catalog.impl.service import normalise_phrase, parse_service_hours, service_clock
from qunkpi.errors import ConfigError
from qunkpi.workspace import Workspace

_LOAD = Path(__file__).parents[1] / "fixtures" / "engagement" / "load.py"
SERVICE = ["questions", "response_30m_rate", "first_response_median", "unreplied_rate", "resolution_rate"]


def _fixture() -> ModuleType:
    spec = importlib.util.spec_from_file_location("engagement_fixture_svc", _LOAD)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


efx = _fixture()


def vals(df: pd.DataFrame, community: str) -> dict[str, object]:
    sel = df[(df.community_id == community) & df.breakdown.isna()]
    return dict(zip(sel.metric, sel.value, strict=True))


@pytest.fixture
def sws(ws: Workspace) -> Workspace:
    return efx.load(ws)


def test_service_24h_clock_by_hand(sws: Workspace) -> None:
    v = vals(sws.metrics("2026-10", metrics=SERVICE), "e2")
    # Q1 Q2 Q3 Q5 Q6 Q7 (Q4 exempt)
    assert v["questions"] == 6
    # first waits: Q1 1800 (30:00 counts: ≤), Q2 2400 (R2 replies to Q1 and is skipped), Q3 162000 (45 h),
    # Q5 44400 (12 h 20 min), Q6 3600, Q7 none → within 30 min: Q1 only
    assert v["response_30m_rate"] == pytest.approx(1 / 6)
    # median of 1800, 2400, 3600, 44400, 162000 (Q7 has none) = 3600
    assert v["first_response_median"] == 3600
    # no first response within 24 h: Q3 (45 h), Q7 (none)
    assert v["unreplied_rate"] == pytest.approx(2 / 6)
    # replied within 24 h: Q1, Q2, Q3 (A3 after 10 min), Q5, Q6; Q7's only reply is the asker's own
    assert v["resolution_rate"] == pytest.approx(5 / 6)


def test_service_hours_stop_the_clock_overnight(sws: Workspace) -> None:
    sws.settings.service.hours = "09:00-21:00"
    v = vals(sws.metrics("2026-10", metrics=SERVICE), "e2")
    # Q5 20:50 → R5 09:10 next day: 10 min before 21:00 + 10 min after 09:00 = 1200 s (≤ 30 min)
    # Q3 10-10 12:00 → R4 10-12 09:00: 9 h (10-10) + 12 h (10-11) + 0 = 75600 s ≤ 24 h → no longer unreplied
    assert v["questions"] == 6
    assert v["response_30m_rate"] == pytest.approx(2 / 6)  # Q1 (1800), Q5 (1200)
    # waits 1200, 1800, 2400, 3600, 75600 → median 2400
    assert v["first_response_median"] == 2400
    assert v["unreplied_rate"] == pytest.approx(1 / 6)  # Q7 only
    assert v["resolution_rate"] == pytest.approx(5 / 6)


def test_exempt_phrases_are_configurable(sws: Workspace) -> None:
    sws.settings.service.exempt_phrases = []
    v = vals(sws.metrics("2026-10", metrics=SERVICE), "e2")
    # Q4 "谢谢！" now counts: its first response is R4, 25 h later (> 24 h) → unreplied and unresolved
    assert v["questions"] == 7
    assert v["unreplied_rate"] == pytest.approx(3 / 7)
    assert v["resolution_rate"] == pytest.approx(5 / 7)


def test_first_response_one_second_late(sws: Workspace) -> None:
    efx.insert_rows(sws, "communities", pd.DataFrame([{
        "community_id": "v1", "name": "v", "platform": "wecom_group", "created_at": "2026-01-01 00:00:00",
        "archive_consent": "true"}]))
    efx.insert_rows(sws, "members", pd.DataFrame([{
        "community_id": "v1", "member_id": "s8", "joined_at": "2026-01-01 00:00:00", "is_staff": "true", "role": "staff"}]))
    efx.load_messages(sws, [
        ("vq", "v1", "u1", "2026-10-03 10:00:00", "text", "question"),
        ("vr", "v1", "s8", "2026-10-03 10:30:01", "text", "staff"),  # 30:01 → not within 30 minutes
    ])
    v = vals(sws.metrics("2026-10", communities=["v1"], metrics=SERVICE), "v1")
    assert v["questions"] == 1
    assert v["response_30m_rate"] == 0
    assert v["first_response_median"] == 1801
    assert v["unreplied_rate"] == 0 and v["resolution_rate"] == 1


def test_e1_questions(sws: Workspace) -> None:
    v = vals(sws.metrics("2026-10", metrics=SERVICE), "e1")
    # e02 09:00 → e03 09:20 (1200 s); e11 19:00 → e12 20:00 (3600 s; m1's answer e13 at 20:05 also replies)
    assert v["questions"] == 2
    assert v["response_30m_rate"] == pytest.approx(1 / 2)
    assert v["first_response_median"] == pytest.approx((1200 + 3600) / 2)  # even count: mean of the middle two
    assert v["unreplied_rate"] == 0 and v["resolution_rate"] == 1


def test_empty_period_and_empty_community(sws: Workspace) -> None:
    for comm, period in (("e2", "2026-12"), ("e3", "2026-10")):
        v = vals(sws.metrics(period, metrics=SERVICE), comm)
        assert v["questions"] == 0
        for mid in SERVICE[1:]:
            assert v[mid] is None, (comm, period, mid)


def test_parse_service_hours() -> None:
    assert parse_service_hours(None) is None and parse_service_hours("  ") is None
    assert parse_service_hours("09:00-21:00") == [(9 * 3600, 21 * 3600)]
    # crossing midnight splits into the evening and the morning part
    assert parse_service_hours("21:00-09:00") == [(0, 9 * 3600), (21 * 3600, 86400)]
    assert parse_service_hours("09:00-12:00, 13:30-21:00") == [(32400, 43200), (48600, 75600)]
    assert parse_service_hours("00:00-24:00") == [(0, 86400)]
    for bad in ("9-21", "09:00-09:00", "25:00-26:00", "09:00-12:00,11:00-13:00"):
        with pytest.raises(ConfigError):
            parse_service_hours(bad)


@pytest.mark.parametrize(
    ("hours", "t1", "t2", "expected"),
    [
        (None, "2026-10-12 20:50:00", "2026-10-13 09:10:00", 12 * 3600 + 20 * 60),
        ("09:00-21:00", "2026-10-12 20:50:00", "2026-10-13 09:10:00", 20 * 60),
        # asked at night: the clock starts at 09:00
        ("09:00-21:00", "2026-10-12 23:00:00", "2026-10-13 09:30:00", 30 * 60),
        # two nights: 10 min + 12 h + 10 min
        ("09:00-21:00", "2026-10-12 20:50:00", "2026-10-14 09:10:00", 20 * 60 + 12 * 3600),
        # a night shift "21:00-09:00": 20:50 → 09:10 runs from 21:00 to 09:00 = 12 h
        ("21:00-09:00", "2026-10-12 20:50:00", "2026-10-13 09:10:00", 12 * 3600),
        ("09:00-12:00,13:00-18:00", "2026-10-12 11:50:00", "2026-10-12 13:10:00", 20 * 60),
    ],
)
def test_service_clock_across_nights(hours: str | None, t1: str, t2: str, expected: int) -> None:
    w = parse_service_hours(hours)
    a, b = ibis.literal(datetime.fromisoformat(t1)), ibis.literal(datetime.fromisoformat(t2))
    con = ibis.duckdb.connect()
    assert con.execute(service_clock(b, w) - service_clock(a, w)) == expected
    con.disconnect()


def test_normalise_phrase() -> None:
    assert normalise_phrase(" 谢谢！🙏 ") == "谢谢"
    assert normalise_phrase("OK~") == "ok"


def test_questions_still_open_at_the_horizon_are_pending(sws: Workspace) -> None:
    # the workspace's data ends at 11-05 00:00 (m7 joins); a question at 11-04 18:00 with no response yet:
    efx.load_messages(sws, [("late", "e2", "q3", "2026-11-04 18:00:00", "text", "question")])
    v = vals(sws.metrics("2026-11", metrics=SERVICE), "e2")
    # as of 11-05 00:00 it has waited 6 h: its 30-minute limit has run out (not within 30 min), its 24 h have not
    # → pending for unreplied_rate and resolution_rate (no denominator left → n/a)
    assert v["questions"] == 1
    assert v["response_30m_rate"] == 0
    assert v["unreplied_rate"] is None and v["resolution_rate"] is None
    # a day later the 24 h are up: unreplied
    v = vals(sws.metrics("2026-11", metrics=SERVICE, as_of=datetime(2026, 11, 6)), "e2")
    assert v["unreplied_rate"] == 1 and v["resolution_rate"] == 0
