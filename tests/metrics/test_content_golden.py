"""Content-account metrics on the hand-built accounts (tests/fixtures/value/content), worked out by hand.

Accounts (level `account`: community_id holds the account_id):
  mp_brand  articles P1 10-05 (orig, industry, 1000 delivered, 50 read, 20 from shares, 6 shares, 3 favs, 65% read)
                     P2 10-12 (news, 2000 / 40 / 4 / 1 / 0)   P3 10-20 (orig, industry, 0 delivered, 0 read)
                     P4 09-30 23:30 (September)               P5 10-28 (industry, 1000 / 30 / 3 / 2 / 1, 70% read)
  ch_video  V1 video 10-03 (orig, tutorial, 300 read, 30 shares, 15 favs, 45% watched)
            V2 live  10-15 (orig, live_sale, 200 read, 10 shares, 5 favs, 400 product impressions, 80 clicks)
            V3 video 10-25 (no category, 100 read, 2 shares, 75% watched)
  mp_quiet  only account_daily: 10-05 0 new, 3 unfollows
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pyarrow as pa
import pytest
from tests.conftest import FIXTURES, values

from qunkpi.workspace import Workspace

CONTENT = FIXTURES / "value" / "content"


@pytest.fixture
def content_ws(ws: Workspace) -> Workspace:
    from qunkpi.importers.canonical import import_path

    import_path(ws, CONTENT)
    return ws


def _bd(df, metric: str, account: str) -> dict[str, object]:  # type: ignore[no-untyped-def]
    sel = df[(df.metric == metric) & (df.community_id == account)]
    return dict(zip(sel.breakdown, sel.value, strict=True))


def test_per_post_metrics(content_ws: Workspace) -> None:
    df = content_ws.metrics("2026-10")
    # read / delivered: P1 50/1000, P2 40/2000, P3 0/0 → n/a, P5 30/1000; P4 is September; videos have no delivered
    assert _bd(df, "open_rate", "mp_brand") == pytest.approx({"P1": 0.05, "P2": 0.02, "P3": None, "P5": 0.03})
    assert _bd(df, "open_rate", "ch_video") == {}
    assert _bd(df, "share_rate", "mp_brand") == pytest.approx({"P1": 6 / 50, "P2": 1 / 40, "P3": None, "P5": 2 / 30})
    assert _bd(df, "share_rate", "ch_video") == pytest.approx({"V1": 30 / 300, "V2": 10 / 200, "V3": 2 / 100})
    assert _bd(df, "favorite_rate", "ch_video") == pytest.approx({"V1": 15 / 300, "V2": 5 / 200})  # V3 blank → no row
    assert _bd(df, "secondary_share", "mp_brand") == pytest.approx({"P1": 20 / 50, "P2": 4 / 40, "P3": None, "P5": 3 / 30})
    assert _bd(df, "completion_rate", "mp_brand") == pytest.approx({"P1": 0.65, "P5": 0.70})
    assert _bd(df, "completion_rate", "ch_video") == pytest.approx({"V1": 0.45, "V3": 0.75})
    assert _bd(df, "product_ctr", "ch_video") == pytest.approx({"V2": 80 / 400})


def test_account_metrics(content_ws: Workspace) -> None:
    df = content_ws.metrics("2026-10")
    assert _bd(df, "posts", "mp_brand") == {"article": 4, "__total__": 4}  # P1 P2 P3 P5
    assert _bd(df, "posts", "ch_video") == {"video": 2, "live": 1, "__total__": 3}
    assert _bd(df, "category_share", "mp_brand") == pytest.approx({"industry": 3 / 4, "news": 1 / 4})
    assert _bd(df, "category_share", "ch_video") == pytest.approx({"tutorial": 1 / 3, "live_sale": 1 / 3, "unknown": 1 / 3})
    # follower sources (rows with a source only): search 20; article 30 + 15; scan 25 → of 90
    assert _bd(df, "follower_source_share", "mp_brand") == pytest.approx({"search": 20 / 90, "article": 45 / 90, "scan": 25 / 90})
    mp = values(df, "mp_brand")
    assert mp["original_rate"] == pytest.approx(2 / 4)  # P1, P3
    # 10-01 total row 50 − 10; 10-02 only source rows (20 + 30) − (5 + 0); 10-03 total row 40 − 10 wins over its
    # source rows; 09-30 is September → 40 + 45 + 30
    assert mp["net_new_followers"] == 115
    assert mp["open_rate_median"] == pytest.approx(0.03)  # median of 0.05, 0.02, 0.03 (P3 has 0 delivered)
    ch = values(df, "ch_video")
    assert ch["original_rate"] == pytest.approx(2 / 3)
    assert ch["net_new_followers"] == 12 - 2
    assert ch["open_rate_median"] is None
    quiet = values(df, "mp_quiet")  # in the grid through account_daily alone
    assert quiet["net_new_followers"] == -3
    assert quiet["original_rate"] is None and quiet["quota_points"] is None


def test_quota_points_october(content_ws: Workspace) -> None:
    v = values(content_ws.metrics("2026-10"), "ch_video")
    # as-of = latest data 10-28 09:00. ISO weeks with their Thursday in October: W40 (09-28..10-04), W41, W42, W43,
    # W44 (10-26..11-01, Monday ≤ as-of). ch_video publishes videos only (the live does not count):
    # W40 1 video → ⌊8 × 1/3⌋ = 2, W43 1 video → 2, the rest 0 → 4 / 5
    assert v["quota_points"] == pytest.approx(0.8)
    # mp_brand: one article in each of W40 (P4, 09-30, counts in October's week 40), W41, W42, W43, W44 → ⌊8/5⌋ = 1
    assert values(content_ws.metrics("2026-10"), "mp_brand")["quota_points"] == pytest.approx(1.0)


def _quota_posts() -> pa.Table:
    """Articles of mp_q per ISO week around the 2025/2026 boundary (2026-W01 runs 2025-12-29 .. 2026-01-04)."""
    plan = [
        (datetime(2025, 12, 1), 5),  # 2025-W49 → 5 = quota → 8
        (datetime(2025, 12, 8), 7),  # W50 → 8 + 2 extra = 10
        (datetime(2025, 12, 15), 4),  # W51 → ⌊8 × 4/5⌋ = 6
        # W52 (12-22..12-28): nothing → 0
        (datetime(2025, 12, 29), 3),  # 2026-W01: 3 on 12-29..12-30 2025 ...
        (datetime(2026, 1, 2), 3),  # ... and 3 on 01-02..01-03 2026 → 6 → 9
    ]
    rows: list[dict[str, object]] = []
    for start, n in plan:
        for i in range(n):
            at = start + timedelta(hours=10 + 12 * i)
            rows.append({"post_id": f"q{len(rows)}", "account_id": "mp_q", "kind": "article", "published_at": at.isoformat(sep=" "),
                         "title": "t", "is_original": "true", "read_users": "1"})
    return pa.Table.from_pylist(rows)


def test_quota_points_across_the_year_boundary(ws: Workspace) -> None:
    from qunkpi.importers.canonical import load_tables

    load_tables(ws, {"posts": _quota_posts()}, source="quota-test", fmt="canonical")
    as_of = datetime(2026, 3, 1)
    dec = ws.metrics("2025-12", metrics=["quota_points", "posts"], as_of=as_of)
    # weeks with their Thursday in December 2025: W49, W50, W51, W52 → (8 + 10 + 6 + 0) / 4; 2026-W01's Thursday is
    # 01-01, so its 3 December articles count for January's quota
    assert values(dec, "mp_q")["quota_points"] == pytest.approx(24 / 4)
    assert _bd(dec, "posts", "mp_q") == {"article": 19, "__total__": 19}  # 5 + 7 + 4 + 3: still December's posts
    jan = values(ws.metrics("2026-01", metrics=["quota_points"], as_of=as_of), "mp_q")
    # January 2026: 2026-W01 (9) and W02..W05 with nothing → 9 / 5
    assert jan["quota_points"] == pytest.approx(9 / 5)
    wk = values(ws.metrics("2026-W01", metrics=["quota_points"], as_of=as_of), "mp_q")
    assert wk["quota_points"] == 9
    # weeks that start after the as-of time are not counted yet: as of 01-10 only W01 and W02 → (9 + 0) / 2
    early = values(ws.metrics("2026-01", metrics=["quota_points"], as_of=datetime(2026, 1, 10)), "mp_q")
    assert early["quota_points"] == pytest.approx(9 / 2)


def test_community_filter_selects_accounts(content_ws: Workspace) -> None:
    df = content_ws.metrics("2026-10", communities=["mp_brand"])
    assert set(df.community_id) == {"mp_brand"}
    assert values(df, "mp_brand")["net_new_followers"] == 115
