"""Growth and health metrics on the hand-built tiny community (tests/fixtures/tiny), October 2026.

Membership spells of c1 (non-staff; staff1 has a staff spell, staff2 is in the staff table → staff everywhere):
  m1 09-01 →            poster,   profile 3/5
  m2 09-10 → 10-05      official_account
  m3 10-02 10:00 →      referral (inviter m1, a member), profile 5/5
  m4 10-03 → 10-20, and again 10-25 → (rejoin)   poster, profiles 1/5 then 4/5
  m5 09-20 → 10-31 23:59:59   referral (inviter staff1: staff, not a member referral)
  m6 2026-10-31T16:30Z = 11-01 00:30 Shanghai → joins in November, not October (midnight boundary)
  m7 08-01 →            poster, kol, profile 5/5, only a recalled and a system message
  m8 10-28 →            blank channel (unknown), inviter m3 (a member), profile blank
  m9 10-05 → 10-15      poster, profile 2/5
"""

from __future__ import annotations

import pytest
from tests.conftest import values

from qunkpi.workspace import Workspace


def test_growth_metrics_by_hand(tiny_ws: Workspace) -> None:
    df = tiny_ws.metrics("2026-10")
    v = values(df, "c1")
    # present at 10-01 00:00: m1, m2, m5, m7 (staff1/staff2 never count)
    assert v["members_start"] == 4
    # present at 11-01 00:00: m1, m3, m4 (2nd spell), m7, m8; m5 left 23:59:59, m6 joins 00:30
    assert v["members_end"] == 5
    # spells joined in October: m3, m4, m4 again, m8, m9 (staff2's spell is excluded)
    assert v["joins"] == 5
    # spells left in October: m2, m4 (10-20), m5 (10-31 23:59:59), m9
    assert v["leaves"] == 4
    assert v["net_growth_rate"] == pytest.approx((5 - 4) / 4)  # 0.25
    assert v["churn_rate"] == pytest.approx(4 / 4)
    # referral_share: m3 (inviter m1) and m8 (inviter m3) of 5 joins
    assert v["referral_share"] == pytest.approx(2 / 5)
    # profile at period end: m1 3/5, m3 5/5, m4 4/5, m7 5/5 (m8 blank, left out) = 17/20
    assert v["profile_completeness"] == pytest.approx(17 / 20)
    # silent(14): present at end with tenure ≥ 14 d: m1, m3, m7; m1 spoke 10-20, m3 joined activity a1 on 10-25,
    # m7's recalled and system messages do not count → 1 of 3
    assert v["silent_ratio"] == pytest.approx(1 / 3)
    # retention_d30, as of the data horizon 11-20 12:00 (msg5): eligible first joins ≤ 10-21: m3, m4, m9;
    # m3 present on 11-01 10:00, m4 present on 11-02 via the rejoin, m9 left → 2 of 3
    assert v["retention_d30"] == pytest.approx(2 / 3)


def test_source_share_breakdown(tiny_ws: Workspace) -> None:
    df = tiny_ws.metrics("2026-10", metrics=["source_share"])
    got = {r.breakdown: r.value for r in df[df.community_id == "c1"].itertuples()}
    # poster: m4, m4 again, m9; referral: m3; unknown: m8 — of 5 joins
    assert got == pytest.approx({"poster": 3 / 5, "referral": 1 / 5, "unknown": 1 / 5})


def test_zero_denominators_are_null_not_zero(tiny_ws: Workspace) -> None:
    df = tiny_ws.metrics("2026-10")
    v = values(df, "c2")  # only a staff member: no members at all
    assert v["members_start"] == 0 and v["joins"] == 0
    for mid in ("net_growth_rate", "churn_rate", "silent_ratio", "retention_d30", "profile_completeness", "referral_share"):
        assert v[mid] is None, mid


def test_missing_tables_are_unavailable_not_zero(tiny_ws: Workspace) -> None:
    df = tiny_ws.metrics("2026-10", metrics=["join_rate"])
    assert df.value.isna().all()
    assert df.reason.str.startswith("missing tables: reach").all()


def test_november_counts_the_midnight_join(tiny_ws: Workspace) -> None:
    v = values(tiny_ws.metrics("2026-11"), "c1")
    # m6 joined 2026-10-31T16:30Z = 11-01 00:30 in Asia/Shanghai
    assert v["joins"] == 1
    assert v["members_start"] == 5
