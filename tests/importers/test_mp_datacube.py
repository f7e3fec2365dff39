"""Official-account datacube API responses."""

from __future__ import annotations

import json
from pathlib import Path

from tests.importers.conftest import FIX, by, convert, rows, skipped_with

from qunkpi.importers.base import ConvertOptions
from qunkpi.importers.formats import convert_path
from qunkpi.importers.mp_datacube import convert_many

ACC = "gh_skincare"


def test_usersummary_per_source_rows_with_unknown_code_as_other() -> None:
    c = convert("mp-datacube", "mp-datacube/getusersummary.json", account=ACC)
    assert not c.problems
    daily = {(r["day"], r["source"]): r for r in rows(c, "account_daily")}
    assert daily[("2026-10-01", "qr_scan")]["new_followers"] == "20"
    assert daily[("2026-10-01", "search")]["unfollows"] == "0"
    # code 0 (other) and the unknown code 999 share the "other" row: 3 + 1
    assert daily[("2026-10-01", "other")]["new_followers"] == "4"
    assert skipped_with(c, "unknown user_source code 999 kept as other") == 1
    # "-" is unknown, never 0
    assert daily[("2026-10-02", "qr_scan")]["unfollows"] is None
    assert all(r["followers_total"] is None for r in daily.values())


def test_cumulate_alone_gives_total_rows() -> None:
    c = convert("mp-datacube", "mp-datacube/getusercumulate.json", account=ACC)
    assert [(r["day"], r["followers_total"], r["source"]) for r in rows(c, "account_daily")] == [
        ("2026-10-01", "10520", None),
        ("2026-10-02", "10526", None),
        ("2026-10-03", "10530", None),
    ]


def test_summary_and_cumulate_together() -> None:
    c = convert_many(
        [FIX / "mp-datacube/getusersummary.json", FIX / "mp-datacube/getusercumulate.json"],
        ConvertOptions(account=ACC),
    )
    daily = {(r["day"], r["source"]): r for r in rows(c, "account_daily")}
    assert daily[("2026-10-01", "search")]["followers_total"] == "10520"
    assert ("2026-10-01", None) not in daily  # the total rides on the per-source rows
    assert daily[("2026-10-03", None)]["followers_total"] == "10530"  # no summary that day


def test_folder_merges_totals_across_files(tmp_path: Path) -> None:
    for name in ("getusersummary.json", "getusercumulate.json"):
        (tmp_path / name).write_bytes((FIX / "mp-datacube" / name).read_bytes())
    out = convert_path(tmp_path, None, ConvertOptions(account=ACC))
    daily = [r for _f, fmt, c in out if fmt == "mp-datacube" for r in rows(c, "account_daily")]
    keyed = {(r["day"], r["source"]): r for r in daily}
    assert keyed[("2026-10-01", "qr_scan")]["followers_total"] == "10520"
    assert ("2026-10-01", None) not in keyed and ("2026-10-02", None) not in keyed
    assert keyed[("2026-10-03", None)]["followers_total"] == "10530"


def test_articletotal_latest_cumulative_and_daily_differences() -> None:
    c = convert("mp-datacube", "mp-datacube/getarticletotal.json", account=ACC)
    (post,) = rows(c, "posts")
    assert post["post_id"] == "2247483700_1"
    assert post["published_at"] == "2026-10-01T00:00:00+08:00"
    assert post["delivered"] == "10500"
    assert post["read_users"] == "1180"
    assert post["share_users"] == "52"
    assert post["favorite_users"] == "25"  # the last detail says "-": the latest known value stays
    assert post["reads_from_share"] == "360"  # friends 200 + Moments (feed) 160
    assert post["kind"] == "article" and post["is_original"] is None
    daily = json.loads(post["daily"])
    assert [d["day"] for d in daily] == [
        "2026-10-01",
        "2026-10-02",
        "2026-10-03",
    ]  # details were out of order
    assert [d["read_users"] for d in daily] == [800, 300, 80]
    assert [d["reads_from_share"] for d in daily] == [200, 130, 30]
    assert daily[2]["favorite_users"] is None


def test_articlesummary_sums_days_and_total_wins() -> None:
    c = convert("mp-datacube", "mp-datacube/getarticlesummary.json", account=ACC)
    posts = by(rows(c, "posts"), "post_id")
    assert posts["2247483700_1"]["read_users"] == "1100"
    assert posts["2247483700_1"]["favorite_users"] == "25"  # "-" on day 2 is not 0 and not added
    assert posts["2247483700_1"]["delivered"] is None
    both = convert_many(
        [FIX / "mp-datacube/getarticlesummary.json", FIX / "mp-datacube/getarticletotal.json"],
        ConvertOptions(account=ACC),
    )
    posts = by(rows(both, "posts"), "post_id")
    assert posts["2247483700_1"]["read_users"] == "1180" and posts["2247483711_2"]["read_users"] == "150"


def test_account_community_and_missing_account() -> None:
    c = convert("mp-datacube", "mp-datacube/getusercumulate.json", account=ACC)
    (comm,) = rows(c, "communities")
    assert comm["platform"] == "official_account" and comm["community_id"] == ACC
    c = convert("mp-datacube", "mp-datacube/getusercumulate.json")
    assert c.problems and "--account" in c.problems[0].hint
    assert not c.tables


def test_api_error_and_other_endpoints(tmp_path: Path) -> None:
    f = tmp_path / "x.json"
    f.write_text(
        '{"errcode": 61500, "errmsg": "date format error"}\n{"ref_date": "2026-10-01", "msg_type": 1, "msg_user": 3}\n'
    )
    c = convert_many([f], ConvertOptions(account=ACC))
    assert [p.row for p in c.problems] == [1]
    assert skipped_with(c, "another datacube endpoint") == 1
